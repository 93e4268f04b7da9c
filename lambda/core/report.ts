// The report contract (schemaVersion 1, described by schema/report.schema.json). Scripts and our own
// Lambda read it: fields are only ever added, never renamed or removed.
import type { ClientAnalysis, IdleConnection } from './analyse-clients.js';
import type { ClientGroup } from './client-groups.js';
import type { Finding, FindingKind } from './findings/index.js';
import type { AuditPolicy } from './model.js';
import type { Workload } from './workloads.js';
import type { WorkloadGroup } from './workload-groups.js';
import type { IdentifiedBy } from './workload-identity.js';
import type { ReclaimReport } from './reclaim-report.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface NodeReport {
  readonly address: string;
  readonly role: string | null;
  readonly serverName: string;
  readonly version: string | null;
  readonly uptimeSeconds: number | null;
  readonly run_id: string | null;
  readonly connectedClients: number | null;
  readonly maxClients: number | null;
  readonly clientListAvailable: boolean;
  /** The client list was not read on purpose: no listing fit the stall budget (see `errors`). */
  readonly clientListDeferred?: boolean;
  readonly malformedClientListLines: number;
  readonly samples: number;
  readonly errors: readonly string[];
}

export interface ReportSummary {
  readonly connectedClients: number | null;
  /** Connections analysed: connectedClients less the auditor's own and replication links. */
  readonly analysedConnections: number;
  readonly blockedClients: number | null;
  readonly pubsubClients: number | null;
  readonly trackingClients: number | null;
  readonly idleClients: number;
  readonly inTransactionClients: number;
  /** Sum of maxclients over the nodes. */
  readonly maxClients: number | null;
  /** connected / maxclients of the fullest node (0..1). */
  readonly utilization: number | null;
  readonly newConnectionsPerMinute: number | null;
  readonly rejectedConnections: number | null;
  readonly rejectedSinceLastAudit: number | null;
  readonly suspectedLeaks: number;
  readonly largestSource: { readonly key: string; readonly connections: number } | null;
  /** The workload holding the most connections (summed over its addresses and nodes). */
  readonly largestWorkload: { readonly key: string; readonly label: string; readonly identifiedBy: IdentifiedBy; readonly connections: number; readonly members: number } | null;
  /** Connections held by the workloads suspected of leaking (the leak findings at warning or above). */
  readonly suspectedLeakConnections: number;
  readonly findingsBySeverity: { readonly info: number; readonly warning: number; readonly critical: number };
}

/** A source group; `workload` when its IP was resolved to what runs behind it (enrich-report.ts). */
export type SourceGroup = ClientGroup & { readonly workload?: Workload };

/** A finding as reported (the same shape: the workload is decided by the core). */
export type ReportFinding = Finding & { readonly subject: Finding['subject'] & { readonly workload?: string } };

export interface ReportGroups {
  /** One group per workload (workload-identity.ts): the service behind the connections, summed over its addresses and nodes. */
  readonly byWorkload: readonly WorkloadGroup[];
  readonly bySourceIp: readonly SourceGroup[];
  readonly byName: readonly ClientGroup[];
  readonly byUser: readonly ClientGroup[];
  readonly byLibrary: readonly ClientGroup[];
}

export interface AuditReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  /** The target as given, without credentials. */
  readonly target: string;
  readonly generatedAt: string;
  /** ok: every node audited; partial: some nodes failed or stopped answering between samples; failed: nothing could be read. */
  readonly status: 'ok' | 'partial' | 'failed';
  readonly policy: AuditPolicy;
  readonly nodes: readonly NodeReport[];
  readonly summary: ReportSummary;
  readonly groups: ReportGroups;
  /** How many groups each list left out beyond `policy.listLimit`. */
  readonly groupsOmitted: { readonly byWorkload: number; readonly bySourceIp: number; readonly byName: number; readonly byUser: number; readonly byLibrary: number };
  readonly topIdle: readonly IdleConnection[];
  readonly findings: readonly ReportFinding[];
  /** Findings left out past the report's limit (workload-limitations.ts MAX_FINDINGS); absent when none was. */
  readonly findingsOmitted?: number;
  /** Source IP -> the workload behind it, for the IPs that could be resolved (absent when none was). */
  readonly workloads?: Readonly<Record<string, Workload>>;
  readonly history: {
    /** Where the comparison came from: samples of this run, the state of earlier runs, or nothing. */
    readonly source: 'none' | 'samples' | 'state';
    readonly samplesThisRun: number;
    readonly samplesInState: number;
    readonly windowSeconds: number;
    readonly baselineResets: number;
    readonly warnings: readonly string[];
  };
  /**
   * The cache's own connection metrics from CloudWatch, read when CLIENT LIST is refused by the service
   * (ElastiCache Serverless): absent on every other target.
   */
  readonly serviceMetrics?: ServiceMetricsReport;
  /** What this audit could not see, one plain sentence each (e.g. per-client details when CLIENT LIST was refused). */
  readonly limitations?: readonly string[];
  /** What reclaiming did after the audit (CLI `reclaim`, or the Lambda's armed break-glass); absent otherwise. */
  readonly reclaim?: ReclaimReport;
  readonly auditor: {
    /** client-list: one plain CLIENT LIST; client-list-by-id: CLIENT LIST ID in bounded batches; info-only: no list. */
    readonly method: 'client-list' | 'client-list-by-id' | 'info-only';
    /** CLIENT LIST commands sent in this run (all samples). */
    readonly clientListCommands: number;
    /** The longest single CLIENT LIST round trip, ms: an upper bound of the longest stall the audit caused. */
    readonly longestClientListMs: number;
    /** What listing the clients cost the server in this run, all samples and nodes (core/stall-model.ts). */
    readonly listing: ListingCost;
    readonly connectionsOpened: number;
    readonly commandsSent: number;
    readonly bytesRead: number;
    readonly roundTripMs: number;
    readonly durationMs: number;
    readonly excludedConnections: number;
    readonly excludedReplicationLinks: number;
  };
}

