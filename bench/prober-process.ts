// The parent's side of bench/ping-prober.ts: starts it (at nice -15 when the bench may raise priorities, so
// that the auditor's own CPU use on the shared core does not delay the prober's reads) and times windows.
import { getPriority } from 'node:os';
import { spawnLineChild, type LineChild } from './child-script.js';

/** What the prober saw in one window. */
export interface ProbeWindow {
  readonly label: string;
  readonly requests: number;
  readonly delayedOver1ms: number;
  /** The same corrected for coordinated omission (bench/ping-prober.ts). */
  readonly openLoopDelayedOver1ms: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly windowMs: number;
  /** PINGs sent before the window closed and still unanswered 5 s later (a server stuck that long). */
  readonly unanswered: number;
}

export interface Prober {
  readonly pid: number;
  readonly connections: number;
  /** The prober's niceness as the kernel reports it (-15 when raised, 0 when the bench may not). */
  readonly niceness: number;
  /** Runs fn inside a window and returns its result with what the prober saw meanwhile. */
  during<T>(label: string, fn: () => Promise<T>): Promise<{ result: T; probe: ProbeWindow }>;
  stop(): Promise<void>;
}

export const PROBER_NICENESS = -15;

export async function startProber(script: string, target: { host: string; port: number }, connections = 3): Promise<Prober> {
  const node = [process.execPath, script, target.host, String(target.port), String(connections), '300'];
  // Only root may lower a niceness; elsewhere the prober runs at the default and says so.
  const mayRaise = process.getuid?.() === 0;
  const child: LineChild = mayRaise ? spawnLineChild('nice', ['-n', String(PROBER_NICENESS), ...node]) : spawnLineChild(node[0] as string, node.slice(1));
  try {
    await child.next<{ ready: boolean }>(10_000, 'PING prober');
  } catch (err) {
    await child.kill();
    throw err;
  }
  const pid = child.process.pid ?? -1;
  let niceness = 0;
  try {
    niceness = getPriority(pid);
  } catch {
    niceness = Number.NaN;
  }
  return {
    pid, connections, niceness,
    async during<T>(label: string, fn: () => Promise<T>): Promise<{ result: T; probe: ProbeWindow }> {
      child.send(`start ${label}`);
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await fn() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      child.send('stop');
      // Read even after a failure, so that the next window does not get this one's line.
      const probe = await child.next<ProbeWindow>(15_000, `PING prober window ${label}`);
      if (!outcome.ok) throw outcome.error;
      return { result: outcome.value, probe };
    },
    stop: () => child.kill(),
  };
}
