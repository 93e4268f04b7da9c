// One target's run in the Lambda: state in, audit, report out to S3, metrics to CloudWatch, a summary to
// SNS when something new or worse appeared, state back. Each delivery step fails alone (delivery-steps.ts):
// it is logged and counted, and the others still run.
import { baseTarget } from './auth/target-credentials.js';
import type { LambdaConfig, TargetConfig } from './config.js';
import { parseClusterAllowList } from './core/cluster-rules.js';
import { auditDeadlineAtMs } from './core/deadline.js';
import { AuditError } from './core/errors.js';
import { withNotifyState, type NotifyReason } from './core/notify-policy.js';
import type { AuditReport } from './core/report.js';
import type { Workload } from './core/workloads.js';
import { breakGlassAfterAudit, type BreakGlassRunSettings } from './break-glass-run.js';
import { deliverReport } from './deliver-report.js';
import { DeliveryAttempts, type DeliveryStep } from './delivery-steps.js';
import type { IpResolver, MetricSink, Notifier, ReportStore, ServiceMetricsSource, StoredReport } from './publish/ports.js';
import { readCacheMetrics, type CacheMetricsSettings } from './read-cache-metrics.js';
import type { RedisTarget } from './redis/target-url.js';
import { runAudit, type RunAuditResult } from './run-audit.js';
import { describeError, targetLog, type LogSink, type TargetLog } from './target-log.js';
import { notifyIfNews, type NotifyOutcome, type NotifySettings } from './target-notification.js';
import { loadPreviousState, saveNextState, type PreviousState } from './target-state.js';

export type { LogSink } from './target-log.js';
export type { DeliveryStep } from './delivery-steps.js';

/** What the audit itself needs of the configuration. */
type AuditSettings = Pick<LambdaConfig, 'samples' | 'sampleIntervalSeconds' | 'policy' | 'connectTimeoutMs' | 'commandTimeoutMs' | 'auditDeadlineSeconds'>;

/** The settings one target's run uses (a LambdaConfig has them all); each step is given only its own. */
export type TargetRunSettings = AuditSettings & CacheMetricsSettings & NotifySettings & BreakGlassRunSettings;

