// What a cache's own CloudWatch metrics add to a report where CLIENT LIST is refused (ElastiCache
// Serverless): cache-wide connection counts and new connections per minute, the summary numbers INFO did
// not give, churn and growth findings from the series, and a plain list of what could not be seen.
// Pure: the series comes in as data (publish/cloudwatch-connection-metrics.ts reads it).
import { mergeFindings, type Finding } from './findings/index.js';
import { serviceChurn, serviceGrowth, MIN_GROWTH_DATAPOINTS, type MetricPoint, type ServiceMetricView } from './findings/service-metric-checks.js';
import { round } from './history.js';
import type { AuditPolicy } from './model.js';
import {
  countSuspectedLeaks,
  type AuditReport,
  type ConnectionCountStats,
  type NewConnectionStats,
  type NodeReport,
  type ReportSummary,
  type ServiceMetricsReport,
} from './report.js';
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

const MAX_ERROR_CHARS = 300;
const NODES_NAMED = 3;

/**
 * The report with the series applied: `serviceMetrics`, `limitations`, summary.connectedClients (latest
 * CurrConnections) and summary.newConnectionsPerMinute (the window's average NewConnections per minute)
 * where INFO gave nothing, churn and growth findings, and the counts derived from findings recomputed.
 */
export function withServiceMetrics(report: AuditReport, series: ServiceMetricSeries, policy: AuditPolicy): AuditReport {
  const windowMinutes = Math.max(1, Math.round((series.endMs - series.startMs) / 60_000));
  const curr = cleanSeries(series.currConnections, series.startMs, series.endMs);
  const fresh = cleanSeries(series.newConnections, series.startMs, series.endMs);
  const currStats = connectionStats(curr);
  const newStats = newConnectionStats(fresh);
  const view: ServiceMetricView = { windowMinutes, currConnections: curr, newConnections: fresh, maxClients: report.summary.maxClients };
  const has = (kind: Finding['kind']) => report.findings.some((f) => f.kind === kind && Object.keys(f.subject).length === 0);
  // A churn finding measured from INFO is kept (it may name the sources of young connections).
  const added = [
    ...(has('connection-growth') ? [] : serviceGrowth(view, policy)),
    ...(report.findings.some((f) => f.kind === 'connection-churn') ? [] : serviceChurn(view, policy)),
  ];
  const findings = mergeFindings(report.findings, added);
  const summary: ReportSummary = {
    ...report.summary,
    connectedClients: report.summary.connectedClients ?? (currStats === null ? null : currStats.latest),
    newConnectionsPerMinute: report.summary.newConnectionsPerMinute ?? (newStats === null ? null : newStats.average),
  };
  const serviceMetrics: ServiceMetricsReport = {
    ...serviceMetricsFrame(series.cacheName, windowMinutes, series.startMs, series.endMs),
    currConnections: currStats,
    newConnectionsPerMinute: newStats,
  };
  const limitations = [
    ...clientListLimitations(report.nodes, { serverless: true }),
    ...otherLimitations(report),
    ...cloudWatchLimitations(series.cacheName, windowMinutes, curr.length, fresh.length, series.warnings ?? []),
  ];
  return withFindings({ ...report, summary, serviceMetrics, limitations: unique(limitations) }, findings);
}

/** The report when the metrics could not be read: `serviceMetrics.error` and a limitation saying what was not checked. */
export function withServiceMetricsError(report: AuditReport, failure: ServiceMetricsFailure): AuditReport {
  const windowMinutes = Math.max(1, Math.round(failure.windowMinutes));
  const endMs = Math.floor(failure.endMs / 60_000) * 60_000;
  const error = plain(failure.error, MAX_ERROR_CHARS) || 'unknown error';
  const serviceMetrics: ServiceMetricsReport = {
    ...serviceMetricsFrame(failure.cacheName, windowMinutes, endMs - windowMinutes * 60_000, endMs),
    currConnections: null,
    newConnectionsPerMinute: null,
    error,
  };
  const limitations = [
    ...clientListLimitations(report.nodes, { serverless: true }),
    ...otherLimitations(report),
    `CloudWatch connection metrics (${SERVICE_METRICS_NAMESPACE} CurrConnections, NewConnections) for ${plain(failure.cacheName, 80)} `
      + `could not be read (${error}): connection growth and churn were not checked from them.`,
  ];
  return { ...report, serviceMetrics, limitations: unique(limitations) };
}

