// A serverless cache's CloudWatch metrics handed to runAudit reach the core's assessment, which decides with
// them once: a standalone server audited through the shared sampler gets the serviceMetrics section and the
// findings of its series; an audit that read nothing from the cache ignores them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { ConnectError } from '../../lambda/core/errors.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import type { ServiceMetricsEvidence } from '../../lambda/core/service-metrics.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { runAudit, type RunAuditOptions } from '../../lambda/run-audit.js';
import { expectValidReport } from '../support/report-schema.js';

let redis: LocalRedisServer;
beforeAll(async () => {
  redis = await startLocalRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

const END = Date.parse('2026-11-26T09:30:00.000Z');
/** CurrConnections rising 4 a minute for 30 minutes: the leak signature; NewConnections flat and low. */
const rising: ServiceMetricsEvidence = {
  series: {
    cacheName: 'orders-sls', startMs: END - 30 * 60_000, endMs: END,
    currConnections: Array.from({ length: 30 }, (_, i) => ({ timestampMs: END - (30 - i) * 60_000, value: 100 + 4 * i })),
    newConnections: Array.from({ length: 30 }, (_, i) => ({ timestampMs: END - (30 - i) * 60_000, value: 2 })),
  },
};

function options(overrides: Partial<RunAuditOptions> = {}): RunAuditOptions {
  return {
    target: parseTargetUrl(redis.url), samples: 2, intervalMs: 10, policy: defaultPolicy, previousState: null,
    connectTimeoutMs: 2000, commandTimeoutMs: 2000, toolVersion: 'test', ...overrides,
  };
}

describe('runAudit with a cache\'s service metrics', () => {
  it('assesses a standalone server with them: the section, the growth they show, and the limitations CloudWatch has', async () => {
    const result = await runAudit(options({ serviceMetrics: rising }));

    expect(result.error).toBeNull();
    expectValidReport(result.report);
    expect(result.report.status).toBe('ok');
    expect(result.report.serviceMetrics?.currConnections).toMatchObject({ first: 100, latest: 216, datapoints: 30 });
    expect(result.report.findings.filter((f) => f.kind === 'connection-growth' && Object.keys(f.subject).length === 0)).toHaveLength(1);
    expect(result.report.limitations?.join('\n')).toContain('CloudWatch (AWS/ElastiCache, clusterId orders-sls) gives cache-wide totals per minute only');
  });

  it('ignores them when nothing was read from the cache', async () => {
    const preflightError = new ConnectError('orders-sls could not be reached');
    const result = await runAudit(options({ serviceMetrics: rising, preflightError }));

    expect(result.error).toBe(preflightError);
    expect(result.report.status).toBe('failed');
    expect(result.report).not.toHaveProperty('serviceMetrics');
    expect(result.report.findings.some((f) => f.kind === 'connection-growth')).toBe(false);
  });

  it('leaves a report without them as it was: no section, no CloudWatch limitation', async () => {
    const result = await runAudit(options());
    expect(result.report).not.toHaveProperty('serviceMetrics');
    expect(result.report.limitations ?? []).toEqual([]);
  });
});
