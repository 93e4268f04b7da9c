// Churn and growth from the cache's own CloudWatch series (ElastiCache Serverless, where CLIENT LIST is
// refused): target-wide findings, since these metrics never say where a connection comes from.
import { round } from '../history.js';
import type { AuditPolicy } from '../model.js';
import { RECOMMENDATIONS } from './recommendations.js';
import type { Finding } from './types.js';

/** One datapoint of a one-minute CloudWatch series. */
export interface MetricPoint {
  /** Start of the minute (epoch ms). */
  readonly timestampMs: number;
  readonly value: number;
}

/** What the checks read: both series oldest first, sorted and cleaned (service-metrics.ts). */
export interface ServiceMetricView {
  readonly windowMinutes: number;
  /** CurrConnections, Maximum per minute. */
  readonly currConnections: readonly MetricPoint[];
  /** NewConnections, Sum per minute. */
  readonly newConnections: readonly MetricPoint[];
  /** maxclients where INFO told it; null otherwise (the growth projection is then left out). */
  readonly maxClients: number | null;
}

/** Churn at this multiple of the threshold is critical (as for churn measured from INFO). */
const CRITICAL_CHURN_MULTIPLE = 10;
/** Growth that would reach maxclients within this many minutes is critical (as for growth by source). */
const CRITICAL_MINUTES_TO_EXHAUSTION = 60;
/** "Mostly monotonic": at least this share of minute-to-minute steps must not go down. */
export const MIN_NON_DECREASING_SHARE = 0.8;
/** No single step may carry more than this share of the rise: a one-off jump is not the leak signature. */
export const MAX_SINGLE_STEP_SHARE = 0.5;
/** Growth needs at least this many datapoints (two steps). */
export const MIN_GROWTH_DATAPOINTS = 3;

const NOT_NAMED = 'ElastiCache Serverless does not list clients (CLIENT LIST is refused), so the sources cannot be named';

/**
 * `connection-churn` when the average of NewConnections per minute over the window is above
 * `policy.churnPerMinute` (strictly, like the INFO-based check); critical at 10 times the threshold.
 * The average is over the minutes CloudWatch returned: a missing minute is unknown, not 0.
 */
export function serviceChurn(view: ServiceMetricView, policy: AuditPolicy): Finding[] {
  const values = view.newConnections.map((p) => p.value);
  if (values.length === 0) return [];
  const average = round(values.reduce((a, b) => a + b, 0) / values.length, 1);
  if (average <= policy.churnPerMinute) return [];
  const peak = Math.max(...values);
  const open = view.currConnections[view.currConnections.length - 1]?.value;
  return [{
    kind: 'connection-churn',
    severity: average >= policy.churnPerMinute * CRITICAL_CHURN_MULTIPLE ? 'critical' : 'warning',
    subject: {},
    message: `${Math.round(average)} new connections a minute on average over the last ${view.windowMinutes} min `
      + `(CloudWatch NewConnections, peak ${Math.round(peak)} in one minute; threshold ${policy.churnPerMinute})`
      + `${open === undefined ? '' : ` while ${Math.round(open)} are open`}; ${NOT_NAMED}`,
    evidence: {
      newConnectionsPerMinute: average,
      maxNewConnectionsPerMinute: peak,
      thresholdPerMinute: policy.churnPerMinute,
      windowSeconds: view.windowMinutes * 60,
      datapoints: values.length,
      ...(open === undefined ? {} : { connectedClients: Math.round(open) }),
    },
    recommendation: RECOMMENDATIONS['connection-churn'],
  }];
}

export interface SeriesRise {
  readonly first: number;
  readonly last: number;
  readonly rise: number;
  readonly datapoints: number;
  readonly minutes: number;
  readonly perMinute: number;
  /** Share of steps where the count did not go down (0..1). */
  readonly nonDecreasingShare: number;
}

/**
 * The leak signature in a CurrConnections series, target-wide. All of:
 * - at least 3 datapoints;
 * - rise = last - first >= minGrowth;
 * - the last value is the highest of the window (still at its peak: not a burst that has gone back);
 * - at least 80% of the minute-to-minute steps are non-decreasing;
 * - no single step carries more than half of the rise (a deploy or a pool sized up once is a jump, not a leak).
 * Null when the series does not show it.
 */
export function risingConnections(points: readonly MetricPoint[], minGrowth: number): SeriesRise | null {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined || points.length < MIN_GROWTH_DATAPOINTS) return null;
  const rise = last.value - first.value;
  if (rise <= 0 || rise < minGrowth) return null;
  if (points.some((p) => p.value > last.value)) return null;
  let nonDecreasing = 0;
  let largestStep = 0;
  for (let i = 1; i < points.length; i += 1) {
    const step = (points[i]?.value ?? 0) - (points[i - 1]?.value ?? 0);
    if (step >= 0) nonDecreasing += 1;
    largestStep = Math.max(largestStep, step);
  }
  const steps = points.length - 1;
  const share = nonDecreasing / steps;
  if (share < MIN_NON_DECREASING_SHARE || largestStep > rise * MAX_SINGLE_STEP_SHARE) return null;
  const minutes = (last.timestampMs - first.timestampMs) / 60_000;
  return {
    first: first.value,
    last: last.value,
    rise,
    datapoints: points.length,
    minutes,
    perMinute: minutes > 0 ? round(rise / minutes, 1) : rise,
    nonDecreasingShare: round(share, 2),
  };
}

/** `connection-growth`, target-wide, when CurrConnections shows the leak signature (risingConnections). */
export function serviceGrowth(view: ServiceMetricView, policy: AuditPolicy): Finding[] {
  const g = risingConnections(view.currConnections, policy.minGrowthConnections);
  if (g === null) return [];
  const minutesLeft = view.maxClients !== null && view.maxClients > 0 && g.perMinute > 0
    ? Math.max(0, (view.maxClients - g.last) / g.perMinute)
    : null;
  const projection = minutesLeft === null ? '' : `; at this rate maxclients is reached in about ${Math.round(minutesLeft)} min`;
  return [{
    kind: 'connection-growth',
    severity: minutesLeft !== null && minutesLeft < CRITICAL_MINUTES_TO_EXHAUSTION ? 'critical' : 'warning',
    subject: {},
    message: `Connections to the cache grew from ${Math.round(g.first)} to ${Math.round(g.last)} in ${Math.round(g.minutes)} min `
      + `(${g.perMinute} a minute, rising or flat in ${Math.round(g.nonDecreasingShare * 100)}% of the minutes; CloudWatch CurrConnections)`
      + `${projection}; ${NOT_NAMED}: check which application's connection count rose, or whether one was scaled out`,
    evidence: {
      firstConnections: g.first,
      lastConnections: g.last,
      growth: g.rise,
      growthPerMinute: g.perMinute,
      samples: g.datapoints,
      windowSeconds: round(g.minutes * 60, 1),
      nonDecreasingShare: g.nonDecreasingShare,
      ...(minutesLeft === null ? {} : { minutesToMaxclients: Math.round(minutesLeft) }),
    },
    recommendation: RECOMMENDATIONS['connection-growth'],
  }];
}
