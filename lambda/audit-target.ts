// One target's run in the Lambda: state in, audit, report out to S3, metrics to CloudWatch, a summary to
// SNS when something new or worse appeared, state back. Each delivery step fails alone: it is logged and
// counted, and the others still run.
import type { LambdaConfig, TargetConfig } from './config.js';
import { auditDeadlineAtMs } from './core/deadline.js';
import { parseClusterAllowList } from './core/cluster-rules.js';
import { AuditError, errorText } from './core/errors.js';
import { renderHtmlReport } from './core/html-report.js';
import { metricsFor } from './core/metrics.js';
import { buildNotification } from './core/notification-text.js';
import { planNotification, readNotifyState, withNotifyState } from './core/notify-policy.js';
import type { AuditReport } from './core/report.js';
import { withServiceMetrics, withServiceMetricsError } from './core/service-metrics.js';
import { restoreState, type AuditState } from './core/state.js';
import type { IpResolver, MetricSink, Notifier, ReportStore, ServiceMetricsSource, StoredReport } from './publish/ports.js';
import type { RedisTarget } from './redis/target-url.js';
import type { Workload } from './core/workloads.js';
import { runAudit } from './run-audit.js';
import { baseTarget } from './auth/target-credentials.js';

/** An error in a log line or the report: its first line, bounded. */
const describe = (err: unknown): string => errorText(err, { firstLine: true, maxChars: 300 });

/** The few logger methods used: Powertools Logger satisfies it; structured attributes, never a secret. */
export interface LogSink {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

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
  readonly notifyReason: string;
  /** Delivery steps that failed after their retries: 'load-state', 'save-report', 'metrics', 'notify', 'save-state'. */
  readonly deliveryFailures: readonly string[];
}

export async function auditTarget(config: LambdaConfig, target: TargetConfig, deps: TargetDeps): Promise<TargetOutcome> {
  const now = deps.now ?? Date.now;
  const log = (level: keyof LogSink, message: string, extra: Record<string, unknown> = {}) =>
    deps.logger[level](message, { target: target.name, ...extra });
  const failures: string[] = [];
  const attempt = async <T>(step: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      failures.push(step);
      log('error', `${step} failed`, { step, error: describe(err) });
      return undefined;
    }
  };

  const stateText = await attempt('load-state', () => deps.store.loadState(target.name));
  const stateLoaded = !failures.includes('load-state');
  const restored = restoreState(stateText ?? null, baseTarget(target).display);
  if (restored.warning) log('warn', 'state not used', { reason: restored.warning });

  const base = baseTarget(target);
  let connectable = base;
  let preflightError: AuditError | undefined;
  try {
    connectable = await deps.connectable(target);
  } catch (err) {
    preflightError = err instanceof AuditError ? err : new AuditError(`credentials for ${target.name} failed (${describe(err)})`);
  }
  const result = await runAudit({
    target: connectable,
    samples: config.samples,
    intervalMs: config.sampleIntervalSeconds * 1000,
    policy: config.policy,
    previousState: restored.state,
    stateWarnings: restored.warning ? [restored.warning] : [],
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    toolVersion: deps.toolVersion,
    // Every node of a cluster; a cluster is also detected from the seed's INFO without it.
    ...(target.cluster === true ? { cluster: true } : {}),
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(preflightError ? { preflightError } : {}),
    deadlineAtMs: auditDeadlineAtMs(now(), config.auditDeadlineSeconds, deps.invocationEndsAtMs),
    ...(target.clusterAllow ? { clusterAllow: parseClusterAllowList(target.clusterAllow) } : {}),
    // Clients are grouped by the AWS resource behind their address: looked up after sampling, before the assessment.
    ...(deps.resolver ? { resolveSources: sourceResolver(deps.resolver, log) } : {}),
  });
  const report = await withCacheMetrics(result.report, target, config, deps, now, log);
  if (result.error) log('warn', 'audit did not complete', { error: result.error.message, errorType: result.error.name });

  const html = renderHtmlReport(report, { history: result.state.samples });
  const stored = await attempt('save-report', () => deps.store.saveReport(target.name, report, html));
  await attempt('metrics', () => deps.metrics.publish(metricsFor(report, target.name, now())));

  const previousNotify = readNotifyState(restored.state);
  const plan = planNotification({
    report,
    previous: previousNotify,
    nowMs: now(),
    cooldownMinutes: config.notifyCooldownMinutes,
    failureThreshold: config.notifyAfterFailures,
  });
  let notified = false;
  let notifyState = plan.next;
  if (plan.send && deps.notifier) {
    const sent = await attempt('notify', async () => {
      await deps.notifier?.publish(buildNotification({
        report, targetName: target.name, reason: plan.reason, newKeys: plan.newKeys, links: linksOf(stored, now()),
      }));
      return true;
    });
    notified = sent === true;
    // Not sent: keep the old notification state so that the next run tries again.
    if (!notified) notifyState = { ...plan.next, lastSentAtMs: previousNotify.lastSentAtMs, fingerprint: previousNotify.fingerprint, failureNotified: previousNotify.failureNotified };
  }
  // A state that could not be read is not overwritten: that would erase the history it may still hold.
  if (stateLoaded) {
    const nextState: AuditState = withNotifyState(result.state, notifyState);
    await attempt('save-state', () => deps.store.saveState(target.name, nextState));
  }

  log(report.status === 'failed' ? 'warn' : 'info', 'target audited', {
    status: report.status,
    findings: report.findings.length,
    suspectedLeaks: report.summary.suspectedLeaks,
    connectedClients: report.summary.connectedClients,
    reportKey: stored?.key ?? null,
    notified,
    notifyReason: plan.reason,
    deliveryFailures: failures,
    durationMs: report.auditor.durationMs,
  });
  return {
    target: target.name,
    status: report.status,
    findings: report.findings.length,
    suspectedLeaks: report.summary.suspectedLeaks,
    reportKey: stored?.key ?? null,
    notified,
    notifyReason: plan.reason,
    deliveryFailures: failures,
  };
}

