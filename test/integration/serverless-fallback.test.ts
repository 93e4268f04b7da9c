// The ElastiCache Serverless fallback end to end: a real redis-server where the auditor's ACL user has no
// `client|list` (refused like on Serverless), audited through auditTarget with the real S3 store, metric
// sink and CloudWatchConnectionMetrics on aws-sdk-client-mock clients. CloudWatch answers GetMetricData
// with a rising CurrConnections series and high NewConnections, in two pages.
import { GetMetricDataCommand, PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import { auditTarget, type LogSink, type TargetDeps } from '../../lambda/audit-target.js';
import { connectableTarget } from '../../lambda/auth/target-credentials.js';
import { loadConfig, type LambdaConfig } from '../../lambda/config.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { CloudWatchConnectionMetrics } from '../../lambda/publish/cloudwatch-connection-metrics.js';
import { CloudWatchMetricSink } from '../../lambda/publish/cloudwatch-metric-sink.js';
import { S3ReportStore } from '../../lambda/publish/s3-report-store.js';
import { connectionSeries, type FakeSeries } from '../support/cloudwatch-series.js';
import { CREDENTIALS, fakeAws, REGION } from '../support/fake-aws.js';
import { expectValidReport } from '../support/report-schema.js';

const PASSWORD = 'no-list-Pa55-never-logged';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sls-auth-AbCdEf';
const CACHE = 'orders-sls';

/** Rises 3 a minute from 120, with two dips of a few connections (a leak, as CloudWatch's Maximum sees it). */
const currConnections = (minute: number) => 120 + 3 * minute - (minute === 5 || minute === 15 ? 5 : 0);
/** About 400 new connections a minute: a client per request, far above the default threshold of 100. */
const newConnections = (minute: number) => 400 + (minute % 3) * 30;

let redis: LocalRedisServer;
let pool: WorkloadHandle;
let aws: ReturnType<typeof fakeAws>;
let logs: Array<{ level: string; message: string; attributes: Record<string, unknown> }>;

beforeAll(async () => {
  redis = await startLocalRedis({
    args: ['--user', 'no-list', 'on', `>${PASSWORD}`, '+client|setname', '+info', '+ping'],
  });
  // A few application connections from a source of their own, which the audit cannot list.
  pool = await idlePool({ host: redis.host, port: redis.port }, '127.0.0.71', { size: 5, name: 'orders-api' });
});
afterAll(async () => {
  await pool?.stop();
  await redis?.stop();
});
beforeEach(() => {
  aws = fakeAws();
  logs = [];
});
afterEach(() => aws.restore());

function configFor(target: Record<string, unknown>): LambdaConfig {
  return loadConfig({
    AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', AUDIT_TARGETS: JSON.stringify([{ name: 'sls', url: redis.url, authSecretArn: SECRET_ARN, ...target }]),
    CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000',
  });
}

function deps(config: LambdaConfig): TargetDeps {
  const logger: LogSink & { warn: LogSink['warn'] } = {
    info: (message, attributes = {}) => logs.push({ level: 'info', message, attributes }),
    warn: (message, attributes = {}) => logs.push({ level: 'warn', message, attributes }),
    error: (message, attributes = {}) => logs.push({ level: 'error', message, attributes }),
  };
  const { s3, cloudwatch } = aws.clients();
  return {
    store: new S3ReportStore({ s3, bucket: config.reportBucket, region: REGION, presignExpiresSeconds: 3600, logger }),
    metrics: new CloudWatchMetricSink({ cloudwatch, namespace: config.metricNamespace, logger }),
    notifier: null,
    logger,
    serviceMetrics: new CloudWatchConnectionMetrics({ cloudwatch, logger, retry: { sleep: async () => {} } }),
    connectable: (target) => connectableTarget(target, {
      getSecret: async () => JSON.stringify({ username: 'no-list', password: PASSWORD }),
      awsCredentials: async () => CREDENTIALS,
      region: REGION,
    }),
    toolVersion: 'test',
  };
}

async function run(target: Record<string, unknown>) {
  const config = configFor(target);
  const outcome = await auditTarget(config, config.targets[0]!, deps(config));
  const text = aws.objects.get('reports/sls/latest.json');
  expect(text).toBeDefined();
  const report = JSON.parse(text ?? '{}') as AuditReport;
  expectValidReport(report);
  return { outcome, report };
}

const metricData = () => aws.cloudwatchMock.commandCalls(PutMetricDataCommand).flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? []);
const metric = (name: string) => metricData().filter((d) => d.MetricName === name && d.Dimensions?.length === 1).map((d) => d.Value);
const metricReads = () => aws.cloudwatchMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
const mean = (values: readonly number[]) => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;

