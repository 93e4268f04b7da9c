import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type GetMetricDataCommandInput, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchConnectionMetrics } from '../../../lambda/publish/cloudwatch-connection-metrics.js';
import { DeliveryError } from '../../../lambda/publish/retry.js';

const cwMock = mockClient(CloudWatchClient);
/** A run at 09:30:42.123: the window ends at 09:30:00, the last whole minute. */
const NOW = Date.parse('2026-11-26T09:30:42.123Z');
const END = Date.parse('2026-11-26T09:30:00.000Z');
const at = (minute: number) => new Date(END - (30 - minute) * 60_000);

function source(options: { maxPages?: number } = {}) {
  const logger = { warn: vi.fn() };
  const instance = new CloudWatchConnectionMetrics({
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }), logger, retry: { sleep: async () => {} }, ...options,
  });
  return { instance, logger };
}

const sent = () => cwMock.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);

function page(curr: Array<[number, number]>, fresh: Array<[number, number]>, extra: Partial<GetMetricDataCommandOutput> = {}, status = 'Complete') {
  return {
    MetricDataResults: [
      { Id: 'currConnections', Label: 'CurrConnections', StatusCode: status, Timestamps: curr.map(([m]) => at(m)), Values: curr.map(([, v]) => v) },
      { Id: 'newConnections', Label: 'NewConnections', StatusCode: status, Timestamps: fresh.map(([m]) => at(m)), Values: fresh.map(([, v]) => v) },
    ],
    Messages: [],
    ...extra,
  } as GetMetricDataCommandOutput;
}

const awsError = (name: string, status: number, message: string) =>
  new CloudWatchServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });

beforeEach(() => {
  cwMock.reset();
  cwMock.on(GetMetricDataCommand).resolves(page([], []));
});

