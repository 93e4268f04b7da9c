// The live section's held connections, in child processes (bench/holder-child.ts), out of the measuring
// process: 65,000 sockets in the auditor's own event loop would slow it and blur what it measures. Each holder
// takes its share of the connections, spread over loopback sources 127.0.0.2.. so that no source/destination
// pair runs out of ephemeral ports (32768-60999, about 28,000 a pair).
import { spawnLineChild, type LineChild } from './child-script.js';

/** 127.0.0.2 to 127.0.0.40: 39 sources, room for about a million connections to one port. */
export const HOLDER_SOURCES: readonly string[] = Array.from({ length: 39 }, (_, i) => `127.0.0.${i + 2}`);
/** Connections one holder process takes at most (fds, and Node's own per-socket memory). */
export const MAX_PER_HOLDER = 16_500;
const READY_TIMEOUT_MS = 120_000;

export interface Holder {
  readonly pid: number;
  readonly count: number;
  /** Time the holder took to open its connections and see every GET answered, ms. */
  readonly readyMs: number;
  /** Kills the process (its connections close with it) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Splits `total` connections into `processes` shares as equal as possible. */
export function holderShares(total: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, i) => Math.floor(total / processes) + (i < total % processes ? 1 : 0));
}

/** How many holder processes `total` connections need, at least `minimum` (to interleave them with churn). */
export function holderProcessCount(total: number, minimum: number): number {
  return Math.max(minimum, Math.ceil(total / MAX_PER_HOLDER));
}

/**
 * Starts one holder and resolves once all `count` connections are open and answered. `firstKey` makes the
 * GET keys of different holders differ (a cosmetic touch: the keys do not exist). Kills the child on failure.
 */
export async function startHolder(script: string, target: { host: string; port: number }, count: number, firstKey: number): Promise<Holder> {
  const child: LineChild = spawnLineChild(process.execPath, [script, target.host, String(target.port), String(count), HOLDER_SOURCES.join(','), String(firstKey)]);
  try {
    const answer = await child.next<{ ready?: number; ms?: number; error?: string }>(READY_TIMEOUT_MS, `connection holder (${count} connections)`);
    if (answer.error !== undefined || answer.ready !== count) {
      throw new Error(`connection holder could not hold ${count} connections: ${answer.error ?? `${answer.ready} ready`}`);
    }
    return { pid: child.process.pid ?? -1, count, readyMs: answer.ms ?? 0, stop: () => child.kill() };
  } catch (err) {
    await child.kill();
    throw err;
  }
}
