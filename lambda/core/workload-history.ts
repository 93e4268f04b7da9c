// Workloads in the history: each sample keeps the connections and members of its largest workloads,
// and growth is judged per workload across samples and runs. A fleet's size is not a leak: growth that
// new members explain (a scale-out, a rolling deployment's overlap) is left out, so 40 pods with steady
// pools of 10 never grow, and 40 pods adding 2 connections each a run do.
import type { WorkloadGroup } from './workload-groups.js';
import { ADDRESS_FLEET_KEY } from './workload-identity.js';

/** [connections, members] of one workload in one sample. */
export type WorkloadCount = readonly [number, number];

export interface WorkloadGrowth {
  readonly key: string;
  readonly first: number;
  readonly last: number;
  readonly firstMembers: number;
  readonly lastMembers: number;
  /** Connections gained beyond what the change in members explains: the growth judged. */
  readonly unexplained: number;
  readonly samples: number;
  readonly windowSeconds: number;
  /** Raw growth a minute, last against first. */
  readonly perMinute: number;
}

/** What a sample keeps of its workloads: the largest `limit`, and the address fleet (every address-identified one). */
export function workloadCounts(groups: readonly WorkloadGroup[], limit: number): Record<string, WorkloadCount> {
  const out: Record<string, WorkloadCount> = Object.create(null) as Record<string, WorkloadCount>;
  let fleetConnections = 0;
  let fleetMembers = 0;
  for (const group of groups) {
    if (group.identifiedBy === 'source-address') {
      fleetConnections += group.connections;
      fleetMembers += group.members;
    }
  }
  for (const group of groups.slice(0, limit)) out[group.key] = [group.connections, group.members];
  if (fleetMembers > 0) out[ADDRESS_FLEET_KEY] = [fleetConnections, fleetMembers];
  return out;
}

interface TimedCounts {
  readonly takenAtMs: number;
  readonly workloads?: Readonly<Record<string, WorkloadCount>> | undefined;
  readonly nodes: ReadonlyArray<{ readonly connectedClients: number | null }>;
}

interface Point {
  readonly at: number;
  readonly count: WorkloadCount;
  /** Absent from a sample that kept every workload: 0 then, unless its key changed (see workloadGrowth). */
  readonly filled: boolean;
}

/**
 * Workloads whose connections rose across the window: the latest count is the highest seen, at least
 * `minConnections`, and it exceeds the first by `minGrowth` (and 10%) more than the change in members
 * explains. A workload missing from a sample that kept every workload had none there; but its key may
 * have changed instead (an address resolved this run and not the last), so growth "from 0" counts only
 * as far as the target's own connections grew too. Missing from a cut sample, it is unknown there.
 */
export function workloadGrowth(window: readonly TimedCounts[], minGrowth: number, minConnections: number, limit: number): WorkloadGrowth[] {
  const latest = window[window.length - 1];
  if (latest?.workloads === undefined || window.length < 2) return [];
  const found: WorkloadGrowth[] = [];
  for (const [key, [last, lastMembers]] of Object.entries(latest.workloads)) {
    if (last < minConnections) continue;
    const known = window.map((s) => pointOf(s, key, limit)).filter((p): p is Point => p !== null);
    const first = known[0];
    if (first === undefined || known.length < 2 || first.at >= latest.takenAtMs) continue;
    if (known.some((p) => p.count[0] > last)) continue;
    const [firstCount, firstMembers] = first.count;
    const explained = firstCount * Math.max(1, firstMembers > 0 ? lastMembers / firstMembers : 1);
    const credit = first.filled ? targetGrowth(window.find((s) => s.takenAtMs === first.at), latest) : Number.POSITIVE_INFINITY;
    const unexplained = Math.floor(Math.min(last - explained, credit));
    if (unexplained < Math.max(minGrowth, Math.ceil(firstCount * 0.1))) continue;
    const minutes = (latest.takenAtMs - first.at) / 60_000;
    found.push({
      key,
      first: firstCount,
      last,
      firstMembers,
      lastMembers,
      unexplained,
      samples: known.length,
      windowSeconds: Math.round(minutes * 600) / 10,
      perMinute: Math.round(((last - firstCount) / minutes) * 10) / 10,
    });
  }
  return found.sort((a, b) => b.unexplained - a.unexplained || a.key.localeCompare(b.key));
}

function pointOf(sample: TimedCounts, key: string, limit: number): Point | null {
  const count = sample.workloads?.[key];
  if (count !== undefined) return { at: sample.takenAtMs, count, filled: false };
  if (sample.workloads === undefined) return null;
  const kept = Object.keys(sample.workloads).filter((k) => k !== ADDRESS_FLEET_KEY).length;
  return kept < limit ? { at: sample.takenAtMs, count: [0, 0], filled: true } : null;
}

/** How much the target's connections grew between two samples; 0 when a node did not report them. */
function targetGrowth(from: TimedCounts | undefined, to: TimedCounts): number {
  const connected = (sample: TimedCounts) => sample.nodes.reduce((sum, n) => sum + (n.connectedClients ?? Number.NaN), 0);
  const growth = from === undefined ? Number.NaN : connected(to) - connected(from);
  return Number.isFinite(growth) ? Math.max(0, growth) : 0;
}

export function isWorkloadCounts(value: unknown): value is Record<string, WorkloadCount> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => Array.isArray(v) && v.length === 2
    && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0));
}
