// Compact history of samples (within one run, and between runs through the state file) and what is
// derived from it: new connections per minute, rejected connections since the last sample, per-source growth.
import type { ClientAnalysis } from './analyse-clients.js';
import type { ServerCounters } from './model.js';
import { workloadCounts, workloadGrowth, type WorkloadCount, type WorkloadGrowth } from './workload-history.js';

/** Counters of one node in one sample. */
export interface NodeCounters {
  readonly node: string;
  readonly takenAtMs: number;
  readonly runId: string | null;
  readonly uptimeSeconds: number | null;
  readonly totalConnectionsReceived: number | null;
  readonly rejectedConnections: number | null;
  readonly connectedClients: number | null;
  /** Connections the auditor itself opened on this node just before this sample (counted by the server). */
  readonly auditorConnects: number;
}

/** One sample, reduced to what history needs: a few hundred bytes, not the client list. */
export interface SampleSummary {
  readonly takenAtMs: number;
  readonly nodes: readonly NodeCounters[];
  /** Connections per source IP: the largest sources only, see `sourcesComplete`. */
  readonly sources: Readonly<Record<string, number>>;
  /** False when sources were cut to the largest: a source missing from `sources` is then unknown, not 0. */
  readonly sourcesComplete: boolean;
  /** [connections, members] of the largest workloads (and the address fleet); absent in states written before workloads. */
  readonly workloads?: Readonly<Record<string, WorkloadCount>>;
}

export const MAX_SOURCES_PER_SAMPLE = 200;
export const MAX_SAMPLES_IN_STATE = 48;
/** Growth looks at this many most recent samples. */
export const GROWTH_WINDOW_SAMPLES = 12;

export function summariseSample(
  takenAtMs: number,
  nodes: ReadonlyArray<{ node: string; takenAtMs: number; counters: ServerCounters; auditorConnects: number }>,
  analysis: ClientAnalysis | null,
): SampleSummary {
  const sources: Record<string, number> = Object.create(null) as Record<string, number>;
  const groups = analysis?.bySourceIp ?? [];
  for (const group of groups.slice(0, MAX_SOURCES_PER_SAMPLE)) sources[group.key] = group.connections;
  return {
    takenAtMs,
    nodes: nodes.map(({ node, takenAtMs: at, counters, auditorConnects }) => ({
      node,
      takenAtMs: at,
      runId: counters.runId,
      uptimeSeconds: counters.uptimeSeconds,
      totalConnectionsReceived: counters.totalConnectionsReceived,
      rejectedConnections: counters.rejectedConnections,
      connectedClients: counters.connectedClients,
      auditorConnects,
    })),
    sources,
    sourcesComplete: analysis !== null && groups.length <= MAX_SOURCES_PER_SAMPLE,
    ...(analysis === null ? {} : { workloads: workloadCounts(analysis.byWorkload, MAX_SOURCES_PER_SAMPLE) }),
  };
}

/**
 * True when the node's counters continue from `a` to `b`: same server process (run_id), uptime moving
 * forward, counters not lower (CONFIG RESETSTAT zeroes them without a restart).
 */
export function sameBaseline(a: NodeCounters, b: NodeCounters): boolean {
  if (a.runId !== null && b.runId !== null && a.runId !== b.runId) return false;
  if (a.uptimeSeconds !== null && b.uptimeSeconds !== null && b.uptimeSeconds < a.uptimeSeconds) return false;
  if (a.totalConnectionsReceived !== null && b.totalConnectionsReceived !== null
    && b.totalConnectionsReceived < a.totalConnectionsReceived) return false;
  if (a.rejectedConnections !== null && b.rejectedConnections !== null
    && b.rejectedConnections < a.rejectedConnections) return false;
  return b.takenAtMs > a.takenAtMs;
}

export interface CounterWindow {
  /** New connections per minute, summed over nodes; null without two comparable samples. */
  readonly newConnectionsPerMinute: number | null;
  /** Connections rejected between the first and last sample; null without two samples. */
  readonly rejectedInWindow: number | null;
  readonly windowSeconds: number;
  /** Sample pairs skipped because the server restarted or its stats were reset. */
  readonly baselineResets: number;
}

/** Shorter windows than this give no rate: a few connections in a few ms would read as thousands a minute. */
const MIN_RATE_WINDOW_MS = 1000;

export function counterWindow(series: readonly SampleSummary[]): CounterWindow {
  const perNode = new Map<string, { connects: number; ms: number; rejected: number; pairs: number }>();
  let resets = 0;
  let rejectedSeen = false;
  for (let i = 1; i < series.length; i += 1) {
    const before = series[i - 1];
    const after = series[i];
    if (before === undefined || after === undefined) continue;
    for (const b of after.nodes) {
      const a = before.nodes.find((n) => n.node === b.node);
      if (a === undefined) continue;
      const acc = perNode.get(b.node) ?? { connects: 0, ms: 0, rejected: 0, pairs: 0 };
      perNode.set(b.node, acc);
      if (!sameBaseline(a, b)) {
        resets += 1;
        // After a restart or reset every rejection the server counts happened since the last sample.
        if (b.rejectedConnections !== null) {
          acc.rejected += b.rejectedConnections;
          rejectedSeen = true;
        }
        continue;
      }
      if (a.totalConnectionsReceived !== null && b.totalConnectionsReceived !== null) {
        acc.connects += Math.max(0, b.totalConnectionsReceived - a.totalConnectionsReceived - b.auditorConnects);
        acc.ms += b.takenAtMs - a.takenAtMs;
        acc.pairs += 1;
      }
      if (a.rejectedConnections !== null && b.rejectedConnections !== null) {
        acc.rejected += b.rejectedConnections - a.rejectedConnections;
        rejectedSeen = true;
      }
    }
  }
  let rate: number | null = null;
  let rejected = 0;
  for (const acc of perNode.values()) {
    rejected += acc.rejected;
    if (acc.pairs > 0 && acc.ms >= MIN_RATE_WINDOW_MS) rate = (rate ?? 0) + (acc.connects * 60_000) / acc.ms;
  }
  const first = series[0];
  const last = series[series.length - 1];
  return {
    newConnectionsPerMinute: rate === null ? null : round(rate, 1),
    rejectedInWindow: rejectedSeen ? rejected : null,
    windowSeconds: first && last ? round((last.takenAtMs - first.takenAtMs) / 1000, 1) : 0,
    baselineResets: resets,
  };
}

/** Per-workload growth over the most recent samples since the last server restart (workload-history.ts). */
export function growthOfWorkloads(series: readonly SampleSummary[], minGrowth: number, minConnections: number): WorkloadGrowth[] {
  return workloadGrowth(sinceLastRestart(series).slice(-GROWTH_WINDOW_SAMPLES), minGrowth, minConnections, MAX_SOURCES_PER_SAMPLE);
}

/** The samples after the last restart or stats reset of any node (connections do not survive a restart). */
function sinceLastRestart(series: readonly SampleSummary[]): readonly SampleSummary[] {
  let start = 0;
  for (let i = 1; i < series.length; i += 1) {
    const before = series[i - 1];
    const after = series[i];
    if (before === undefined || after === undefined) continue;
    const reset = after.nodes.some((b) => {
      const a = before.nodes.find((n) => n.node === b.node);
      return a !== undefined && !sameBaseline(a, b);
    });
    if (reset) start = i;
  }
  return series.slice(start);
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