describe('a serverless target whose CLIENT LIST is refused', () => {
  let series: FakeSeries;
  let result: Awaited<ReturnType<typeof run>>;

  beforeEach(async () => {
    series = connectionSeries({ currConnections, newConnections, pageSize: 20 });
    aws.cloudwatchMock.on(GetMetricDataCommand).callsFake(series.respond);
    result = await run({ serverless: true, cacheName: CACHE });
  });

  it('audits INFO-only and reads the cache metrics in one paged GetMetricData call', () => {
    expect(result.outcome).toMatchObject({ status: 'ok', deliveryFailures: [] });
    expect(result.report.auditor.method).toBe('info-only');
    const reads = metricReads();
    expect(reads).toHaveLength(2); // 29 minutes, 20 datapoints a page
    expect(reads[1]).toEqual({ ...reads[0], NextToken: 'page-at-20' });
    expect(reads[0]?.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.Dimensions)).toEqual([
      [{ Name: 'clusterId', Value: CACHE }], [{ Name: 'clusterId', Value: CACHE }],
    ]);
    expect((reads[0]?.EndTime?.getTime() ?? 0) - (reads[0]?.StartTime?.getTime() ?? 0)).toBe(30 * 60_000);
  });

  it('stores serviceMetrics with what CloudWatch returned', () => {
    // Minutes 0..28 of the window (the newest minute is not ingested yet).
    expect(series.served.CurrConnections).toHaveLength(29);
    expect(result.report.serviceMetrics).toMatchObject({
      source: 'cloudwatch', namespace: 'AWS/ElastiCache', dimensions: { clusterId: CACHE }, periodSeconds: 60, windowMinutes: 30,
      currConnections: { latest: currConnections(28), first: currConnections(0), min: currConnections(0), max: currConnections(28), datapoints: 29 },
      newConnectionsPerMinute: { average: mean(series.served.NewConnections ?? []), max: 460, datapoints: 29 },
    });
    expect(result.report.serviceMetrics).not.toHaveProperty('error');
  });

  it('finds growth and churn target-wide from the series, and counts the growth as a suspected leak', () => {
    const { findings, summary } = result.report;
    expect(findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['connection-growth:warning', 'connection-churn:warning', 'client-list-unavailable:info']);
    const growth = findings[0];
    expect(growth?.subject).toEqual({});
    expect(growth?.evidence).toMatchObject({ firstConnections: 120, lastConnections: 204, growth: 84, samples: 29 });
    expect(findings[1]?.message).toMatch(/the sources cannot be named/);
    expect(summary.suspectedLeaks).toBe(1);
    expect(summary.findingsBySeverity).toEqual({ info: 1, warning: 2, critical: 0 });
  });

  it('says plainly what could not be seen', () => {
    const text = (result.report.limitations ?? []).join('\n');
    expect(text).toMatch(/Per-client details \(source IPs, client names, users, libraries, idle times, pub\/sub, blocked and in-transaction clients\) were not visible on 127\.0\.0\.1:\d+: CLIENT LIST is refused by ElastiCache Serverless/);
    expect(text).toContain('Connections by source: growth, churn and idle connections cannot be attributed to an application');
    expect(text).toContain('CloudWatch (AWS/ElastiCache, clusterId orders-sls) gives cache-wide totals per minute only');
  });

  it('publishes the churn rate CloudWatch measured, and the connection count INFO measured', () => {
    // One sample and no earlier run: INFO gives no rate, so the rate is CloudWatch's window average.
    expect(result.report.summary.newConnectionsPerMinute).toBe(mean(series.served.NewConnections ?? []));
    expect(metric('NewConnectionsPerMinute')).toEqual([result.report.summary.newConnectionsPerMinute]);
    // A real redis-server reports connected_clients in INFO, so that number stays (the pool and the auditor at least).
    expect(result.report.summary.connectedClients).toBeGreaterThanOrEqual(6);
    expect(metric('ConnectedClients')).toEqual([result.report.summary.connectedClients]);
    // The series decided the growth finding: the leak count is known, and the SuspectedLeaks alarm can fire.
    expect(metric('SuspectedLeaks')).toEqual([1]);
    // Nothing per source was seen: left out, never sent as 0.
    expect(metric('LargestSourceConnections')).toEqual([]);
    expect(metric('IdleClients')).toEqual([]);
  });

  it('renders the metrics and limitations in the stored HTML page', () => {
    const html = aws.objects.get('reports/sls/latest.html') ?? '';
    expect(html).toContain('Service metrics (CloudWatch)');
    expect(html).toContain('What this audit could not see');
  });
});

