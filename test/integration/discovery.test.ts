// Discovery by tag through the real handler: the ElastiCache API (aws-sdk-client-mock, answers shaped like
// the real ones) lists caches whose endpoints are real local redis-servers. A cache tagged after deploy is
// audited at the next run, untagged ones never, and a discovery failure never stops the configured targets.
import { PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient, ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { shardOf } from '../../lambda/discovery/discovered-target.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { replicationGroup, replicationGroupArn, tags } from '../support/elasticache-fixtures.js';
import { expectValidReport } from '../support/report-schema.js';
import { waitForIdle } from '../support/wait.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:redis-leaks';
const DISCOVERY = JSON.stringify({ tags: { 'leak-audit': 'on' }, kinds: ['replication-group'] });

let orders: LocalRedisServer;
let carts: LocalRedisServer;
const handles: WorkloadHandle[] = [];
const elasticache = new ElastiCacheClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const elasticacheMock = mockClient(elasticache);
let aws: ReturnType<typeof fakeAws>;

/** A plain-text (no TLS) group whose primary endpoint is a local server. */
const localGroup = (id: string, server: LocalRedisServer) => replicationGroup(id, { host: server.host, port: server.port, TransitEncryptionEnabled: false });

function account(groups: Array<{ id: string; server: LocalRedisServer; tagged: boolean }>) {
  elasticacheMock.reset();
  elasticacheMock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: groups.map((g) => localGroup(g.id, g.server)) });
  elasticacheMock.on(DescribeServerlessCachesCommand).rejects(new Error('not asked: kinds is replication-group only'));
  for (const g of groups) {
    elasticacheMock.on(ListTagsForResourceCommand, { ResourceName: replicationGroupArn(g.id) }).resolves(tags(g.tagged ? { 'leak-audit': 'on', team: g.id } : { team: g.id }));
  }
}

function handlerWith(env: Record<string, string>) {
  return createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN, IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10',
      CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000', DISCOVERY, ...env,
    },
    clients: () => ({ ...aws.clients(), elasticache }),
    logger: new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'CRITICAL' }),
    awsCredentials: async () => CREDENTIALS,
  });
}

const invoke = (handler: ReturnType<typeof handlerWith>, event: unknown = {}) => handler(event, lambdaContext()) as Promise<HandlerResult>;
const reportKeys = () => aws.s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key ?? '').filter((k) => k.endsWith('/latest.json'));
const metricData = () => aws.cloudwatchMock.commandCalls(PutMetricDataCommand).flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? []);
const fleetMetric = (name: string) => metricData()
  .filter((d) => d.MetricName === name && d.Dimensions?.length === 1 && d.Dimensions[0]?.Name === 'Fleet' && d.Dimensions[0].Value === 'discovered')
  .map((d) => d.Value);

beforeAll(async () => {
  orders = await startLocalRedis();
  carts = await startLocalRedis();
  handles.push(await perRequestLeak({ host: orders.host, port: orders.port }, '127.0.0.41', { count: 15, name: 'checkout' }));
  await waitForIdle(orders, '127.0.0.41', 15, 1); // idle means 1 s here
});

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  await Promise.allSettled([orders?.stop(), carts?.stop()]);
});

beforeEach(() => {
  aws = fakeAws();
});

afterEach(() => {
  aws.restore();
  elasticacheMock.reset();
});

