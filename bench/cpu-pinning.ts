// CPU pinning for the live section: redis-server alone on CPU 0, everything else (this process and, by
// inheritance, every helper it starts: holders, prober, exporter, redis-benchmark) on CPU 1. In production the
// auditor runs on another machine than the server; on a 2-core bench machine, pinning keeps the auditor's own
// parsing off the server's core. `taskset -a` sets every thread of a process. As root, redis-server also runs at
// nice -15: the bench machine is shared with other work, the audited server's machine is not.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, setPriority } from 'node:os';

/** redis-server's niceness where the bench may raise it (root): the machine is shared, a server's is not. */
export const SERVER_NICENESS = -15;

export interface Pinning {
  /** What was done, for the results: e.g. "redis-server on CPU 0, the rest on CPU 1", or why not. */
  readonly description: string;
  readonly pinned: boolean;
  /** Pins a server process to the server's CPU (no-op when not pinned) and raises its priority where allowed. */
  pinServer(pid: number): void;
  /** Gives this process its CPUs back. */
  restore(): void;
}

function taskset(args: readonly string[]): { ok: boolean; out: string } {
  const run = spawnSync('taskset', args, { encoding: 'utf8' });
  return { ok: run.status === 0, out: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}

/** Pins this process to CPU 1 when there are at least 2 CPUs and taskset works; otherwise pins nothing. */
export function pinBench(): Pinning {
  const none = (why: string): Pinning => ({ description: `not pinned: ${why}`, pinned: false, pinServer: raisePriority, restore: () => undefined });
  if (cpus().length < 2) return none('fewer than 2 CPUs');
  const current = taskset(['-pc', String(process.pid)]);
  const original = /list:\s*(\S+)/.exec(current.out)?.[1];
  if (!current.ok || original === undefined) return none(`taskset unavailable (${current.out || 'not installed'})`);
  const bench = taskset(['-a', '-pc', '1', String(process.pid)]);
  if (!bench.ok) return none(`taskset failed: ${bench.out}`);
  return {
    description: 'redis-server on CPU 0 (nice -15 as root); the bench, the auditor, holders, prober, exporter and redis-benchmark on CPU 1',
    pinned: true,
    pinServer(pid: number): void {
      const server = taskset(['-a', '-pc', '0', String(pid)]);
      if (!server.ok) throw new Error(`could not pin redis-server (pid ${pid}) to CPU 0: ${server.out}`);
      raisePriority(pid);
    },
    restore(): void {
      taskset(['-a', '-pc', original, String(process.pid)]);
    },
  };
}

/**
 * Niceness SERVER_NICENESS for every thread of pid (Linux: a niceness is per thread), when root; other work on
 * a shared machine then delays the server less.
 */
export function raisePriority(pid: number): void {
  if (process.getuid?.() !== 0) return;
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    tids = [pid];
  }
  for (const tid of tids) {
    try {
      setPriority(tid, SERVER_NICENESS);
    } catch {
      // a thread that just ended, or no permission: left as it is
    }
  }
}
