// What other clients feel while the auditor works: a separate process (bundled by bench/child-script.ts, run at
// nice -15 where allowed) holding a few connections, each sending PING and, once answered, the next one after a
// timer (about 1 ms: Node's timers round up), the connections' first PINGs staggered. Every request's latency
// (send to reply) is kept per window; the parent asks for a window's numbers over stdin/stdout:
//   "start <label>\n" opens a window; "stop\n" closes it once every PING sent before it is answered (at most
//   5 s), then prints one JSON line {"label", "requests", "delayedOver1ms", "openLoopDelayedOver1ms", "maxMs", "p50Ms", "p99Ms",
//   "windowMs", "unanswered"}; "exit\n" (or stdin ending) ends the process.
// Prints {"ready": true} once every connection has had its first reply.
// Run in its own process so that the auditor's event loop never delays the prober's reads.
//   node ping-prober.mjs HOST PORT CONNECTIONS GAP_US
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const [host = '127.0.0.1', portText = '6379', connectionsText = '3', gapUsText = '300'] = process.argv.slice(2);
const port = Number(portText);
const connections = Number(connectionsText);
const gapMs = Number(gapUsText) / 1000;
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');
const DRAIN_MS = 5000;

interface Window { label: string; openedAt: number; latencies: number[]; closedAt?: number }
let window: Window | null = null;

interface Probe { inFlight: boolean; sentAt: number; answered: boolean }
const probes: Probe[] = [];
let answeredOnce = 0;
/** Called after each reply while a "stop" waits for the PINGs still in flight. */
let onReply: (() => void) | null = null;

function probe(socket: Socket, state: Probe): void {
  const send = () => {
    state.sentAt = performance.now();
    state.inFlight = true;
    socket.write(PING);
  };
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    // One PING in flight per connection: each +PONG\r\n (7 bytes) answers it; a split reply waits for the rest.
    if (!chunk.includes(10)) return;
    const latency = performance.now() - state.sentAt;
    state.inFlight = false;
    if (window && (window.closedAt === undefined || state.sentAt <= window.closedAt)) window.latencies.push(latency);
    if (!state.answered) {
      state.answered = true;
      if (++answeredOnce === connections) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    }
    onReply?.();
    // A timer, not a spin: a busy prober would take a core (2 cores here: one is the server's).
    setTimeout(send, gapMs);
  });
  socket.on('error', (err) => {
    process.stderr.write(`ping-prober: ${err.message}\n`);
    process.exit(1);
  });
  send();
}

for (let i = 0; i < connections; i += 1) {
  const state: Probe = { inFlight: false, sentAt: 0, answered: false };
  probes.push(state);
  // Staggered starts (0, 1, 2 ms...): the connections' PINGs do not reach the server together.
  setTimeout(() => {
    const socket = connect({ host, port }, () => probe(socket, state));
    socket.once('error', (err) => {
      process.stderr.write(`ping-prober: ${err.message}\n`);
      process.exit(1);
    });
  }, i);
}

/**
 * The prober waits for each reply before it sends the next (a closed loop), so a 50 ms stall delays one request
 * per connection where clients sending on their own schedule would have had about 50 each waiting: coordinated
 * omission. Corrected as for a client that sends one request a millisecond on each prober connection: a reply
 * that took L ms over 1 ms stands for 1 + floor(L - 1) requests delayed over 1 ms.
 */
function openLoopDelayed(latencies: readonly number[]): number {
  return latencies.reduce((sum, l) => (l > 1 ? sum + 1 + Math.floor(l - 1) : sum), 0);
}

function report(current: Window, unanswered: number): void {
  const sorted = current.latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  const ms = (value: number) => Math.round(value * 1000) / 1000;
  process.stdout.write(`${JSON.stringify({
    label: current.label, requests: sorted.length, delayedOver1ms: sorted.filter((l) => l > 1).length,
    openLoopDelayedOver1ms: openLoopDelayed(sorted),
    maxMs: ms(sorted[sorted.length - 1] ?? 0), p50Ms: ms(at(0.5)), p99Ms: ms(at(0.99)),
    windowMs: ms((current.closedAt ?? performance.now()) - current.openedAt), unanswered,
  })}\n`);
}

/** Closes the window once the PINGs sent before "stop" are answered: a stalled one counts in full. */
function stop(current: Window): void {
  const stoppedAt = performance.now();
  current.closedAt = stoppedAt;
  const pending = () => probes.filter((p) => p.inFlight && p.sentAt <= stoppedAt).length;
  const finish = () => {
    onReply = null;
    clearTimeout(timer);
    window = null;
    report(current, pending());
  };
  const timer = setTimeout(finish, DRAIN_MS);
  if (pending() === 0) return finish();
  onReply = () => { if (pending() === 0) finish(); };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, ...rest] = line.trim().split(' ');
  if (verb === 'start') window = { label: rest.join(' '), openedAt: performance.now(), latencies: [] };
  else if (verb === 'stop' && window !== null) stop(window);
  else if (verb === 'exit') process.exit(0);
}).on('close', () => process.exit(0));