describe('discovery by tag in the Lambda handler', () => {
  it('audits the tagged cache only, and audits a cache tagged later at the next run, without a redeploy', async () => {
    account([{ id: 'orders', server: orders, tagged: true }, { id: 'carts', server: carts, tagged: false }]);
    const handler = handlerWith({});

    const first = await invoke(handler);
    expect(first.targets.map((t) => [t.target, t.status])).toEqual([['orders', 'ok']]);
    expect(first.discovery).toMatchObject({ shard: { index: 0, count: 1 }, matched: 1, audited: ['orders'], skipped: [], error: null });
    expect(reportKeys()).toEqual(['reports/orders/latest.json']);
    expectValidReport(JSON.parse(aws.objects.get('reports/orders/latest.json') ?? '{}'));

    // Someone tags the carts cache; the same warm function, same configuration, finds it.
    account([{ id: 'orders', server: orders, tagged: true }, { id: 'carts', server: carts, tagged: true }]);
    const second = await invoke(handler);
    expect(second.targets.map((t) => t.target)).toEqual(['carts', 'orders']);
    expect(reportKeys()).toContain('reports/carts/latest.json');
  }, 30_000);

  it('sends the discovered targets\' alarm metrics under Fleet=discovered too, and the discovery\'s health', async () => {
    account([{ id: 'orders', server: orders, tagged: true }]);
    await invoke(handlerWith({}));
    expect(fleetMetric('DiscoverySucceeded')).toEqual([1]);
    expect(fleetMetric('DiscoveredTargets')).toEqual([1]);
    expect(fleetMetric('AuditSucceeded')).toEqual([1]);
    // The leak on the orders cache reaches the fleet alarm's metric.
    expect(fleetMetric('SuspectedLeaks')[0]).toBeGreaterThanOrEqual(1);
    // Per-node and informational metrics stay per target.
    expect(fleetMetric('ConnectedClients')).toEqual([]);
  }, 30_000);

  it('audits a cache configured in AUDIT_TARGETS with its own settings only, once', async () => {
    account([{ id: 'orders', server: orders, tagged: true }, { id: 'carts', server: carts, tagged: true }]);
    const result = await invoke(handlerWith({ AUDIT_TARGETS: JSON.stringify([{ name: 'orders', url: `redis://${orders.host}:${orders.port}` }]) }));
    expect(result.targets.map((t) => t.target)).toEqual(['orders', 'carts']);
    expect(result.discovery?.skipped).toEqual([{ name: 'orders', reason: 'configured in AUDIT_TARGETS' }]);
    expect(fleetMetric('AuditSucceeded')).toEqual([1]);
  }, 30_000);

  it('audits only its shard\'s caches for a shard event', async () => {
    account([{ id: 'orders', server: orders, tagged: true }, { id: 'carts', server: carts, tagged: true }]);
    const handler = handlerWith({});
    const audited: string[] = [];
    for (const shard of [0, 1]) {
      const result = await invoke(handler, { discovered: { shard, shards: 2 } });
      expect(result.targets.map((t) => t.target)).toEqual(['carts', 'orders'].filter((n) => shardOf(n, 2) === shard));
      audited.push(...result.targets.map((t) => t.target));
    }
    expect(audited.sort()).toEqual(['carts', 'orders']);
  }, 30_000);

  it('still audits the configured targets when discovery is refused, and says it failed', async () => {
    elasticacheMock.on(DescribeReplicationGroupsCommand).rejects(Object.assign(new Error('not authorized to perform: elasticache:DescribeReplicationGroups'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const result = await invoke(handlerWith({ AUDIT_TARGETS: JSON.stringify([{ name: 'static-orders', url: `redis://${orders.host}:${orders.port}` }]) }));
    expect(result.targets.map((t) => [t.target, t.status])).toEqual([['static-orders', 'ok']]);
    expect(result.discovery?.error).toContain('AccessDeniedException');
    expect(fleetMetric('DiscoverySucceeded')).toEqual([0]);
    expect(fleetMetric('DiscoveredTargets')).toEqual([]);
  }, 30_000);

  it('fails the invocation when discovery fails and nothing else was to be audited', async () => {
    elasticacheMock.on(DescribeReplicationGroupsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    await expect(invoke(handlerWith({}))).rejects.toThrow('discovery failed: DiscoveryError: caches could not be listed');
    expect(fleetMetric('DiscoverySucceeded')).toEqual([0]);
  });
});