describe('CloudWatchConnectionMetrics', () => {
  it('asks for both metrics of the serverless cache in one GetMetricData call, over whole minutes ending before now', async () => {
    await source().instance.read('orders-sls', NOW, 30);
    expect(sent()).toEqual([{
      MetricDataQueries: [
        {
          Id: 'currConnections',
          MetricStat: {
            Metric: { Namespace: 'AWS/ElastiCache', MetricName: 'CurrConnections', Dimensions: [{ Name: 'clusterId', Value: 'orders-sls' }] },
            Period: 60,
            Stat: 'Maximum',
          },
        },
        {
          Id: 'newConnections',
          MetricStat: {
            Metric: { Namespace: 'AWS/ElastiCache', MetricName: 'NewConnections', Dimensions: [{ Name: 'clusterId', Value: 'orders-sls' }] },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
      StartTime: new Date('2026-11-26T09:00:00.000Z'),
      EndTime: new Date('2026-11-26T09:30:00.000Z'),
      ScanBy: 'TimestampAscending',
    } satisfies GetMetricDataCommandInput]);
  });

  it('takes the window length as given', async () => {
    const series = await source().instance.read('orders-sls', NOW, 5);
    expect(sent()[0]?.StartTime).toEqual(new Date('2026-11-26T09:25:00.000Z'));
    expect([series.startMs, series.endMs]).toEqual([Date.parse('2026-11-26T09:25:00.000Z'), END]);
  });

  it('pairs timestamps with values for each query', async () => {
    cwMock.on(GetMetricDataCommand).resolves(page([[0, 40], [1, 41]], [[0, 120], [1, 130]]));
    const series = await source().instance.read('orders-sls', NOW, 30);
    expect(series).toEqual({
      cacheName: 'orders-sls',
      startMs: Date.parse('2026-11-26T09:00:00.000Z'),
      endMs: END,
      currConnections: [{ timestampMs: at(0).getTime(), value: 40 }, { timestampMs: at(1).getTime(), value: 41 }],
      newConnections: [{ timestampMs: at(0).getTime(), value: 120 }, { timestampMs: at(1).getTime(), value: 130 }],
    });
  });

  it('follows NextToken pages with the same query and joins the series in order', async () => {
    cwMock.on(GetMetricDataCommand)
      .resolvesOnce(page([[0, 40], [1, 41]], [[0, 120]], { NextToken: 'page-2' }, 'PartialData'))
      .resolvesOnce(page([[2, 45]], [[1, 130], [2, 140]]));
    const series = await source().instance.read('orders-sls', NOW, 30);
    const [first, second] = sent();
    expect(sent()).toHaveLength(2);
    expect(first).not.toHaveProperty('NextToken');
    expect(second).toEqual({ ...first, NextToken: 'page-2' });
    expect(series.currConnections.map((p) => p.value)).toEqual([40, 41, 45]);
    expect(series.newConnections.map((p) => p.value)).toEqual([120, 130, 140]);
    expect(series).not.toHaveProperty('warnings'); // the last page said Complete
  });

  it('says when the data is still partial, and passes CloudWatch messages on', async () => {
    cwMock.on(GetMetricDataCommand).resolves(page([[0, 40]], [[0, 5]], { Messages: [{ Code: 'MaxMetricsExceeded', Value: 'too many' }] }, 'PartialData'));
    const series = await source().instance.read('orders-sls', NOW, 30);
    expect(series.warnings).toEqual([
      'GetMetricData: MaxMetricsExceeded (too many)',
      'CurrConnections came back with status PartialData; its series may be incomplete',
      'NewConnections came back with status PartialData; its series may be incomplete',
    ]);
  });

  it('skips datapoints whose value or timestamp is missing', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'currConnections', StatusCode: 'Complete', Timestamps: [at(0), at(1), at(2)], Values: [40, 41] }],
    } as GetMetricDataCommandOutput);
    const series = await source().instance.read('orders-sls', NOW, 30);
    expect(series.currConnections.map((p) => p.value)).toEqual([40, 41]);
    expect(series.newConnections).toEqual([]);
  });

  it('stops following pages after maxPages, or when CloudWatch repeats a token, and says so', async () => {
    let n = 0;
    cwMock.on(GetMetricDataCommand).callsFake(() => page([[n, n]], [], { NextToken: `t${++n}` }, 'PartialData'));
    const capped = await source({ maxPages: 3 }).instance.read('orders-sls', NOW, 30);
    expect(sent()).toHaveLength(3);
    expect(capped.currConnections).toHaveLength(3);
    expect(capped.warnings).toContain('GetMetricData still had more data after 3 pages; the series may be incomplete');

    cwMock.reset();
    cwMock.on(GetMetricDataCommand).resolves(page([[0, 1]], [], { NextToken: 'same' }));
    const looped = await source().instance.read('orders-sls', NOW, 30);
    expect(sent()).toHaveLength(2);
    expect(looped.warnings).toContain('GetMetricData returned the same NextToken twice; the series may be incomplete');
  });

  it('retries a throttled request with the same input, and logs the retry', async () => {
    cwMock.on(GetMetricDataCommand)
      .rejectsOnce(awsError('Throttling', 400, 'Rate exceeded'))
      .resolves(page([[0, 40]], [[0, 5]]));
    const { instance, logger } = source();
    const series = await instance.read('orders-sls', NOW, 30);
    const [first, second] = sent();
    expect(sent()).toHaveLength(2);
    expect(second).toEqual(first);
    expect(series.currConnections).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith('retrying an AWS call', expect.objectContaining({ attempt: 1, error: 'Throttling: Rate exceeded' }));
  });

  it('gives up after three throttled attempts', async () => {
    cwMock.on(GetMetricDataCommand).rejects(awsError('Throttling', 400, 'Rate exceeded'));
    await expect(source().instance.read('orders-sls', NOW, 30)).rejects.toThrow(/GetMetricData AWS\/ElastiCache clusterId=orders-sls page 1 failed after 3 attempts: Throttling/);
    expect(sent()).toHaveLength(3);
  });

  it('fails at once, without retrying, when access is denied', async () => {
    cwMock.on(GetMetricDataCommand).rejects(awsError('AccessDenied', 403, 'not authorized to perform: cloudwatch:GetMetricData'));
    const failure = source().instance.read('orders-sls', NOW, 30);
    await expect(failure).rejects.toBeInstanceOf(DeliveryError);
    await expect(failure).rejects.toThrow(/failed after 1 attempt: AccessDenied: not authorized/);
    expect(sent()).toHaveLength(1);
  });

  it('refuses a window it cannot read in one call, before calling CloudWatch', async () => {
    for (const minutes of [0, 1.5, 1441, Number.NaN]) {
      await expect(source().instance.read('orders-sls', NOW, minutes)).rejects.toThrow(/windowMinutes must be a whole number from 1 to 1440/);
    }
    await expect(source().instance.read('', NOW, 30)).rejects.toThrow('the serverless cache name is empty');
    expect(sent()).toEqual([]);
  });
});
