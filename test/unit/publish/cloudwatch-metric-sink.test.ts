import { CloudWatchClient, CloudWatchServiceException, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricDatum } from '../../../lambda/core/metrics.js';
import { batch, CloudWatchMetricSink, MAX_REQUEST_BYTES, toCloudWatch } from '../../../lambda/publish/cloudwatch-metric-sink.js';

const cwMock = mockClient(CloudWatchClient);
const AT = Date.parse('2026-11-26T09:05:00.000Z');

function datum(overrides: Partial<MetricDatum> = {}): MetricDatum {
  return { name: 'ConnectedClients', value: 412, unit: 'Count', dimensions: { Target: 'orders-cache' }, timestampMs: AT, ...overrides };
}

function sink() {
  const logger = { warn: vi.fn() };
  const instance = new CloudWatchMetricSink({ cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }), namespace: 'RedisLeakAuditor', logger, retry: { sleep: async () => {} } });
  return { instance, logger };
}

const sent = () => cwMock.commandCalls(PutMetricDataCommand).map((call) => call.args[0].input);

beforeEach(() => {
  cwMock.reset();
  cwMock.on(PutMetricDataCommand).resolves({});
});

describe('CloudWatchMetricSink', () => {
  it('sends each datum with its name, value, unit, timestamp and dimensions in the namespace', async () => {
    await sink().instance.publish([
      datum(),
      datum({ name: 'MaxClientsUtilization', value: 4.12, unit: 'Percent', dimensions: { Target: 'orders-cache', Node: '10.0.0.5:6379' } }),
      datum({ name: 'AuditDurationMs', value: 830, unit: 'Milliseconds', timestampMs: AT + 1 }),
    ]);
    expect(sent()).toEqual([{
      Namespace: 'RedisLeakAuditor',
      MetricData: [
        { MetricName: 'ConnectedClients', Value: 412, Unit: 'Count', Timestamp: new Date(AT), Dimensions: [{ Name: 'Target', Value: 'orders-cache' }] },
        {
          MetricName: 'MaxClientsUtilization', Value: 4.12, Unit: 'Percent', Timestamp: new Date(AT),
          Dimensions: [{ Name: 'Target', Value: 'orders-cache' }, { Name: 'Node', Value: '10.0.0.5:6379' }],
        },
        { MetricName: 'AuditDurationMs', Value: 830, Unit: 'Milliseconds', Timestamp: new Date(AT + 1), Dimensions: [{ Name: 'Target', Value: 'orders-cache' }] },
      ],
    }]);
  });

  it('splits 1,200 datums into three requests of at most 500, in order', async () => {
    const data = Array.from({ length: 1_200 }, (_, i) => datum({ value: i }));
    await sink().instance.publish(data);
    const requests = sent();
    expect(requests.map((r) => r.MetricData?.length)).toEqual([500, 500, 200]);
    expect(requests.every((r) => r.Namespace === 'RedisLeakAuditor')).toBe(true);
    expect(requests.flatMap((r) => r.MetricData?.map((d) => d.Value))).toEqual(data.map((d) => d.value));
  });

  it('sends nothing for no datums', async () => {
    await sink().instance.publish([]);
    expect(sent()).toEqual([]);
  });

  it('retries a throttled request and sends the same batch again', async () => {
    cwMock.on(PutMetricDataCommand)
      .rejectsOnce(new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }))
      .resolves({});
    const { instance, logger } = sink();
    await instance.publish([datum()]);
    const [first, second] = sent();
    expect(sent()).toHaveLength(2);
    expect(second).toEqual(first);
    expect(logger.warn).toHaveBeenCalledWith('retrying an AWS call', expect.objectContaining({ attempt: 1, error: 'Throttling: Rate exceeded' }));
  });

  it('fails without retrying when CloudWatch refuses the request', async () => {
    cwMock.on(PutMetricDataCommand).rejects(new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' }));
    await expect(sink().instance.publish([datum()])).rejects.toThrow(/PutMetricData RedisLeakAuditor batch 1\/1 failed after 1 attempt: AccessDenied/);
    expect(sent()).toHaveLength(1);
  });

  it('drops NaN and infinite values with one counted warning and sends the rest', async () => {
    const { instance, logger } = sink();
    await instance.publish([datum({ value: Number.NaN }), datum({ name: 'IdleClients', value: Infinity }), datum({ name: 'SuspectedLeaks', value: 1 })]);
    expect(sent()[0]?.MetricData?.map((d) => d.MetricName)).toEqual(['SuspectedLeaks']);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith('metric datums dropped: CloudWatch would refuse them', { dropped: 2, names: ['ConnectedClients', 'IdleClients'] });
  });

  it('drops a datum with an empty dimension value instead of failing the whole request', () => {
    const { accepted, dropped } = toCloudWatch([datum({ dimensions: { Target: '' } }), datum()]);
    expect(accepted).toHaveLength(1);
    expect(dropped).toEqual(['ConnectedClients']);
  });

  it('refuses a namespace CloudWatch reserves', () => {
    expect(() => new CloudWatchMetricSink({ cloudwatch: new CloudWatchClient({}), namespace: 'AWS/ElastiCache' })).toThrow(/AWS\//);
  });
});

describe('batch', () => {
  it('also cuts on the estimated request size', () => {
    const wide = toCloudWatch(Array.from({ length: 400 }, () => datum({
      dimensions: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`Dimension${i}`, 'v'.repeat(60)])),
    }))).accepted;
    const batches = batch(wide);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toHaveLength(400);
    for (const b of batches) expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThan(MAX_REQUEST_BYTES);
  });
});
