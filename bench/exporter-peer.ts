// The live section's point of comparison: oliver006/redis_exporter with -export-client-list, the usual way to
// watch client connections from Prometheus. Our own instance, on a free loopback port, against the bench's
// redis-server (a packaged service may run on :9121 against :6379: it is left alone). One scrape = one
// HTTP GET /metrics, during which the exporter connects, runs INFO, CLIENT LIST and the rest, and answers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { freePort } from '../cli/demo/local-redis-server.js';

const CANDIDATES = ['/usr/bin/prometheus-redis-exporter', '/usr/local/bin/redis_exporter', '/usr/bin/redis_exporter'];
const SCRAPE_TIMEOUT_MS = 120_000;

export interface Scrape {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
}

export interface ExporterPeer {
  readonly version: string;
  readonly listen: string;
  scrape(): Promise<Scrape>;
  stop(): Promise<void>;
}

export function exporterBinary(): string | null {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** The version line the binary prints with -version (to stderr, as a log line). */
export function exporterVersion(binary: string): string {
  const run = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  return /Redis Metrics Exporter\s+(\S+)/.exec(text)?.[1] ?? 'unknown';
}

/** Starts the exporter against redisUrl; null when no binary is installed. */
export async function startExporter(redisUrl: string): Promise<ExporterPeer | null> {
  const binary = exporterBinary();
  if (binary === null) return null;
  const version = exporterVersion(binary);
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, ['-redis.addr', redisUrl, '-export-client-list', '-web.listen-address', listen], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
  const exited = new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.once('error', () => resolve()); });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitForListen(port, 10_000, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw new Error(`${binary} did not start: ${(err as Error).message} ${stderr.trim()}`);
  }
  return { version, listen, scrape: () => scrape(port), stop };
}

function scrape(port: number): Promise<Scrape> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/metrics', timeout: SCRAPE_TIMEOUT_MS }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, ms: performance.now() - started }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no scrape within ${SCRAPE_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

async function waitForListen(port: number, timeoutMs: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error('the exporter exited');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not listening on port ${port} after ${timeoutMs} ms`);
}
