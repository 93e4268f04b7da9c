// What other clients feel while the auditor works: a separate process holding a few connections, each
// sending PING and, once answered, the next one after a timer (about 1 ms: Node's timers round up), the
// connections staggered, so that a request reaches the server every few hundred microseconds. Every request's latency
// (send to reply) is kept per window; the parent asks for a window's numbers over stdin/stdout:
//   "start <label>\n" opens a window, "stop\n" closes it and prints one JSON line
//   {"label", "requests", "delayedOver1ms", "maxMs", "p99Ms"}. "exit\n" ends the process.
// Run in its own process so the auditor's event loop never delays the prober's reads.
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const [host = '127.0.0.1', portText = '6379', connectionsText = '3', gapUsText = '300'] = process.argv.slice(2);
const port = Number(portText);
const gapMs = Number(gapUsText) / 1000;
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');

interface Window { label: string; latencies: number[] }
let window: Window | null = null;

function probe(socket: Socket): void {
  let sentAt = 0;
  const send = () => {
    sentAt = performance.now();
    socket.write(PING);
  };
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    // One PING in flight per connection: each +PONG\r\n (7 bytes) answers it; a split reply waits for the rest.
    if (!chunk.includes(10)) return;
    const latency = performance.now() - sentAt;
    window?.latencies.push(latency);
    // A timer, not a spin: a busy prober would take a core from the server it measures (2 cores here).
    setTimeout(send, gapMs);
  });
  socket.on('error', () => undefined);
  send();
}

const sockets: Socket[] = [];
for (let i = 0; i < Number(connectionsText); i += 1) {
  const socket = connect({ host, port }, () => probe(socket));
  sockets.push(socket);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, ...rest] = line.trim().split(' ');
  if (verb === 'start') window = { label: rest.join(' '), latencies: [] };
  else if (verb === 'stop' && window !== null) {
    const sorted = window.latencies.sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    process.stdout.write(`${JSON.stringify({
      label: window.label, requests: sorted.length, delayedOver1ms: sorted.filter((l) => l > 1).length,
      maxMs: Math.round((sorted[sorted.length - 1] ?? 0) * 1000) / 1000, p99Ms: Math.round(p99 * 1000) / 1000,
    })}\n`);
    window = null;
  } else if (verb === 'exit') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
