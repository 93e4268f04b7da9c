// Starts a throwaway redis-server on a free loopback port, for the demo and the integration tests.
// Bound to loopback only; protected mode off so that clients bound to 127.0.0.x and ::1 may connect.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Extra `--name value` arguments, e.g. `['--maxclients', '50']`. */
  readonly args?: readonly string[];
  /** Listen on ::1 as well as 127.0.0.1 (default true). */
  readonly ipv6?: boolean;
  /** Port to use; a free one is picked when absent. */
  readonly port?: number;
  readonly executable?: string;
}

export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rla-redis-'));
  const bind = options.ipv6 === false ? ['127.0.0.1'] : ['127.0.0.1', '-::1'];
  const args = [
    '--port', String(port),
    '--bind', ...bind,
    '--protected-mode', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--loglevel', 'warning',
    ...(options.args ?? []),
  ];
  const child = spawn(options.executable ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT'
        ? new RedisServerMissingError('redis-server is not installed: run `apt-get install -y redis-server` (as root) and try again')
        : err);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr.trim()}`)));
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort('127.0.0.1', port, 10_000), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT'); // a test may have paused it with SIGSTOP
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, dir, process: child, stop };
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.end('*1\r\n$4\r\nQUIT\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