describe('the order of a serverless run', () => {
  it('reads the cache metrics before the audit connects, so that the assessment decides with them', async () => {
    const control = await RespClient.connect({ host: redis.host, port: redis.port });
    const received = async () => Number(/^total_connections_received:(\d+)/m.exec(String(await control.command('INFO', 'stats')))?.[1]);
    const series = connectionSeries({ currConnections, newConnections });
    let receivedAtRead = -1;
    aws.cloudwatchMock.on(GetMetricDataCommand).callsFake(async (input) => {
      receivedAtRead = await received();
      return series.respond(input);
    });
    try {
      await run({ serverless: true, cacheName: CACHE });

      // The auditor's one connection was opened after the read.
      expect(await received()).toBe(receivedAtRead + 1);
    } finally {
      await control.close();
    }
  });
});

describe('when CloudWatch refuses GetMetricData', () => {
  it('still stores the report, with the error and a limitation, and logs a warning without secrets', async () => {
    aws.cloudwatchMock.on(GetMetricDataCommand).rejects(Object.assign(
      new Error('User: arn:aws:sts::123456789012:assumed-role/auditor/fn is not authorized to perform: cloudwatch:GetMetricData'),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    ));
    const { outcome, report } = await run({ serverless: true, cacheName: CACHE });

    expect(outcome).toMatchObject({ status: 'ok', deliveryFailures: [] });
    expect(metricReads()).toHaveLength(1); // AccessDenied is not retried
    expect(report.serviceMetrics).toMatchObject({ currConnections: null, newConnectionsPerMinute: null });
    expect(report.serviceMetrics?.error).toMatch(/AccessDenied: User: .* is not authorized to perform: cloudwatch:GetMetricData/);
    expect(report.limitations?.at(-1)).toMatch(/^CloudWatch connection metrics .* for orders-sls could not be read \(.*AccessDenied.*\): connection growth and churn were not checked from them\.$/);
    expect(report.summary.newConnectionsPerMinute).toBeNull();
    expect(metric('NewConnectionsPerMinute')).toEqual([]);
    expect(metric('AuditSucceeded')).toEqual([1]);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.message)).toContain('cache metrics not read');
    expect(JSON.stringify(logs)).not.toContain(PASSWORD);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
  });
});

describe('a target that is not serverless', () => {
  it('never calls GetMetricData, and its report still lists what CLIENT LIST would have shown', async () => {
    const { outcome, report } = await run({ cacheName: CACHE });

    expect(outcome.status).toBe('ok');
    expect(metricReads()).toEqual([]);
    expect(report).not.toHaveProperty('serviceMetrics');
    expect(report.limitations?.[0]).toContain('CLIENT LIST was refused or did not answer (see the node errors)');
    expect(report.findings.map((f) => f.kind)).toEqual(['client-list-unavailable']);
  });
});

describe('the Lambda handler with a serverless target', () => {
  it('reads the cache\'s CloudWatch metrics by its name and publishes the leak count they decide', async () => {
    const { createHandler } = await import('../../lambda/handler.js');
    const { Logger } = await import('@aws-lambda-powertools/logger');
    const { lambdaContext } = await import('../support/fake-aws.js');
    const series = connectionSeries({ currConnections, newConnections });
    aws.cloudwatchMock.on(GetMetricDataCommand).callsFake(series.respond);
    const handler = createHandler({
      env: {
        AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000', SERVICE_METRICS_WINDOW_MINUTES: '20',
        AUDIT_TARGETS: JSON.stringify([{ name: 'sls', url: redis.url, authSecretArn: SECRET_ARN, serverless: true, cacheName: CACHE }]),
      },
      clients: aws.clients,
      getSecret: async () => JSON.stringify({ username: 'no-list', password: PASSWORD }),
      logger: new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'CRITICAL' }),
      awsCredentials: async () => CREDENTIALS,
    });

    await handler({}, lambdaContext());

    const reads = metricReads();
    expect(reads).toHaveLength(1);
    expect((reads[0]?.EndTime?.getTime() ?? 0) - (reads[0]?.StartTime?.getTime() ?? 0)).toBe(20 * 60_000);
    expect(reads[0]?.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.Dimensions)).toEqual([[{ Name: 'clusterId', Value: CACHE }], [{ Name: 'clusterId', Value: CACHE }]]);
    const report = JSON.parse(aws.objects.get('reports/sls/latest.json') ?? '{}') as AuditReport;
    expect(report.serviceMetrics?.windowMinutes).toBe(20);
    expect(report.findings.some((f) => f.kind === 'connection-growth')).toBe(true);
    expect(metric('SuspectedLeaks')).toEqual([1]);
  });
});
