// Client connection patterns, leaky and healthy, played against a local Redis from chosen loopback
// source addresses so that each pattern looks like its own host in CLIENT LIST. Used by the demo and
// the integration tests. Everything is bounded (counts, rates, durations) and talks to loopback only,
// and stop() closes every socket and timer a pattern made: a leak simulator must not leak itself.
import { randomBytes } from 'node:crypto';
import { loopbackHostFor } from './loopback.js';
import { RespClient } from './resp-client.js';

export interface WorkloadTarget {
  readonly host: string;
  readonly port: number;
}

export interface WorkloadHandle {
  readonly source: string;
  readonly pattern: string;
  /** Connections open right now. */
  connections(): number;
  /** Ends timers and closes every connection; resolves when all are closed. */
  stop(): Promise<void>;
}

export interface WorkloadOptions {
  /** CLIENT SETNAME for every connection, to exercise grouping by name. @default unnamed */
  readonly name?: string;
  /** Receives errors of background work (paced opening, churn, busy commands). @default ignored */
  readonly onError?: (err: Error) => void;
}

export interface LeakOptions extends WorkloadOptions {
  /** Connections to open and abandon, 0 to 2000. */
  readonly count: number;
}

export interface PerRequestLeakOptions extends LeakOptions {
  /** Open the connections gradually at this rate (up to 500/s, over at most 60 s). @default all at once */
  readonly ratePerSecond?: number;
}

export interface ChurnOptions extends WorkloadOptions {
  /** New connections per second, 1 to 500. */
  readonly ratePerSecond: number;
  /** How long to keep churning, up to 60000. */
  readonly durationMs: number;
  /** Connections open at the same time, 1 to 16. @default 4 */
  readonly maxInFlight?: number;
}

export interface PoolOptions extends WorkloadOptions {
  /** Pooled connections, 0 to 2000. */
  readonly size: number;
}

export const WORKLOAD_LIMITS = { maxConnections: 2000, maxRatePerSecond: 500, maxDurationMs: 60_000, maxInFlight: 16 } as const;

/** Connections opened at once when a pattern opens many: stays far below the server's listen backlog. */
const OPEN_CONCURRENCY = 32;
const PACE_TICK_MS = 10;

/** The classic leak: a connection per request, used once, never closed. */
export async function perRequestLeak(target: WorkloadTarget, source: string, opts: PerRequestLeakOptions): Promise<WorkloadHandle> {
  const count = bounded('count', opts.count, 0, WORKLOAD_LIMITS.maxConnections, true);
  return start('per-request-leak', target, source, opts, async (session) => {
    const request = async (i: number): Promise<void> => {
      const client = await session.open();
      const key = session.key(i);
      await client.command('SET', key, 'v', 'EX', 600);
      await client.command('GET', key);
    };
    if (opts.ratePerSecond === undefined) return openAll(count, request);
    const rate = bounded('ratePerSecond', opts.ratePerSecond, 0.01, WORKLOAD_LIMITS.maxRatePerSecond, false);
    let next = 0;
    pace(session, rate, count, WORKLOAD_LIMITS.maxDurationMs, () => {
      session.track(request(next++));
      return true;
    });
  });
}

/** Subscribers left behind: each connection SUBSCRIBEs to a channel and is never closed. */
export async function pubsubLeak(target: WorkloadTarget, source: string, opts: LeakOptions & { readonly channel?: string }): Promise<WorkloadHandle> {
  return many('pubsub-leak', target, source, opts, ['count', opts.count], async (client) => {
    await client.command('SUBSCRIBE', opts.channel ?? 'rla:workload:events'); // one channel: one confirmation
  });
}

/** BLPOP on a key nobody pushes to, with timeout 0: blocked forever. */
export async function blockingPopNoTimeout(target: WorkloadTarget, source: string, opts: LeakOptions): Promise<WorkloadHandle> {
  return many('blocking-pop-no-timeout', target, source, opts, ['count', opts.count], async (client, key) => {
    client.send('BLPOP', key, 0); // no reply until a push that never comes
  });
}

/** MULTI with one queued command and no EXEC: a transaction left open. */
export async function openTransaction(target: WorkloadTarget, source: string, opts: LeakOptions): Promise<WorkloadHandle> {
  return many('open-transaction', target, source, opts, ['count', opts.count], async (client, key) => {
    await client.command('MULTI');
    await client.command('SET', key, 'v');
  });
}

/** Healthy count, high churn: connect, PING, QUIT, again and again (no pooling). */
export async function connectPerRequestChurn(target: WorkloadTarget, source: string, opts: ChurnOptions): Promise<WorkloadHandle> {
  const rate = bounded('ratePerSecond', opts.ratePerSecond, 1, WORKLOAD_LIMITS.maxRatePerSecond, false);
  const durationMs = bounded('durationMs', opts.durationMs, 0, WORKLOAD_LIMITS.maxDurationMs, false);
  const maxInFlight = bounded('maxInFlight', opts.maxInFlight ?? 4, 1, WORKLOAD_LIMITS.maxInFlight, true);
  return start('connect-per-request-churn', target, source, opts, async (session) => {
    let inFlight = 0;
    const cycle = async (): Promise<void> => {
      const client = await session.open();
      await client.command('PING');
      await client.close();
    };
    pace(session, rate, Math.floor((rate * durationMs) / 1000), durationMs, () => {
      if (inFlight >= maxInFlight) return false;
      inFlight++;
      session.track(cycle().finally(() => inFlight--));
      return true;
    });
  });
}