/**
 * The report with the cache's CloudWatch connection metrics applied, for a serverless target whose
 * CLIENT LIST is refused. A failed read never fails the run: it is logged and said in the report.
 * A failed audit (nothing read from the cache) is left as it is: its errors are what matters then.
 */
async function withCacheMetrics(
  report: AuditReport,
  target: TargetConfig,
  config: LambdaConfig,
  deps: TargetDeps,
  now: () => number,
  log: (level: keyof LogSink, message: string, extra?: Record<string, unknown>) => void,
): Promise<AuditReport> {
  const source = deps.serviceMetrics;
  const cacheName = target.cacheName;
  if (source === undefined || target.serverless !== true || cacheName === undefined || cacheName === '' || report.status === 'failed') return report;
  const windowMinutes = config.serviceMetricsWindowMinutes;
  const endMs = now();
  try {
    const series = await source.read(cacheName, endMs, windowMinutes);
    if ((series.warnings?.length ?? 0) > 0) log('warn', 'cache metrics incomplete', { cacheName, warnings: series.warnings });
    return withServiceMetrics(report, series, config.policy);
  } catch (err) {
    log('warn', 'cache metrics not read', { cacheName, error: describe(err) });
    return withServiceMetricsError(report, { cacheName, windowMinutes, endMs, error: describe(err) });
  }
}

/** The resolver as the audit calls it: never throws (an unresolved IP stays an IP), a failure is logged. */
function sourceResolver(resolver: IpResolver, log: (level: keyof LogSink, message: string, extra?: Record<string, unknown>) => void) {
  return async (ips: readonly string[]) => {
    try {
      return await resolver.resolve(ips);
    } catch (err) {
      log('warn', 'source IPs not resolved', { error: describe(err) });
      return new Map<string, Workload>();
    }
  };
}

function linksOf(stored: StoredReport | undefined, nowMs: number) {
  return {
    consoleUrl: stored?.consoleUrl ?? '',
    ...(stored ? { jsonConsoleUrl: stored.jsonConsoleUrl } : {}),
    presignedUrl: stored?.presignedUrl ?? null,
    presignedExpiresAt: stored?.presignedExpiresAt ?? null,
    nowMs,
  };
}
