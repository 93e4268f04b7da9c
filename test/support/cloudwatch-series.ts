// GetMetricData as CloudWatch answers it for an ElastiCache Serverless cache: one datapoint per minute of the
// requested window, oldest first, the newest minute(s) not ingested yet, split into NextToken pages with
// StatusCode PartialData until the last. Only the metrics and statistics the auditor should ask for are
// served: a query for anything else fails the test instead of returning plausible numbers.
import type { GetMetricDataCommandInput, GetMetricDataCommandOutput, MetricDataResult } from '@aws-sdk/client-cloudwatch';

export interface ConnectionSeriesOptions {
  /** CurrConnections (Maximum) of the n-th minute of the window; null: no datapoint that minute. */
  readonly currConnections: (minute: number) => number | null;
  /** NewConnections (Sum) of the n-th minute of the window; null: no datapoint that minute. */
  readonly newConnections: (minute: number) => number | null;
  /** Datapoints per query per page. @default 1440 (one page) */
  readonly pageSize?: number;
  /** Most recent minutes CloudWatch has not ingested yet. @default 1 */
  readonly lagMinutes?: number;
}

const SERVED: Readonly<Record<string, string>> = { CurrConnections: 'Maximum', NewConnections: 'Sum' };

export interface FakeSeries {
  readonly respond: (input: GetMetricDataCommandInput) => GetMetricDataCommandOutput;
  /** Every value served, by metric name, in the order served. */
  readonly served: Record<string, number[]>;
}

export function connectionSeries(options: ConnectionSeriesOptions): FakeSeries {
  const served: Record<string, number[]> = { CurrConnections: [], NewConnections: [] };
  const pageSize = options.pageSize ?? 1440;
  const lag = options.lagMinutes ?? 1;
  const respond = (input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
    const start = input.StartTime?.getTime();
    const end = input.EndTime?.getTime();
    if (start === undefined || end === undefined || start % 60_000 !== 0 || end % 60_000 !== 0) throw new Error('StartTime and EndTime must be whole minutes');
    const offset = input.NextToken === undefined ? 0 : Number(/^page-at-(\d+)$/.exec(input.NextToken)?.[1] ?? Number.NaN);
    if (!Number.isInteger(offset)) throw new Error(`unknown NextToken ${input.NextToken}`);
    const minutes = Math.max(0, (end - start) / 60_000 - lag);
    let more = false;
    const results = (input.MetricDataQueries ?? []).map((query): MetricDataResult => {
      const stat = query.MetricStat;
      const name = stat?.Metric?.MetricName ?? '';
      if (stat?.Metric?.Namespace !== 'AWS/ElastiCache' || SERVED[name] !== stat.Stat || stat.Period !== 60) {
        throw new Error(`unexpected query ${JSON.stringify(query)}`);
      }
      const pick = name === 'CurrConnections' ? options.currConnections : options.newConnections;
      const points: Array<[Date, number]> = [];
      for (let minute = 0; minute < minutes; minute += 1) {
        const value = pick(minute);
        if (value !== null) points.push([new Date(start + minute * 60_000), value]);
      }
      const page = points.slice(offset, offset + pageSize);
      if (offset + pageSize < points.length) more = true;
      served[name]?.push(...page.map(([, v]) => v));
      return {
        Id: query.Id, Label: name, Timestamps: page.map(([t]) => t), Values: page.map(([, v]) => v),
        StatusCode: offset + pageSize < points.length ? 'PartialData' : 'Complete', Messages: [],
      };
    });
    return {
      MetricDataResults: results,
      Messages: [],
      ...(more ? { NextToken: `page-at-${offset + pageSize}` } : {}),
      $metadata: { httpStatusCode: 200 },
    };
  };
  return { respond, served };
}
