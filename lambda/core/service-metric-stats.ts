// The numbers of the report's `serviceMetrics` section, from a cache's one-minute CloudWatch series:
// cleaned first (CloudWatch pages come in any order, and a stray point must not count twice).
import type { MetricPoint } from './findings/service-metric-checks.js';
import { round } from './history.js';
import type { ConnectionCountStats, NewConnectionStats } from './report.js';

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

export function connectionStats(points: readonly MetricPoint[]): ConnectionCountStats | null {
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

export function newConnectionStats(points: readonly MetricPoint[]): NewConnectionStats | null {
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