export interface ListingCost {
    /** The stall budget the listing was planned to (`--max-stall-ms`). */
    readonly maxStallMs: number;
    /** Ids looked up by CLIENT LIST ID. */
    readonly idsLookedUp: number;
    readonly clientsListed: number;
    /** Server time of every listing command together, and of the longest one, ms, by the stall model. */
    readonly estimatedServerMs: number;
    readonly estimatedLongestMs: number;
    /** Wall time spent listing, ms. */
    readonly wallMs: number;
    /** How much slower than the stall model the server measured (INFO cpu), at most over the samples; batches were sized for it. */
    readonly speedFactor: number;
}

/** CurrConnections (statistic Maximum) over the window: connections open at the busiest moment of each minute. */
export interface ConnectionCountStats {
  readonly statistic: 'Maximum';
  /** The most recent minute's value, and when that minute started. */
  readonly latest: number;
  readonly latestAt: string;
  /** The oldest minute's value in the window. */
  readonly first: number;
  readonly min: number;
  readonly max: number;
  /** One-minute datapoints CloudWatch returned (at most windowMinutes; fewer when there are gaps). */
  readonly datapoints: number;
}

/** NewConnections (statistic Sum) per minute over the window: connections the cache accepted in each minute. */
export interface NewConnectionStats {
  readonly statistic: 'Sum';
  readonly latest: number;
  readonly latestAt: string;
  /** Mean over the datapoints returned (minutes without a datapoint are left out, not counted as 0). */
  readonly average: number;
  readonly max: number;
  /** All new connections in the datapoints returned. */
  readonly total: number;
  readonly datapoints: number;
}

/** The `serviceMetrics` block: numbers only, never a credential. */
export interface ServiceMetricsReport {
  readonly source: 'cloudwatch';
  readonly namespace: 'AWS/ElastiCache';
  readonly dimensions: { readonly clusterId: string };
  readonly periodSeconds: number;
  readonly windowMinutes: number;
  /** The window read, whole minutes: [windowStart, windowEnd). */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** null when CloudWatch returned no datapoint (or could not be read). */
  readonly currConnections: ConnectionCountStats | null;
  readonly newConnectionsPerMinute: NewConnectionStats | null;
  /** Why the metrics could not be read, one line; absent when they were. */
  readonly error?: string;
}

/** Kinds that point at a leaking application (counted in summary.suspectedLeaks at warning or above). */
export const LEAK_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>([
  'idle-connections',
  'connection-growth',
  'pubsub-leak',
  'blocked-clients',
  'open-transaction',
]);

/** The leak findings at warning or above: what summary.suspectedLeaks counts, by workload. */
export function leakFindings<T extends Finding>(findings: readonly T[]): T[] {
  return findings.filter((f) => LEAK_KINDS.has(f.kind) && f.severity !== 'info');
}

/** Leaking workloads, not findings: a workload with a leak and open transactions is one suspect. */
export function countSuspectedLeaks(findings: readonly Finding[]): number {
  return new Set(leakFindings(findings).map((f) => f.subject.workload ?? f.subject.sourceIp ?? f.message)).size;
}

/** The report's group lists, cut to `limit`; byLibrary is left empty when the server cannot report libraries (see limitations). */
export function boundedGroups(analysis: ClientAnalysis | null, limit: number, options: { readonly libraries: boolean } = { libraries: true }): Pick<AuditReport, 'groups' | 'groupsOmitted'> {
  const cut = <G>(list: readonly G[] | undefined) => (list ?? []).slice(0, limit);
  const over = (list: readonly unknown[] | undefined) => Math.max(0, (list?.length ?? 0) - limit);
  const byLibrary = options.libraries ? analysis?.byLibrary : [];
  return {
    groups: {
      byWorkload: cut(analysis?.byWorkload),
      bySourceIp: cut(analysis?.bySourceIp),
      byName: cut(analysis?.byName),
      byUser: cut(analysis?.byUser),
      byLibrary: cut(byLibrary),
    },
    groupsOmitted: {
      byWorkload: over(analysis?.byWorkload),
      bySourceIp: over(analysis?.bySourceIp),
      byName: over(analysis?.byName),
      byUser: over(analysis?.byUser),
      byLibrary: over(byLibrary),
    },
  };
}
