// The report's summary block: server-wide totals from INFO, what the client analysis adds, and the
// numbers derived from history.
import type { ClientAnalysis } from './analyse-clients.js';
import { maxClientsOf, type Finding, type NodeView } from './findings/index.js';
import type { CounterWindow } from './history.js';
import type { ServerCounters } from './model.js';
import { leakFindings, type ReportSummary } from './report.js';

/** Sum of a counter over nodes; null when no node reported it. */
function total(counters: readonly ServerCounters[], pick: (c: ServerCounters) => number | null): number | null {
  let result: number | null = null;
  for (const c of counters) {
    const value = pick(c);
    if (value !== null) result = (result ?? 0) + value;
  }
  return result;
}

export function buildSummary(
  counters: readonly ServerCounters[],
  views: readonly NodeView[],
  analysis: ClientAnalysis | null,
  window: CounterWindow,
  findings: readonly Finding[],
  suspectedLeaks: number,
): ReportSummary {
  let maxClients: number | null = null;
  let utilization: number | null = null;
  for (const view of views) {
    const max = maxClientsOf(view);
    if (max === null || max <= 0) continue;
    maxClients = (maxClients ?? 0) + max;
    const connected = view.counters.connectedClients;
    if (connected !== null) utilization = Math.max(utilization ?? 0, Math.round((connected / max) * 1000) / 1000);
  }
  const largest = analysis?.bySourceIp[0];
  const largestWorkload = analysis?.byWorkload[0];
  const leaks = leakFindings(findings);
  const leaking = new Set(leaks.map((f) => f.subject.workload));
  const suspectedLeakConnections = (analysis?.byWorkload ?? []).filter((g) => leaking.has(g.label)).reduce((sum, g) => sum + g.connections, 0)
    + leaks.filter((f) => f.subject.identifiedBy === 'address-fleet').reduce((sum, f) => sum + (f.evidence.connections ?? 0), 0);
  const bySeverity = { info: 0, warning: 0, critical: 0 };
  for (const f of findings) bySeverity[f.severity] += 1;
  return {
    connectedClients: total(counters, (c) => c.connectedClients),
    analysedConnections: analysis?.analysedConnections ?? 0,
    blockedClients: total(counters, (c) => c.blockedClients) ?? analysis?.blocked ?? null,
    // pubsub_clients is in INFO from Redis 7.4; before that, count subscribers in CLIENT LIST.
    pubsubClients: counters.length > 0 && counters.every((c) => c.pubsubClients !== null)
      ? total(counters, (c) => c.pubsubClients)
      : analysis?.pubsub ?? null,
    trackingClients: total(counters, (c) => c.trackingClients) ?? analysis?.tracking ?? null,
    idleClients: analysis?.idle ?? 0,
    inTransactionClients: analysis?.inTransaction ?? 0,
    maxClients,
    utilization,
    newConnectionsPerMinute: window.newConnectionsPerMinute,
    rejectedConnections: total(counters, (c) => c.rejectedConnections),
    rejectedSinceLastAudit: window.rejectedInWindow,
    suspectedLeaks,
    largestSource: largest === undefined ? null : { key: largest.key, connections: largest.connections },
    largestWorkload: largestWorkload === undefined ? null : {
      key: largestWorkload.key, label: largestWorkload.label, identifiedBy: largestWorkload.identifiedBy,
      connections: largestWorkload.connections, members: largestWorkload.members,
    },
    suspectedLeakConnections,
    findingsBySeverity: bySeverity,
  };
}
