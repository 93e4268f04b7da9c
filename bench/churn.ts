// Connection churn for the live section: many short connections, so that total_connections_received (and the
// newest client id) run far ahead of the ids of the held connections, as on a server that has been up for weeks.
// `redis-benchmark -k 0` reconnects for every request (about 16,000 connections a second here); where it is
// not installed, a Node loop does the same, slower.
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';

export interface ChurnResult {
  /** Connections the server counted during the churn (total_connections_received grew by this). */
  readonly connections: number;
  readonly durationMs: number;
  readonly tool: 'redis-benchmark' | 'node';
  /** redis-benchmark runs it took (it can stop short of its count). */
  readonly runs: number;
}

export interface ChurnOptions {
  readonly host: string;
  readonly port: number;
  /** Connections to add, at least. */
  readonly connections: number;
  /** total_connections_received, read from the server. */
  readonly readReceived: () => Promise<number>;
  /** The churn stops (and fails) after this long. */
  readonly timeoutMs: number;
}

let benchmarkAvailable: boolean | undefined;

export function hasRedisBenchmark(): boolean {
  benchmarkAvailable ??= spawnSync('redis-benchmark', ['--version'], { stdio: 'ignore' }).status === 0;
  return benchmarkAvailable;
}

/** Adds at least `connections` connections to the server's total, by redis-benchmark when installed. */
export async function churn(options: ChurnOptions): Promise<ChurnResult> {
  const started = performance.now();
  const before = await options.readReceived();
  const deadline = Date.now() + options.timeoutMs;
  const tool = hasRedisBenchmark() ? 'redis-benchmark' : 'node';
  let runs = 0;
  let received = before;
  while (received - before < options.connections) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`churn reached ${received - before} of ${options.connections} connections in ${options.timeoutMs} ms`);
    const missing = options.connections - (received - before);
    if (tool === 'redis-benchmark') await runBenchmark(options.host, options.port, missing, left);
    else await nodeChurn(options.host, options.port, missing, deadline);
    runs += 1;
    received = await options.readReceived();
  }
  return { connections: received - before, durationMs: Math.round(performance.now() - started), tool, runs };
}

/** `-t ping` runs PING_INLINE and PING_MBULK, n requests each, one connection per request with -k 0. */
function runBenchmark(host: string, port: number, connections: number, timeoutMs: number): Promise<void> {
  const requests = Math.max(1, Math.ceil(connections / 2));
  const args = ['-h', host, '-p', String(port), '-k', '0', '-c', '50', '-n', String(requests), '-t', 'ping', '-q'];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-1000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Stopped by the timer or failed: the caller's count of received connections decides what is missing.
      if (code !== 0 && signal === null) reject(new Error(`redis-benchmark exited with code ${code}: ${stderr.trim()}`));
      else resolve();
    });
  });
}

/** Connect, PING, close, 50 at a time, from 127.0.0.1 (the held connections use other sources). */
async function nodeChurn(host: string, port: number, connections: number, deadline: number): Promise<void> {
  let left = connections;
  const one = () => new Promise<void>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', () => socket.destroy());
    socket.once('error', () => resolve());
    socket.once('close', () => resolve());
  });
  const worker = async () => {
    while (left > 0 && Date.now() < deadline) {
      left -= 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
}
