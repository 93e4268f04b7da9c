// One audit of one target, end to end: connect, take the samples, always close, then let the core
// decide. Shared by the CLI and the Lambda; delivery (terminal, files, S3, CloudWatch, SNS) is theirs.
import { guarded, type ProgressListener } from './audit-progress.js';
import { asAuditError, runClusterAudit } from './cluster-audit.js';
import { collectorOptionsFor } from './collector-options.js';
import { assessAudit, type AuditOutcome, type FailedNode } from './core/audit.js';
import { isClusterMode } from './core/cluster-nodes.js';
import { AuditError, DeadlineReachedError, MaxClientsReachedError } from './core/errors.js';
import type { AuditPolicy, RawNodeSample } from './core/model.js';
import type { AuditState } from './core/state.js';
import { NodeCollector } from './redis/node-collector.js';
import { hostPort, type RedisTarget } from './redis/target-url.js';
import { resolvedSourcesOf, type SourceResolver } from './resolve-sources.js';

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
  readonly clusterAllow?: import('./core/cluster-rules.js').AllowList;
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
  readonly serviceMetrics?: import('./core/service-metrics.js').ServiceMetricsEvidence;
}

export interface RunAuditResult extends AuditOutcome {
  /** Why the target could not be audited (or stopped early); null when every sample was taken. */
  readonly error: AuditError | null;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runAudit(options: RunAuditOptions): Promise<RunAuditResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const progress = guarded(options.onProgress);
  const startedAtMs = now();
  const samples: RawNodeSample[][] = [];
  const failedNodes: FailedNode[] = [];
  let error: AuditError | null = null;

  let collector: NodeCollector | undefined;
  const node = hostPort(options.target.host, options.target.port);
  try {
    if (options.preflightError) throw options.preflightError;
    const left = () => (options.deadlineAtMs === undefined ? Number.POSITIVE_INFINITY : options.deadlineAtMs - now());
    if (left() <= 0) throw new DeadlineReachedError(`the audit deadline was reached before ${options.target.display} was contacted`);
    const connectTimeoutMs = Math.max(1, Math.min(options.connectTimeoutMs, left()));
    collector = await NodeCollector.open(options.target, { ...options, connectTimeoutMs }, collectorOptionsFor(options, node, progress));
    for (let i = 0; i < options.samples; i += 1) {
      if (i > 0) {
        if (left() <= options.intervalMs) throw new DeadlineReachedError(`the audit deadline was reached after ${i} of ${options.samples} samples`);
        progress({ kind: 'waiting', sample: i + 1, of: options.samples, nextInMs: options.intervalMs });
        await sleep(options.intervalMs);
      }
      progress({ kind: 'sample', sample: i + 1, of: options.samples, node });
      const raw = await collector.sample(now, options.deadlineAtMs === undefined ? {} : { deadlineAtMs: options.deadlineAtMs });
      if (i === 0 && isClusterMode(raw.infoText)) {
        // The cluster path owns the seed's connection from here on, and closes it.
        const seed = collector;
        collector = undefined;
        return await runClusterAudit({ options, seed, firstSample: raw, startedAtMs, now, sleep });
      }
      samples.push([i === 0 && options.cluster === true ? notACluster(raw, options.target.display) : raw]);
    }
  } catch (err) {
    error = asAuditError(err);
    const last = samples[samples.length - 1]?.[0];
    if (last === undefined) {
      failedNodes.push({
        node,
        error: error.message,
        refusedMaxClients: error instanceof MaxClientsReachedError,
      });
    } else {
      // Keep what was read before the failure and say why sampling stopped.
      samples[samples.length - 1] = [{ ...last, errors: [...last.errors, `sampling stopped early: ${error.message}`] }];
    }
  } finally {
    await collector?.close();
  }

  const outcome = assessAudit({
    target: options.target.display,
    resolvedSources: await resolvedSourcesOf(options.resolveSources, samples[samples.length - 1]),
    samples,
    failedNodes,
    interruptedNodes: error !== null && samples.length > 0 ? [node] : [],
    previousState: options.previousState,
    stateWarnings: options.stateWarnings ?? [],
    policy: options.policy,
    startedAtMs,
    nowMs: now(),
    toolVersion: options.toolVersion,
    // Only what this run actually listed is remembered; a failed run keeps the previous memory.
    ...(collector && samples.length > 0 ? { collectionMemory: { [node]: collector.memory } } : {}),
  });
  return { ...outcome, error };
}

function notACluster(raw: RawNodeSample, display: string): RawNodeSample {
  return { ...raw, errors: [...raw.errors, `cluster mode was asked for, but ${display} is not in cluster mode (cluster_enabled:0): audited as a single node`] };
}