/**
 * What a report cannot show because CLIENT LIST was not read on some of its nodes (refused by an ACL or the
 * service, or too slow). Nodes that could not be read at all are left out: their errors say more.
 */
export function clientListLimitations(nodes: readonly NodeReport[], options: { readonly serverless?: boolean } = {}): string[] {
  const unlisted = nodes.filter((n) => n.samples > 0 && !n.clientListAvailable);
  if (unlisted.length === 0) return [];
  const named = unlisted.slice(0, NODES_NAMED).map((n) => plain(n.address, 120)).join(', ');
  const more = unlisted.length > NODES_NAMED ? ` and ${unlisted.length - NODES_NAMED} more` : '';
  const where = unlisted.length === nodes.length && nodes.length > 1 ? `any node (${named}${more})` : `${named}${more}`;
  const why = options.serverless === true
    ? 'CLIENT LIST is refused by ElastiCache Serverless'
    : unlisted.every((n) => n.clientListDeferred === true)
      ? 'listing every client there would have held the server longer than the stall budget allows (see the node errors); the ids found so far are kept, and the next runs finish the listing within the budget'
      : 'CLIENT LIST was refused or did not answer (see the node errors)';
  return [
    `Per-client details (source IPs, client names, users, libraries, idle times, pub/sub, blocked and in-transaction clients) `
      + `were not visible on ${where}: ${why}; the counts there come from INFO${options.serverless === true ? ' and CloudWatch' : ''} only.`,
    'Connections by source: growth, churn and idle connections cannot be attributed to an application, and the per-source checks '
      + '(idle connections, pub/sub leaks, blocked clients, open transactions, growth by source) did not run there.',
  ];
}

/** The report with `limitations` when there are any; unchanged otherwise (assessAudit's use). */
export function withLimitations<T extends { readonly limitations?: readonly string[] }>(report: T, limitations: readonly string[]): T {
  return limitations.length === 0 ? report : { ...report, limitations: unique([...(report.limitations ?? []), ...limitations]) };
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

/** Finite, non-negative points inside the window, oldest first, one per timestamp (the last one given wins). */
export function cleanSeries(points: readonly MetricPoint[], startMs: number, endMs: number): MetricPoint[] {
  const byTime = new Map<number, number>();
  for (const p of points) {
    if (!Number.isFinite(p.timestampMs) || !Number.isFinite(p.value) || p.value < 0) continue;
    if (p.timestampMs < startMs || p.timestampMs >= endMs) continue;
    byTime.set(p.timestampMs, p.value);
  }
  return [...byTime].sort(([a], [b]) => a - b).map(([timestampMs, value]) => ({ timestampMs, value }));
}

function connectionStats(points: readonly MetricPoint[]): ConnectionCountStats | null {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return null;
  const values = points.map((p) => Math.round(p.value));
  return {
    statistic: 'Maximum',
    latest: Math.round(last.value),
    latestAt: new Date(last.timestampMs).toISOString(),
    first: Math.round(first.value),
    min: Math.min(...values),
    max: Math.max(...values),
    datapoints: points.length,
  };
}

function newConnectionStats(points: readonly MetricPoint[]): NewConnectionStats | null {
  const last = points[points.length - 1];
  if (last === undefined) return null;
  const total = points.reduce((sum, p) => sum + p.value, 0);
  return {
    statistic: 'Sum',
    latest: round(last.value, 1),
    latestAt: new Date(last.timestampMs).toISOString(),
    average: round(total / points.length, 1),
    max: round(Math.max(...points.map((p) => p.value)), 1),
    total: round(total, 1),
    datapoints: points.length,
  };
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

/** Limitations already in the report that are not the CLIENT LIST ones (those are rewritten for Serverless). */
function otherLimitations(report: AuditReport): string[] {
  const generic = new Set(clientListLimitations(report.nodes));
  return (report.limitations ?? []).filter((l) => !generic.has(l));
}

function withFindings(report: AuditReport, findings: AuditReport['findings']): AuditReport {
  const bySeverity = { info: 0, warning: 0, critical: 0 };
  for (const f of findings) bySeverity[f.severity] += 1;
  return {
    ...report,
    findings,
    summary: { ...report.summary, suspectedLeaks: countSuspectedLeaks(findings), findingsBySeverity: bySeverity },
  };
}

function unique(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}
