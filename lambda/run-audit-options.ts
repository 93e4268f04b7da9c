// What one audit of one target is given and gives back, for runAudit (lambda/run-audit.ts) and the
// sampling it shares with the cluster path (lambda/node-sampler.ts, lambda/cluster-audit.ts). Types only,
// in their own file so that the modules of the sampler can name them without importing the entry.
import type { ProgressListener } from './audit-progress.js';
import type { AuditOutcome } from './core/audit.js';
import type { AllowList } from './core/cluster-rules.js';
import type { AuditError } from './core/errors.js';
import type { AuditPolicy, RawNodeSample } from './core/model.js';
import type { ServiceMetricsEvidence } from './core/service-metrics.js';
import type { AuditState } from './core/state.js';
import type { RedisTarget } from './redis/target-url.js';
import type { SourceResolver } from './resolve-sources.js';

export interface RunAuditOptions {
  readonly target: RedisTarget;
  /** Samples to take in this run (1 = one snapshot). */
  readonly samples: number;
  readonly intervalMs: number;
  readonly policy: AuditPolicy;
  readonly previousState: AuditState | null;
  readonly stateWarnings?: readonly string[];
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly toolVersion: string;
  /**
   * Audit every node of a Redis Cluster (CLI `--cluster`, Lambda `cluster: true`). Without it a cluster is
   * still detected from the seed's INFO; with it, a seed that is not in cluster mode is audited alone and says so.
   */
  readonly cluster?: boolean;
  /** Networks and host names, beyond the seed's own network, whose announced cluster nodes may be contacted with the seed's credentials (core/cluster-rules.ts). @default none */
  readonly clusterAllow?: AllowList;
  /** Epoch ms after which no command is started: sampling stops and what was read is reported (core/deadline.ts). */
  readonly deadlineAtMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A failure met before connecting (e.g. credentials): the run reports the target failed without connecting. */
  readonly preflightError?: AuditError;
  /**
   * Names the AWS resources behind the clients' source IPs (the Lambda's EC2/ECS lookups), called once after
   * sampling, with every connection closed, and before the assessment, which groups clients by them.
   * Must not throw (an unresolved IP stays an IP). Absent: the CLI, or resolution off.
   */
  readonly resolveSources?: SourceResolver;
  /**
   * Told as the run goes: each node's sample starting, the pause before the next sample, the clients listed
   * so far (the CLI's progress line on a terminal). Must be quick; whatever it throws is ignored. @default none
   */
  readonly onProgress?: ProgressListener;
  /** A serverless cache's CloudWatch connection metrics (read before the audit), decided on by the core's assessment. @default none */
  readonly serviceMetrics?: ServiceMetricsEvidence;
}

export interface RunAuditResult extends AuditOutcome {
  /** Why the target could not be audited (or stopped early); null when every sample was taken. */
  readonly error: AuditError | null;
  /** The last round's samples, one per node that gave one: what reclaiming selects from (issue 19). */
  readonly lastRound: readonly RawNodeSample[];
}