export interface TargetDeps {
  readonly store: ReportStore;
  readonly metrics: MetricSink;
  /** null when no topic is configured. */
  readonly notifier: Notifier | null;
  readonly logger: LogSink;
  /** Names the workloads behind source IPs in the report; absent: the report shows IPs only. */
  readonly resolver?: IpResolver;
  /**
   * The cache's own connection metrics, read for targets with `serverless: true` and a `cacheName`
   * (ElastiCache Serverless refuses CLIENT LIST). Absent: such targets are reported from INFO alone.
   */
  readonly serviceMetrics?: ServiceMetricsSource;
  readonly connectable: (target: TargetConfig) => Promise<RedisTarget>;
  /** The target with its break-glass credential (reclaimSecretArn) instead of the audit's; absent: the break-glass never kills. */
  readonly reclaimConnectable?: (target: TargetConfig) => Promise<RedisTarget>;
  readonly toolVersion: string;
  /** When the Lambda invocation ends (epoch ms): every target's audit ends before, leaving time to deliver. */
  readonly invocationEndsAtMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface TargetOutcome {
  readonly target: string;
  readonly status: AuditReport['status'];
  readonly findings: number;
  readonly suspectedLeaks: number;
  readonly reportKey: string | null;
  readonly notified: boolean;
  readonly notifyReason: NotifyReason;
  /** Delivery steps that failed after their retries, in the order they ran. */
  readonly deliveryFailures: readonly DeliveryStep[];
}

export async function auditTarget(settings: TargetRunSettings, target: TargetConfig, deps: TargetDeps): Promise<TargetOutcome> {
  const now = deps.now ?? Date.now;
  const log = targetLog(deps.logger, target.name);
  const deliveries = new DeliveryAttempts(log);
  const previous = await loadPreviousState(deps.store, target, deliveries, log);
  const audited = await auditWithEvidence(settings, target, deps, previous, log);
  // Armed only by RECLAIM_BREAK_GLASS; before delivery, so that the report, its metric and the summary say what it did.
  const result = await breakGlassAfterAudit(settings, target, audited, previous.state, deps, log);
  const { report } = result;
  const stored = await deliverReport(deps, target.name, report, result.state.samples, now, deliveries);
  const notification = await notifyIfNews(settings, deps.notifier, { targetName: target.name, report, previousState: previous.state, stored, now }, deliveries);
  await saveNextState(deps.store, target.name, previous, withNotifyState(result.state, notification.state), deliveries);
  return outcomeOf(target.name, report, stored, notification, deliveries.failures, log);
}

/** The target's credentials and, for a serverless cache, its CloudWatch metrics; then the audit, which decides with them. */
async function auditWithEvidence(
  settings: AuditSettings & CacheMetricsSettings, target: TargetConfig, deps: TargetDeps, previous: PreviousState, log: TargetLog,
): Promise<RunAuditResult> {
  const now = deps.now ?? Date.now;
  const { connectable, preflightError } = await withCredentials(target, deps.connectable);
  // Not read for a target that cannot be audited at all: the assessment would have nothing to weigh them with.
  const serviceMetrics = preflightError ? undefined : await readCacheMetrics(settings, target, deps.serviceMetrics, now(), log);
  const result = await runAudit({
    target: connectable,
    samples: settings.samples,
    intervalMs: settings.sampleIntervalSeconds * 1000,
    policy: settings.policy,
    previousState: previous.state,
    stateWarnings: previous.warnings,
    connectTimeoutMs: settings.connectTimeoutMs,
    commandTimeoutMs: settings.commandTimeoutMs,
    toolVersion: deps.toolVersion,
    // Every node of a cluster; a cluster is also detected from the seed's INFO without it.
    ...(target.cluster === true ? { cluster: true } : {}),
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(preflightError ? { preflightError } : {}),
    deadlineAtMs: auditDeadlineAtMs(now(), settings.auditDeadlineSeconds, deps.invocationEndsAtMs),
    ...(target.clusterAllow ? { clusterAllow: parseClusterAllowList(target.clusterAllow) } : {}),
    // Clients are grouped by the AWS resource behind their address: looked up after sampling, before the assessment.
    ...(deps.resolver ? { resolveSources: sourceResolver(deps.resolver, log) } : {}),
    ...(serviceMetrics ? { serviceMetrics } : {}),
  });
  if (result.error) log('warn', 'audit did not complete', { error: result.error.message, errorType: result.error.name });
  return result;
}

/** The target with its credentials, or without them and the error that stops its audit before connecting. */
async function withCredentials(target: TargetConfig, connectable: TargetDeps['connectable']): Promise<{ connectable: RedisTarget; preflightError?: AuditError }> {
  try {
    return { connectable: await connectable(target) };
  } catch (err) {
    const preflightError = err instanceof AuditError ? err : new AuditError(`credentials for ${target.name} failed (${describeError(err)})`);
    return { connectable: baseTarget(target), preflightError };
  }
}

/** The resolver as the audit calls it: never throws (an unresolved IP stays an IP), a failure is logged. */
function sourceResolver(resolver: IpResolver, log: TargetLog) {
  return async (ips: readonly string[]) => {
    try {
      return await resolver.resolve(ips);
    } catch (err) {
      log('warn', 'source IPs not resolved', { error: describeError(err) });
      return new Map<string, Workload>();
    }
  };
}

/** The run's outcome, logged as one line (a warning when the target could not be audited). */
function outcomeOf(
  targetName: string, report: AuditReport, stored: StoredReport | undefined, notification: NotifyOutcome, failures: readonly DeliveryStep[], log: TargetLog,
): TargetOutcome {
  const reportKey = stored?.key ?? null;
  log(report.status === 'failed' ? 'warn' : 'info', 'target audited', {
    status: report.status,
    findings: report.findings.length,
    suspectedLeaks: report.summary.suspectedLeaks,
    connectedClients: report.summary.connectedClients,
    reportKey,
    notified: notification.notified,
    notifyReason: notification.reason,
    deliveryFailures: failures,
    durationMs: report.auditor.durationMs,
  });
  return {
    target: targetName,
    status: report.status,
    findings: report.findings.length,
    suspectedLeaks: report.summary.suspectedLeaks,
    reportKey,
    notified: notification.notified,
    notifyReason: notification.reason,
    deliveryFailures: failures,
  };
}
