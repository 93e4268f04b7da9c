// Findings are data: a kind, a severity, who it is about, the numbers behind it and the fix.
import type { ClientAnalysis } from '../analyse-clients.js';
import type { CounterWindow } from '../history.js';
import type { WorkloadGrowth } from '../workload-history.js';
import type { IdentifiedBy } from '../workload-identity.js';
import type { AuditPolicy, ServerConfig, ServerCounters } from '../model.js';

export const FINDING_KINDS = [
  'idle-connections',
  'connection-growth',
  'connection-churn',
  'pubsub-leak',
  'blocked-clients',
  'open-transaction',
  'maxclients-pressure',
  'maxclients-exhausted',
  'rejected-connections',
  'no-idle-timeout',
  'unnamed-clients',
  'client-list-unavailable',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export interface FindingSubject {
  /** The workload the finding is about (workload-identity.ts): `orders-api`, `ECS service orders (cluster prod)`, an address. */
  readonly workload?: string;
  readonly identifiedBy?: IdentifiedBy;
  /** The address, when the workload has one (a fleet's addresses are in `relatedSources`). */
  readonly sourceIp?: string;
  readonly clientName?: string;
  readonly user?: string;
  readonly node?: string;
  /**
   * The code location that leaks, when the workload's connection names carry one (`service@origin`,
   * origin-name.ts): `src/handlers/user.ts:42`, or `#1a2b3c4d` when hashed. The leaking origin holding the most.
   */
  readonly origin?: string;
}

/** One leaking origin of a workload's finding, with its numbers (findings/leaking-origins.ts). */
export interface FindingOrigin {
  readonly origin: string;
  /** The origin is a hash (`#1a2b3c4d`): the service's own tracking maps it to its file and line. */
  readonly hashed: boolean;
  /** The connections the finding counts from this origin (the leaking-origin rule in leaking-origins.ts). */
  readonly leakingConnections: number;
  readonly connections: number;
  readonly idleConnections: number;
  readonly usedOnceIdleConnections: number;
  readonly idleSubscribers: number;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly subject: FindingSubject;
  /** One sentence a person reads first: what, where, how many. */
  readonly message: string;
  /** The numbers behind the finding. */
  readonly evidence: Readonly<Record<string, number>>;
  /** The fix for this pattern. */
  readonly recommendation: string;
  /** The largest addresses behind a fleet's finding, or behind a target-wide one (churn: the workloads whose connections were caught in flight). */
  readonly relatedSources?: ReadonlyArray<{ readonly sourceIp: string; readonly connections: number }>;
  /** The leaking origins of a workload whose connection names carry them, most leaking connections first, at most LEAKING_ORIGINS_LISTED. */
  readonly leakingOrigins?: readonly FindingOrigin[];
}

/** One node as the checks see it. */
export interface NodeView {
  readonly node: string;
  readonly counters: ServerCounters;
  readonly config: ServerConfig;
  readonly clientListAvailable: boolean;
  /** The node refused the auditor's connection with "max number of clients reached". */
  readonly refusedMaxClients: boolean;
  /** The node could not be audited at all (unreachable, auth, timeout). */
  readonly failed: boolean;
}

export interface CheckContext {
  readonly policy: AuditPolicy;
  /** null when no node returned a client list. */
  readonly analysis: ClientAnalysis | null;
  readonly nodes: readonly NodeView[];
  /** Counters compared across samples or runs; all-null without history. */
  readonly window: CounterWindow;
  /** Workloads whose connections grew beyond what new members explain (workload-history.ts). */
  readonly growth: readonly WorkloadGrowth[];
}

export type Check = (context: CheckContext) => Finding[];
