// The selection's input from an audit: its report (status, findings, resolved workloads, the node's role) and
// the node's last sample (the listing, whether it was complete, the auditor's own addresses). The CLI's
// `reclaim` and the Lambda's break-glass select from the same audit the report describes, never from a second
// listing: the report and the selection cannot disagree on who a connection belongs to, and no extra CLIENT LIST
// stalls the server (the audit's listing was planned within the stall budget).
import { isClusterMode } from './cluster-nodes.js';
import type { RawNodeSample } from './model.js';
import { parseClientList } from './parse-client-list.js';
import type { ReclaimInput } from './reclaim-selection.js';
import type { AuditReport } from './report.js';
import type { Workload } from './workloads.js';

export function reclaimInputOf(report: AuditReport, sample: RawNodeSample): ReclaimInput {
  const node = report.nodes.find((n) => n.address === sample.node) ?? report.nodes[0];
  const parsed = sample.clientListText === null ? null : parseClientList(sample.clientListText);
  return {
    clients: parsed?.clients ?? [],
    role: node?.role === 'master' ? 'primary' : 'replica',
    reportStatus: report.status,
    // No listing, a listing cut short or one with lines that could not be read: some connection's owner is unknown.
    listingComplete: parsed !== null && parsed.malformedLines === 0 && sample.incomplete !== true,
    auditorAddresses: sample.auditorAddresses,
    findings: report.findings,
    ...(report.workloads ? { resolvedSources: new Map<string, Workload>(Object.entries(report.workloads)) } : {}),
  };
}

/**
 * Whether the audit was of a Redis Cluster: several nodes, or one node whose INFO says cluster mode. Both entry
 * points refuse a cluster (slots move between nodes, and each node would need its own goal and selection).
 */
export function isClusterAudit(report: AuditReport, lastRound: readonly RawNodeSample[]): boolean {
  return report.nodes.length > 1 || lastRound.length > 1 || lastRound.some((sample) => isClusterMode(sample.infoText));
}