/** A healthy busy pool: every connection sends a command every 50 to 100 ms, so idle stays about 0. */
export async function busyPool(target: WorkloadTarget, source: string, opts: PoolOptions): Promise<WorkloadHandle> {
  return many('busy-pool', target, source, opts, ['size', opts.size], async (client, key, session) => {
    // One command at a time per connection, like a pool: never a growing pipeline.
    const loop = (): void => session.later(50 + Math.random() * 50, () => {
      session.track(client.command('INCR', key).then(loop));
    });
    await client.command('INCR', key);
    loop();
  });
}

/** A healthy small pool at rest: each connection runs one command and sits idle. */
export async function idlePool(target: WorkloadTarget, source: string, opts: PoolOptions): Promise<WorkloadHandle> {
  return many('idle-pool', target, source, opts, ['size', opts.size], async (client, key) => {
    await client.command('GET', key);
  });
}

/** Owns every socket, timer and background promise of one pattern, so that stop() can end them all. */
class Session {
  readonly clients = new Set<RespClient>();
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly token = randomBytes(4).toString('hex'); // keys unique per run: BLPOP keys stay empty
  private stopped = false;

  constructor(
    readonly pattern: string,
    readonly source: string,
    private readonly host: string,
    private readonly port: number,
    private readonly opts: WorkloadOptions,
  ) {}

  key(i: number): string {
    return `rla:workload:${this.pattern}:${this.source}:${this.token}:${i}`;
  }

  /** Opens a tracked connection from the source address, named when a name was asked for. */
  async open(): Promise<RespClient> {
    if (this.stopped) throw new Error('workload stopped');
    const client = await RespClient.connect({ host: this.host, port: this.port, localAddress: this.source });
    this.clients.add(client);
    client.onClose(() => this.clients.delete(client));
    if (this.stopped) {
      await client.close(); // stop() ran while this connect was in flight
      throw new Error('workload stopped');
    }
    if (this.opts.name !== undefined) await client.command('CLIENT', 'SETNAME', this.opts.name);
    return client;
  }

  /** Runs work in the background: stop() waits for it; its errors go to onError unless stopping. */
  track(work: Promise<unknown>): void {
    const done: Promise<void> = work.then(
      () => undefined,
      (err: unknown) => {
        if (!this.stopped) this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
      },
    ).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Closing rejects commands in flight; connects in flight close themselves once done (see open()).
    while (this.clients.size > 0 || this.pending.size > 0) {
      await Promise.all([...this.clients].map((client) => client.close()));
      await Promise.allSettled([...this.pending]);
    }
  }
}

async function start(
  pattern: string, target: WorkloadTarget, source: string, opts: WorkloadOptions, body: (session: Session) => Promise<void>,
): Promise<WorkloadHandle> {
  const session = new Session(pattern, source, loopbackHostFor(target.host, source), target.port, opts);
  try {
    await body(session);
  } catch (err) {
    await session.stop(); // a half-started pattern must not leave connections behind
    throw err;
  }
  return {
    source, pattern, connections: () => session.clients.size, stop: () => session.stop(),
  };
}

/** A pattern of count connections, each opened and then set up by setup() with a key of its own. */
async function many(
  pattern: string, target: WorkloadTarget, source: string, opts: WorkloadOptions, [what, count]: [string, number],
  setup: (client: RespClient, key: string, session: Session) => Promise<void>,
): Promise<WorkloadHandle> {
  const n = bounded(what, count, 0, WORKLOAD_LIMITS.maxConnections, true);
  return start(pattern, target, source, opts, (session) => openAll(n, async (i) => setup(await session.open(), session.key(i), session)));
}

/** Runs job(0..count-1) with bounded concurrency; on the first failure starts no more and rethrows it. */
async function openAll(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const i = next++;
      await job(i).catch((err: unknown) => { failure ??= { err }; });
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, OPEN_CONCURRENCY) }, worker));
  if (failure !== undefined) throw failure.err;
}

/** Starts up to total jobs at rate per second for at most durationMs; job() returns false to wait a tick. */
function pace(session: Session, rate: number, total: number, durationMs: number, job: () => boolean): void {
  const startedAt = Date.now();
  let started = 0;
  const tick = (): void => {
    const elapsed = Date.now() - startedAt;
    const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1); // +1: the first one at once
    while (started < due && job()) started++;
    if (started < total && elapsed < durationMs) session.later(PACE_TICK_MS, tick);
  };
  tick();
}

function bounded(what: string, value: number, min: number, max: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${what} must be ${integer ? 'an integer ' : ''}from ${min} to ${max}, got ${value}`);
  }
  return value;
}
