// What a cache's own CloudWatch metrics decide where CLIENT LIST is refused (ElastiCache Serverless):
// cache-wide connection counts and new connections per minute, the summary numbers INFO did not give,
// churn and growth findings from the series, and a plain list of what could not be seen. The assessment
// (audit.ts) takes this as one of its inputs and decides once; nothing here reopens a finished report.
// Pure: the series comes in as data (publish/cloudwatch-connection-metrics.ts reads it).
import type { Finding } from './findings/index.js';
import { serviceChurn, serviceGrowth, MIN_GROWTH_DATAPOINTS, type MetricPoint, type ServiceMetricView } from './findings/service-metric-checks.js';
import type { AuditPolicy } from './model.js';
import type { ReportSummary, ServiceMetricsReport } from './report.js';
import { cleanSeries, connectionStats, newConnectionStats } from './service-metric-stats.js';
import { plain } from './text-safety.js';

export type { MetricPoint } from './findings/service-metric-checks.js';

export const SERVICE_METRICS_NAMESPACE = 'AWS/ElastiCache';
/** The dimension that names a serverless cache in AWS/ElastiCache. */
export const SERVICE_METRICS_DIMENSION = 'clusterId';
export const SERVICE_METRICS_PERIOD_SECONDS = 60;

/** One read of a cache's connection metrics (the ServiceMetricsSource port's answer). */
export interface ServiceMetricSeries {
  /** The serverless cache name (the `clusterId` dimension). */
  readonly cacheName: string;
  /** The window read, [startMs, endMs), whole minutes. */
  readonly startMs: number;
  readonly endMs: number;
  /** CurrConnections, statistic Maximum, one point per minute (any order; cleaned here). */
  readonly currConnections: readonly MetricPoint[];
  /** NewConnections, statistic Sum, one point per minute. */
  readonly newConnections: readonly MetricPoint[];
  /** What CloudWatch said about incomplete data (partial pages, messages), one line each. */
  readonly warnings?: readonly string[];
}

/** Where a read that failed was aimed, for the report. */
export interface ServiceMetricsFailure {
  readonly cacheName: string;
  readonly windowMinutes: number;
  /** When the read was made (epoch ms); the window ends at the minute before it. */
  readonly endMs: number;
  /** One line, no credentials (e.g. `DeliveryError: ... AccessDenied: ...`). */
  readonly error: string;
}

/**
 * What a serverless cache's own CloudWatch metrics said, for the assessment: the series read, or why it was not.
 * Read before the audit (it needs nothing from Redis) and handed to the core, which decides with it once.
 */
export type ServiceMetricsEvidence = { readonly series: ServiceMetricSeries } | { readonly failure: ServiceMetricsFailure };

/** What the assessment knows from INFO when it weighs the evidence. */
export interface ServiceMetricsContext {
  readonly policy: AuditPolicy;
  /** Every finding from INFO (before the report's cut): a target-wide growth or any churn found there is not found again. */
  readonly findings: readonly Finding[];
  /** The summary's maxclients (from INFO or CONFIG), for the growth projection; null when unknown. */
  readonly maxClients: number | null;
}

/** What the evidence adds to the report, for the assessment to build it with. */
export interface ServiceMetricsAssessment {
  /** Churn and growth found in the series, target-wide: the sources cannot be named. */
  readonly findings: readonly Finding[];
  /** The latest CurrConnections and the window's average NewConnections per minute; null without datapoints. */
  readonly connectedClients: number | null;
  readonly newConnectionsPerMinute: number | null;
  /** The report's `serviceMetrics` section. */
  readonly section: ServiceMetricsReport;
  /** What CloudWatch cannot tell, or that it could not be read; after the CLIENT LIST ones in the report. */
  readonly limitations: readonly string[];
}

const MAX_ERROR_CHARS = 300;

export function assessServiceMetrics(evidence: ServiceMetricsEvidence, context: ServiceMetricsContext): ServiceMetricsAssessment {
  return 'series' in evidence ? fromSeries(evidence.series, context) : fromFailure(evidence.failure);
}

/** The summary numbers INFO did not give, from the series; what INFO measured is kept. */
export function summaryWithServiceMetrics(summary: ReportSummary, assessment: ServiceMetricsAssessment): ReportSummary {
  return {
    ...summary,
    connectedClients: summary.connectedClients ?? assessment.connectedClients,
    newConnectionsPerMinute: summary.newConnectionsPerMinute ?? assessment.newConnectionsPerMinute,
  };
}

