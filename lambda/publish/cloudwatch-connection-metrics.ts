// The CloudWatch backend of ServiceMetricsSource: an ElastiCache Serverless cache's own connection metrics
// (AWS/ElastiCache, dimension clusterId), read where CLIENT LIST is refused. One GetMetricData call (two
// queries) over whole minutes, its NextToken pages followed, every page through withRetry.
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  SERVICE_METRICS_DIMENSION,
  SERVICE_METRICS_NAMESPACE,
  SERVICE_METRICS_PERIOD_SECONDS,
  type MetricPoint,
  type ServiceMetricSeries,
} from '../core/service-metrics.js';
import type { ServiceMetricsSource } from './ports.js';
import { consoleWarnLogger, logRetries, withRetry, type RetryOptions, type WarnLogger } from './retry.js';

/** One day of one-minute data: 2,880 datapoints for both queries, far below the API's 100,800 per call. */
export const MAX_WINDOW_MINUTES = 1440;
const MINUTE_MS = 60_000;

/** The two series: Id (the API wants a lower-case first letter), metric name and statistic. */
export const CONNECTION_QUERIES = [
  { id: 'currConnections', metricName: 'CurrConnections', stat: 'Maximum' },
  { id: 'newConnections', metricName: 'NewConnections', stat: 'Sum' },
] as const;
type QueryId = (typeof CONNECTION_QUERIES)[number]['id'];

export interface CloudWatchConnectionMetricsOptions {
  readonly cloudwatch: CloudWatchClient;
  /** @default attempts 3, base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** Retries are reported here. @default JSON lines on stderr */
  readonly logger?: WarnLogger;
  /** Pages followed before the answer is called incomplete (a guard, never reached for a day of data). @default 10 */
  readonly maxPages?: number;
}

export class CloudWatchConnectionMetrics implements ServiceMetricsSource {
  private readonly retry: RetryOptions;
  private readonly maxPages: number;

  constructor(private readonly options: CloudWatchConnectionMetricsOptions) {
    this.retry = { ...options.retry, onRetry: logRetries(options.logger ?? consoleWarnLogger) };
    this.maxPages = Math.max(1, Math.floor(options.maxPages ?? 10));
  }

  async read(cacheName: string, endMs: number, windowMinutes: number): Promise<ServiceMetricSeries> {
    if (cacheName === '') throw new RangeError('the serverless cache name is empty');
    if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > MAX_WINDOW_MINUTES) {
      throw new RangeError(`windowMinutes must be a whole number from 1 to ${MAX_WINDOW_MINUTES}, not ${windowMinutes}`);
    }
    if (!Number.isFinite(endMs)) throw new RangeError('endMs must be a time in epoch milliseconds');
    // Whole minutes, so that each one-minute period is complete and aligned as CloudWatch stores it.
    const end = Math.floor(endMs / MINUTE_MS) * MINUTE_MS;
    const start = end - windowMinutes * MINUTE_MS;
    const queries = connectionQueries(cacheName);
    const points: Record<QueryId, MetricPoint[]> = { currConnections: [], newConnections: [] };
    const status = new Map<string, string>();
    const warnings: string[] = [];

    let token: string | undefined;
    for (let page = 1; ; page += 1) {
      const output = await withRetry(
        `cloudwatch GetMetricData ${SERVICE_METRICS_NAMESPACE} ${SERVICE_METRICS_DIMENSION}=${cacheName} page ${page}`,
        () => this.options.cloudwatch.send(new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampAscending',
          ...(token === undefined ? {} : { NextToken: token }),
        })),
        this.retry,
      );
      for (const result of output.MetricDataResults ?? []) {
        const id = result.Id;
        if (id !== 'currConnections' && id !== 'newConnections') continue;
        points[id].push(...pointsOf(result));
        if (result.StatusCode !== undefined) status.set(id, result.StatusCode);
        for (const message of result.Messages ?? []) warnings.push(messageText(id, message.Code, message.Value));
      }
      for (const message of output.Messages ?? []) warnings.push(messageText('GetMetricData', message.Code, message.Value));
      const next = output.NextToken === undefined || output.NextToken === '' ? undefined : output.NextToken;
      if (next === undefined) break;
      if (next === token) {
        warnings.push('GetMetricData returned the same NextToken twice; the series may be incomplete');
        break;
      }
      if (page >= this.maxPages) {
        warnings.push(`GetMetricData still had more data after ${this.maxPages} pages; the series may be incomplete`);
        break;
      }
      token = next;
    }
    for (const { id, metricName } of CONNECTION_QUERIES) {
      const code = status.get(id);
      if (code !== undefined && code !== 'Complete') warnings.push(`${metricName} came back with status ${code}; its series may be incomplete`);
    }
    return {
      cacheName,
      startMs: start,
      endMs: end,
      currConnections: points.currConnections,
      newConnections: points.newConnections,
      ...(warnings.length > 0 ? { warnings: [...new Set(warnings)] } : {}),
    };
  }
}

/** The two queries of one GetMetricData call, for the serverless cache `cacheName`. */
export function connectionQueries(cacheName: string): MetricDataQuery[] {
  return CONNECTION_QUERIES.map(({ id, metricName, stat }) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: SERVICE_METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: SERVICE_METRICS_DIMENSION, Value: cacheName }] },
      Period: SERVICE_METRICS_PERIOD_SECONDS,
      Stat: stat,
    },
  }));
}

/** Timestamps and values paired; a pair with either side missing or unreadable is skipped. */
function pointsOf(result: MetricDataResult): MetricPoint[] {
  const times = result.Timestamps ?? [];
  const values = result.Values ?? [];
  const out: MetricPoint[] = [];
  for (let i = 0; i < Math.min(times.length, values.length); i += 1) {
    const at = times[i];
    const value = values[i];
    const timestampMs = at instanceof Date ? at.getTime() : NaN;
    if (Number.isFinite(timestampMs) && typeof value === 'number' && Number.isFinite(value)) out.push({ timestampMs, value });
  }
  return out;
}

function messageText(where: string, code: string | undefined, value: string | undefined): string {
  return `${where}: ${code ?? 'message'}${value ? ` (${value})` : ''}`.replace(/\s+/g, ' ').slice(0, 200);
}
