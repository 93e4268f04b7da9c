// One connection-holder process of the live section (started by bench/connection-holders.ts, bundled by
// bench/child-script.ts): opens `count` connections to host:port, spread over the given source addresses
// (127.0.0.x), sends one GET on each and keeps it open and idle: the per-request leak shape. Prints
// {"ready": n, "ms": t} once every connection has had its reply, or {"error": "..."} and exits 1. Exits when
// its stdin ends (the parent is gone) or on SIGTERM/SIGKILL; the kernel then closes every socket.
//   node holder-child.mjs HOST PORT COUNT SOURCES(comma separated) FIRST_KEY
import { connect, type Socket } from 'node:net';

const [host = '127.0.0.1', portText = '6379', countText = '0', sourcesText = '127.0.0.2', firstKeyText = '0'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const sources = sourcesText.split(',');
const firstKey = Number(firstKeyText);
/** Connections being opened at once: enough to be quick, few enough for the server's accept backlog. */
const CONCURRENCY = 200;
const CONNECT_TIMEOUT_MS = 10_000;

const held: Socket[] = [];
const started = performance.now();

function fail(message: string): never {
  process.stdout.write(`${JSON.stringify({ error: message })}\n`);
  process.exit(1);
}

function getCommand(key: string): Buffer {
  return Buffer.from(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
}

/** Opens one connection from `localAddress`, sends GET and resolves once the reply arrived. */
function hold(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const localAddress = sources[index % sources.length] as string;
    const socket = connect({ host, port, localAddress });
    const timer = setTimeout(() => reject(new Error(`connection ${index} from ${localAddress} got no reply within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`connection ${index} from ${localAddress}: ${err.code ?? err.message}`));
    });
    socket.once('connect', () => socket.write(getCommand(`key:${firstKey + index}`)));
    socket.once('data', () => {
      // The reply ($-1, no such key): from here on the connection stays idle.
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      held.push(socket);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await hold(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  process.stdout.write(`${JSON.stringify({ ready: held.length, ms: Math.round(performance.now() - started) })}\n`);
}

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
