// Fleets for the integration tests: one client pattern started on each of N loopback addresses of one
// block (127.0.<block>.1 to .N), as the pods, tasks or Lambda environments of one service connect, and
// stopped all together. Also the patterns that need a real client library (ioredis, @redis/client),
// bound to a source address like the demo's raw client, and a CLIENT LIST probe to wait on.
// Loopback only, bounded, and stop() ends every socket and timer a pattern made.
import { createConnection, type Socket } from 'node:net';
import { createClient } from '@redis/client';
import { AbstractConnector, Redis } from 'ioredis';
import { loopbackHostFor } from '../../cli/demo/loopback.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import type { WorkloadTarget } from '../../cli/demo/workload.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';

export interface Stoppable {
  stop(): Promise<void>;
}

export interface Fleet extends Stoppable {
  readonly addresses: readonly string[];
  /** One per address, in the addresses' order. */
  readonly members: readonly Stoppable[];
}

/** `127.0.<block>.1` to `127.0.<block>.<count>`: one population's addresses, apart from every other's. */
export function blockAddresses(block: number, count: number): string[] {
  if (!Number.isInteger(block) || block < 1 || block > 254 || !Number.isInteger(count) || count < 1 || count > 254) {
    throw new RangeError(`block must be 1 to 254 and count 1 to 254, got ${block} and ${count}`);
  }
  return Array.from({ length: count }, (_, i) => `127.0.${block}.${i + 1}`);
}

// Kubernetes' alphabet for random suffixes: no vowels, no 0, 1 or 3.
const POD_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `orders-api-7f9c8d5b4-x2kq9`: a deployment's pod name, its 5-character suffix different for each index. */
export function podName(deployment: string, templateHash: string, index: number): string {
  let n = (index * 7919 + 104_729) % POD_ALPHABET.length ** 5; // 7919 is prime to 27: distinct per index
  let suffix = '';
  for (let k = 0; k < 5; k += 1) {
    suffix += POD_ALPHABET[n % POD_ALPHABET.length];
    n = Math.floor(n / POD_ALPHABET.length);
  }
  return `${deployment}-${templateHash}-${suffix}`;
}

/** Starts one member on each address; when one fails, stops those started and rethrows. */
export async function startFleet(addresses: readonly string[], startOne: (address: string, index: number) => Promise<Stoppable>): Promise<Fleet> {
  const started = await Promise.allSettled(addresses.map((address, i) => startOne(address, i)));
  const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => void (await Promise.allSettled(members.map((m) => m.stop())));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return { addresses, members, stop };
}

/**
 * Polls CLIENT LIST (through a short-lived probe connection) until the clients from `addresses` satisfy
 * `ok`; fails with `what` after timeoutMs.
 */
export async function waitForClients(
  target: WorkloadTarget, addresses: readonly string[], what: string, ok: (clients: ClientRecord[]) => boolean, timeoutMs = 15_000,
): Promise<ClientRecord[]> {
  const wanted = new Set(addresses);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await RespClient.connect({ host: target.host, port: target.port });
    const listed = await probe.command('CLIENT', 'LIST').finally(() => probe.close());
    const clients = parseClientList(String(listed)).clients.filter((c) => wanted.has(c.sourceIp));
    if (ok(clients)) return clients;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${clients.length} clients seen)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One connection of a real client library, reduced to what the patterns use. */
interface LibraryConnection {
  command(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

export type Library = 'ioredis' | '@redis/client';

let template: ReturnType<typeof createClient> | undefined;
/**
 * A client never connected, duplicated for each connection: createClient builds its command class anew
 * for every options object (~40 ms of CPU each), duplicate() reuses it.
 */
function nodeRedisTemplate(): ReturnType<typeof createClient> {
  template ??= createClient();
  return template;
}

/** Opens one connection with `library` from `source`, named when a name is given; resolves once it is ready. */
async function connectWith(library: Library, target: WorkloadTarget, source: string, name?: string): Promise<LibraryConnection> {
  const host = loopbackHostFor(target.host, source);
  if (library === 'ioredis') {
    // ioredis passes only host, port and family to net.connect; its Connector option is the documented way in.
    class FromSource extends AbstractConnector {
      constructor() {
        super(2000); // ms to wait for the socket to end on disconnect before destroying it
      }
      connect(): Promise<Socket> {
        this.connecting = true;
        const socket = createConnection({ host, port: target.port, localAddress: source });
        this.stream = socket;
        return Promise.resolve(socket);
      }
    }
    const client = new Redis({
      Connector: FromSource, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...(name === undefined ? {} : { connectionName: name }),
    });
    client.on('error', () => undefined); // a reset while stopping must not crash the test process
    await client.connect();
    return { command: (cmd, ...args) => client.call(cmd, ...args), close: async () => void (await client.quit().catch(() => client.disconnect())) };
  }
  const client = nodeRedisTemplate().duplicate({
    socket: { host, port: target.port, localAddress: source, reconnectStrategy: false }, ...(name === undefined ? {} : { name }),
  });
  client.on('error', () => undefined);
  await client.connect();
  return { command: (...args) => client.sendCommand(args), close: async () => void (await client.close().catch(() => client.destroy())) };
}

/** Owns a pattern's connections, timers and background work, so that stop() ends them all. */
class Background implements Stoppable {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  readonly connections = new Set<LibraryConnection>();

  get running(): boolean {
    return !this.stopped;
  }

  later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves after ms, or at once when stopped (check `running` after). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const wake = (): void => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.later(ms, wake);
    });
  }

  /** Runs work in the background; its errors after stop() (closed sockets) are expected and dropped. */
  track(work: Promise<unknown>): void {
    const done: Promise<void> = work.then(() => undefined, () => undefined).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
    while (this.connections.size > 0 || this.pending.size > 0) {
      const open = [...this.connections];
      this.connections.clear();
      await Promise.allSettled(open.map((c) => c.close()));
      await Promise.allSettled([...this.pending]);
    }
  }
}