function fromSeries(series: ServiceMetricSeries, { policy, findings, maxClients }: ServiceMetricsContext): ServiceMetricsAssessment {
  const windowMinutes = Math.max(1, Math.round((series.endMs - series.startMs) / 60_000));
  const curr = cleanSeries(series.currConnections, series.startMs, series.endMs);
  const fresh = cleanSeries(series.newConnections, series.startMs, series.endMs);
  const currStats = connectionStats(curr);
  const newStats = newConnectionStats(fresh);
  const view: ServiceMetricView = { windowMinutes, currConnections: curr, newConnections: fresh, maxClients };
  const targetWideGrowth = findings.some((f) => f.kind === 'connection-growth' && Object.keys(f.subject).length === 0);
  // A churn finding measured from INFO is kept (it may name the sources of young connections).
  const churn = findings.some((f) => f.kind === 'connection-churn');
  return {
    findings: [...(targetWideGrowth ? [] : serviceGrowth(view, policy)), ...(churn ? [] : serviceChurn(view, policy))],
    connectedClients: currStats === null ? null : currStats.latest,
    newConnectionsPerMinute: newStats === null ? null : newStats.average,
    section: {
      ...serviceMetricsFrame(series.cacheName, windowMinutes, series.startMs, series.endMs),
      currConnections: currStats,
      newConnectionsPerMinute: newStats,
    },
    limitations: cloudWatchLimitations(series.cacheName, windowMinutes, curr.length, fresh.length, series.warnings ?? []),
  };
}

/** Metrics that could not be read: the section says why, a limitation says what was not checked, nothing else changes. */
function fromFailure(failure: ServiceMetricsFailure): ServiceMetricsAssessment {
  const windowMinutes = Math.max(1, Math.round(failure.windowMinutes));
  const endMs = Math.floor(failure.endMs / 60_000) * 60_000;
  const error = plain(failure.error, MAX_ERROR_CHARS) || 'unknown error';
  return {
    findings: [],
    connectedClients: null,
    newConnectionsPerMinute: null,
    section: {
      ...serviceMetricsFrame(failure.cacheName, windowMinutes, endMs - windowMinutes * 60_000, endMs),
      currConnections: null,
      newConnectionsPerMinute: null,
      error,
    },
    limitations: [
      `CloudWatch connection metrics (${SERVICE_METRICS_NAMESPACE} CurrConnections, NewConnections) for ${plain(failure.cacheName, 80)} `
        + `could not be read (${error}): connection growth and churn were not checked from them.`,
    ],
  };
}

function serviceMetricsFrame(cacheName: string, windowMinutes: number, startMs: number, endMs: number) {
  return {
    source: 'cloudwatch' as const,
    namespace: SERVICE_METRICS_NAMESPACE,
    dimensions: { clusterId: cacheName },
    periodSeconds: SERVICE_METRICS_PERIOD_SECONDS,
    windowMinutes,
    windowStart: new Date(startMs).toISOString(),
    windowEnd: new Date(endMs).toISOString(),
  } satisfies Omit<ServiceMetricsReport, 'currConnections' | 'newConnectionsPerMinute' | 'error'>;
}

function cloudWatchLimitations(cacheName: string, windowMinutes: number, currPoints: number, newPoints: number, warnings: readonly string[]): string[] {
  const name = plain(cacheName, 80);
  const out = [
    `CloudWatch (${SERVICE_METRICS_NAMESPACE}, clusterId ${name}) gives cache-wide totals per minute only: open connections `
      + '(CurrConnections) and connections accepted (NewConnections), with no source, name, idle time or client state; '
      + 'its most recent minute can still be incomplete.',
  ];
  if (currPoints === 0 || newPoints === 0) {
    const [metrics, unchecked] = currPoints === 0 && newPoints === 0
      ? ['CurrConnections or NewConnections', 'connection counts, growth and churn']
      : currPoints === 0 ? ['CurrConnections', 'the connection count and its growth'] : ['NewConnections', 'churn'];
    out.push(`CloudWatch returned no ${metrics} datapoints for ${name} in the last ${windowMinutes} min, so ${unchecked} could not be `
      + 'checked from them: check that the cache name is the serverless cache\'s name and that the cache is active.');
  }
  if (currPoints > 0 && currPoints < MIN_GROWTH_DATAPOINTS) {
    out.push(`Only ${currPoints} one-minute CurrConnections datapoint${currPoints === 1 ? '' : 's'} in the last ${windowMinutes} min: too few to judge growth.`);
  }
  for (const warning of warnings.slice(0, 5)) out.push(`CloudWatch: ${plain(warning, 200)}`);
  return out;
}
