// The CloudWatch metrics of one audit (docs/design.md, Contract: AWS), as plain data: the MetricSink adapter
// publishes them, the CDK alarms and dashboard refer to the same names and units.
// A value the audit could not know is left out, never sent as 0: a fake zero would hide the very outage
// (or the missing CLIENT LIST) an alarm on "SuspectedLeaks >= 1" or on the heartbeat must notice.
import type { AuditReport } from './report.js';

export const METRIC_NAMESPACE = 'RedisLeakAuditor';
export const TARGET_DIMENSION = 'Target';
export const NODE_DIMENSION = 'Node';

export const METRIC_NAMES = [
  'ConnectedClients',
  'BlockedClients',
  'PubSubClients',
  'IdleClients',
  'NewConnectionsPerMinute',
  'RejectedConnections',
  'MaxClientsUtilization',
  'SuspectedLeaks',
  'LargestSourceConnections',
  // Workloads (workload-identity.ts): one series each per target, whatever the number of workloads.
  'LargestWorkloadConnections',
  'SuspectedLeakConnections',
  'AuditDurationMs',
  'AuditSucceeded',
  // Per run of tag discovery (dimension Fleet only): 1 when the caches could be listed, and how many matched.
  'DiscoverySucceeded',
  'DiscoveredTargets',
  // The break-glass (issue 19): connections it closed in this run; sent only while it is armed (0 when it did not act).
  'ConnectionsReclaimed',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** CloudWatch StandardUnit strings used here. */
export type MetricUnit = 'Count' | 'Percent' | 'Milliseconds' | 'None';

/** One unit per metric, so that alarms (which match on unit when given one) and data agree. */
export const METRIC_UNITS: Readonly<Record<MetricName, MetricUnit>> = {
  ConnectedClients: 'Count',
  BlockedClients: 'Count',
  PubSubClients: 'Count',
  IdleClients: 'Count',
  // CloudWatch has no Count/Minute unit; the name carries the rate.
  NewConnectionsPerMinute: 'None',
  RejectedConnections: 'Count',
  MaxClientsUtilization: 'Percent',
  SuspectedLeaks: 'Count',
  LargestSourceConnections: 'Count',
  LargestWorkloadConnections: 'Count',
  SuspectedLeakConnections: 'Count',
  AuditDurationMs: 'Milliseconds',
  AuditSucceeded: 'Count',
  DiscoverySucceeded: 'Count',
  DiscoveredTargets: 'Count',
  ConnectionsReclaimed: 'Count',
};

/** Metrics that also get a per-node copy (dimensions Target + Node) when the target has several nodes. */
export const PER_NODE_METRICS: readonly MetricName[] = ['ConnectedClients', 'MaxClientsUtilization'];

export interface MetricDatum {
  readonly name: MetricName;
  readonly value: number;
  readonly unit: MetricUnit;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** CloudWatch rejects dimension values longer than 1024 characters or empty ones. */
const MAX_DIMENSION_VALUE = 1024;

export function metricsFor(report: AuditReport, targetName: string, nowMs: number): MetricDatum[] {
  const target = dimensionValue(targetName);
  const { summary } = report;
  // Per-source numbers exist only when some node answered CLIENT LIST; INFO-only or failed runs did not see them.
  const sawClients = report.status !== 'failed' && report.auditor.method !== 'info-only';
  // Serverless: no client list, but the cache's own CloudWatch series decide its target-wide growth and churn
  // findings, so the leak count is known (a source-level count is not: no LargestSourceConnections).
  const sawSeries = report.status !== 'failed' && report.serviceMetrics !== undefined && report.serviceMetrics.error === undefined
    && report.serviceMetrics.currConnections !== null;
  const data: MetricDatum[] = [];
  const add = (name: MetricName, value: number | null | undefined, dimensions: Record<string, string> = { [TARGET_DIMENSION]: target }) => {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    data.push({ name, value, unit: METRIC_UNITS[name], dimensions, timestampMs: nowMs });
  };

  add('ConnectedClients', summary.connectedClients);
  add('BlockedClients', summary.blockedClients);
  add('PubSubClients', summary.pubsubClients);
  add('IdleClients', sawClients ? summary.idleClients : null);
  add('NewConnectionsPerMinute', summary.newConnectionsPerMinute);
  add('RejectedConnections', summary.rejectedSinceLastAudit);
  add('MaxClientsUtilization', summary.utilization === null ? null : toPercent(summary.utilization));
  add('SuspectedLeaks', sawClients || sawSeries ? summary.suspectedLeaks : null);
  add('LargestSourceConnections', sawClients ? summary.largestSource?.connections ?? 0 : null);
  // The workload's name is not a dimension: names come and go, and every one would be a new paid series.
  add('LargestWorkloadConnections', sawClients ? summary.largestWorkload?.connections ?? 0 : null);
  add('SuspectedLeakConnections', sawClients ? summary.suspectedLeakConnections : null);
  add('AuditDurationMs', report.auditor.durationMs);
  add('AuditSucceeded', report.status === 'failed' ? 0 : 1);
  // Only while the break-glass is armed: a series of zeros then says it looked and had nothing to do.
  if (report.reclaim?.mode === 'break-glass') add('ConnectionsReclaimed', report.reclaim.killed);

  if (report.nodes.length > 1) {
    for (const node of report.nodes) {
      const dimensions = { [TARGET_DIMENSION]: target, [NODE_DIMENSION]: dimensionValue(node.address) };
      add('ConnectedClients', node.connectedClients, dimensions);
      const utilization = node.connectedClients !== null && node.maxClients !== null && node.maxClients > 0
        ? toPercent(node.connectedClients / node.maxClients)
        : null;
      add('MaxClientsUtilization', utilization, dimensions);
    }
  }
  return data;
}

/** A 0..1 share as a percentage with one decimal (0.973 -> 97.3), free of floating-point tails. */
function toPercent(share: number): number {
  return Math.round(share * 1000) / 10;
}

function dimensionValue(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return 'unknown';
  return Array.from(trimmed).slice(0, MAX_DIMENSION_VALUE).join('');
}