export interface LibraryPoolOptions {
  readonly library: Library;
  readonly name?: string;
  /** Connections in the pool, 1 to 50. */
  readonly size: number;
  /** Each connection sends a command after a pause drawn from this range (ms, 20 or more). */
  readonly pauseMs: readonly [number, number];
  /** Commands each connection sends before it is left idle (a pool at rest). @default no end (a busy pool) */
  readonly uses?: number;
}

/** A pool of a real client library: every connection sends a command now and then, up to `uses` times, then rests. */
export async function libraryPool(target: WorkloadTarget, source: string, opts: LibraryPoolOptions): Promise<Stoppable> {
  if (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > 50 || opts.pauseMs[0] < 20 || opts.pauseMs[1] < opts.pauseMs[0]) {
    throw new RangeError('size must be 1 to 50 and pauseMs a range from 20 ms');
  }
  const bg = new Background();
  const [min, max] = opts.pauseMs;
  const key = `rla:fleet:${source}`;
  try {
    for (let i = 0; i < opts.size; i += 1) {
      const connection = await connectWith(opts.library, target, source, opts.name);
      bg.connections.add(connection);
      let left = opts.uses ?? Infinity;
      const use = (): void => {
        if (left <= 0) return;
        left -= 1;
        bg.track(connection.command('INCR', key).then(() => bg.later(min + Math.random() * (max - min), use)));
      };
      use();
    }
  } catch (err) {
    await bg.stop();
    throw err;
  }
  return bg;
}

export interface CronJobOptions {
  readonly library: Library;
  /** A run starts every this many ms (50 or more): connect, a few commands, quit. */
  readonly everyMs: number;
  /** Runs at most, so that a forgotten job ends by itself. @default 600 */
  readonly maxRuns?: number;
}

/** A job that connects, works and closes each run: healthy pooling-wise, counted as churn when frequent. */
export function cronJob(target: WorkloadTarget, source: string, opts: CronJobOptions): Stoppable {
  if (opts.everyMs < 50) throw new RangeError(`everyMs must be 50 or more, got ${opts.everyMs}`);
  const bg = new Background();
  let runs = opts.maxRuns ?? 600;
  const run = async (): Promise<void> => {
    const connection = await connectWith(opts.library, target, source);
    bg.connections.add(connection);
    const key = `rla:fleet:cron:${source}`;
    await connection.command('SET', key, String(Date.now()), 'EX', '60');
    await connection.command('GET', key);
    await connection.command('INCR', `${key}:runs`);
    bg.connections.delete(connection);
    await connection.close();
  };
  const tick = (): void => {
    if (!bg.running || runs <= 0) return;
    runs -= 1;
    bg.track(run());
    bg.later(opts.everyMs, tick);
  };
  bg.later(Math.random() * opts.everyMs, tick); // members of one job do not all fire at once
  return bg;
}

export interface Rollout extends Stoppable {
  /** Resolves when every old member was replaced (or the rollout was stopped); rejects when a new one failed to start. */
  readonly done: Promise<void>;
}

/**
 * A rolling deployment: one step every stepMs starts a new member on the next of `to` and then stops the
 * next of `from` (old and new pods have different addresses), so the count stays steady while every
 * connection becomes new.
 */
export function rollOut(
  from: readonly Stoppable[], to: readonly string[], startOne: (address: string, index: number) => Promise<Stoppable>, stepMs: number,
): Rollout {
  const bg = new Background();
  const started: Stoppable[] = [];
  const done = (async () => {
    for (let i = 0; i < Math.min(from.length, to.length); i += 1) {
      await bg.sleep(stepMs);
      const address = to[i];
      if (!bg.running || address === undefined) return;
      started.push(await startOne(address, i));
      await from[i]?.stop();
    }
  })();
  bg.track(done);
  return {
    done,
    stop: async () => {
      await bg.stop();
      await Promise.allSettled([...from, ...started].map((m) => m.stop()));
    },
  };
}
