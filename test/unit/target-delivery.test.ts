// The small steps of one target's run in the Lambda: delivery steps that fail alone, and the serverless cache's
// CloudWatch metrics read before the audit (lambda/delivery-steps.ts, lambda/read-cache-metrics.ts).
import { describe, expect, it } from 'vitest';
import type { ServiceMetricSeries } from '../../lambda/core/service-metrics.js';
import { DELIVERY_STEPS, DeliveryAttempts, deliveredNothing, NOTHING_DELIVERED } from '../../lambda/delivery-steps.js';
import { readCacheMetrics } from '../../lambda/read-cache-metrics.js';
import type { TargetLog } from '../../lambda/target-log.js';

type Line = { level: string; message: string; attributes: Record<string, unknown> };

function recorder(): { log: TargetLog; lines: Line[] } {
  const lines: Line[] = [];
  return { lines, log: (level, message, attributes = {}) => lines.push({ level, message, attributes }) };
}

const series: ServiceMetricSeries = { cacheName: 'orders-sls', startMs: 0, endMs: 1_800_000, currConnections: [], newConnections: [] };
const NOW_MS = 1_800_000;

describe('DeliveryAttempts', () => {
  it('answers what a step delivered and counts nothing when it worked', async () => {
    const deliveries = new DeliveryAttempts(recorder().log);

    expect(await deliveries.attempt('save-report', async () => 'stored')).toBe('stored');
    expect(deliveries.failures).toEqual([]);
  });

  it('counts a failed step in order, logs it with its step name, and never throws', async () => {
    const { log, lines } = recorder();
    const deliveries = new DeliveryAttempts(log);

    expect(await deliveries.attempt('metrics', () => Promise.reject(new Error('Rate exceeded\nsecond line')))).toBeUndefined();
    await deliveries.attempt('notify', () => Promise.reject(new Error('Internal')));

    expect(deliveries.failures).toEqual(['metrics', 'notify']);
    expect(deliveries.failed('metrics')).toBe(true);
    expect(deliveries.failed('save-state')).toBe(false);
    expect(lines[0]).toEqual({ level: 'error', message: 'metrics failed', attributes: { step: 'metrics', error: 'Error: Rate exceeded' } });
  });

  it('calls a run undelivered only when neither its report nor its metrics were delivered', () => {
    expect(DELIVERY_STEPS).toEqual(['load-state', 'save-report', 'metrics', 'notify', 'save-state']);
    expect(deliveredNothing(NOTHING_DELIVERED)).toBe(true);
    expect(deliveredNothing(['load-state', 'save-report', 'metrics'])).toBe(true);
    expect(deliveredNothing(['save-report', 'save-state'])).toBe(false);
    expect(deliveredNothing(['metrics'])).toBe(false);
  });
});

describe('readCacheMetrics', () => {
  const settings = { serviceMetricsWindowMinutes: 20 };

  it.each([
    ['not serverless', { cacheName: 'orders-sls' }],
    ['serverless without a cache name', { serverless: true }],
    ['serverless with an empty cache name', { serverless: true, cacheName: '' }],
  ])('reads nothing for a target %s', async (_, target) => {
    const reads: unknown[] = [];
    const source = { read: async (...args: unknown[]) => (reads.push(args), series) };

    expect(await readCacheMetrics(settings, target, source, NOW_MS, recorder().log)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('reads nothing without a source', async () => {
    expect(await readCacheMetrics(settings, { serverless: true, cacheName: 'orders-sls' }, undefined, NOW_MS, recorder().log)).toBeUndefined();
  });

  it('reads the configured window ending now, and logs what CloudWatch said was incomplete', async () => {
    const { log, lines } = recorder();
    const reads: unknown[] = [];
    const source = { read: async (...args: unknown[]) => (reads.push(args), { ...series, warnings: ['PartialData'] }) };

    const evidence = await readCacheMetrics(settings, { serverless: true, cacheName: 'orders-sls' }, source, NOW_MS, log);

    expect(reads).toEqual([['orders-sls', NOW_MS, 20]]);
    expect(evidence).toEqual({ series: { ...series, warnings: ['PartialData'] } });
    expect(lines).toEqual([{ level: 'warn', message: 'cache metrics incomplete', attributes: { cacheName: 'orders-sls', warnings: ['PartialData'] } }]);
  });

  it('turns a failed read into the evidence of its failure, logged as a warning', async () => {
    const { log, lines } = recorder();
    const refused = Object.assign(new Error('not authorized to perform: cloudwatch:GetMetricData'), { name: 'AccessDenied' });
    const source = { read: () => Promise.reject(refused) };

    const evidence = await readCacheMetrics(settings, { serverless: true, cacheName: 'orders-sls' }, source, NOW_MS, log);

    const error = 'AccessDenied: not authorized to perform: cloudwatch:GetMetricData';
    expect(evidence).toEqual({ failure: { cacheName: 'orders-sls', windowMinutes: 20, endMs: NOW_MS, error } });
    expect(lines).toEqual([{ level: 'warn', message: 'cache metrics not read', attributes: { cacheName: 'orders-sls', error } }]);
  });
});
