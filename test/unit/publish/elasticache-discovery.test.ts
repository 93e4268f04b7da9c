// The ElastiCache discovery adapter on a real ElastiCacheClient under aws-sdk-client-mock: the exact
// requests it sends, pagination, the tag reads it saves, and what it does when the API refuses.
import {
  DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient, ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoveryConfig } from '../../../lambda/config.js';
import { shardOf } from '../../../lambda/discovery/discovered-target.js';
import { DiscoveryError, ElastiCacheDiscovery } from '../../../lambda/discovery/elasticache-discovery.js';
import { CREDENTIALS } from '../../support/fake-aws.js';
import { REGION, replicationGroup, replicationGroupArn, serverlessCache, serverlessCacheArn, tags } from '../../support/elasticache-fixtures.js';

const client = new ElastiCacheClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const mock = mockClient(client);
const warnings: unknown[] = [];
const discovery = () => new ElastiCacheDiscovery({
  elasticache: client,
  retry: { attempts: 3, sleep: async () => undefined },
  logger: { warn: (message, attributes) => warnings.push({ message, ...attributes }) },
});
const config: DiscoveryConfig = { tags: { 'leak-audit': 'on' }, kinds: ['replication-group', 'serverless-cache'], maxTargets: 20 };
const whole = { index: 0, count: 1 };
const tagReads = () => mock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.ResourceName);
const denied = () => Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/auditor is not authorized to perform: elasticache:DescribeReplicationGroups'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });

afterEach(() => {
  mock.reset();
  warnings.length = 0;
});

describe('ElastiCacheDiscovery', () => {
  it('finds the tagged replication groups and serverless caches, following every page', async () => {
    mock.on(DescribeReplicationGroupsCommand, { MaxRecords: 100 }).resolves({ ReplicationGroups: [replicationGroup('orders'), replicationGroup('search')], Marker: 'page-2' });
    mock.on(DescribeReplicationGroupsCommand, { MaxRecords: 100, Marker: 'page-2' }).resolves({ ReplicationGroups: [replicationGroup('carts')] });
    mock.on(DescribeServerlessCachesCommand, { MaxResults: 100 }).resolves({ ServerlessCaches: [serverlessCache('sessions')], NextToken: 't-2' });
    mock.on(DescribeServerlessCachesCommand, { MaxResults: 100, NextToken: 't-2' }).resolves({ ServerlessCaches: [serverlessCache('tokens')] });
    mock.on(ListTagsForResourceCommand).resolves(tags({ team: 'search' }));
    for (const arn of [replicationGroupArn('orders'), replicationGroupArn('carts'), serverlessCacheArn('sessions')]) {
      mock.on(ListTagsForResourceCommand, { ResourceName: arn }).resolves(tags({ 'leak-audit': 'on', team: 'x' }));
    }

    const result = await discovery().discover(config, whole);

    expect(result.targets.map((t) => t.name)).toEqual(['carts', 'orders', 'sessions']);
    expect(result.targets.find((t) => t.name === 'sessions')).toMatchObject({ serverless: true, cacheName: 'sessions', tls: true });
    expect(result).toMatchObject({ matched: 3, skipped: [] });
    expect(mock.commandCalls(DescribeReplicationGroupsCommand).map((c) => c.args[0].input)).toEqual([{ MaxRecords: 100 }, { MaxRecords: 100, Marker: 'page-2' }]);
    expect(mock.commandCalls(DescribeServerlessCachesCommand).map((c) => c.args[0].input)).toEqual([{ MaxResults: 100 }, { MaxResults: 100, NextToken: 't-2' }]);
    expect(tagReads().sort()).toEqual([
      replicationGroupArn('carts'), replicationGroupArn('orders'), replicationGroupArn('search'), serverlessCacheArn('sessions'), serverlessCacheArn('tokens'),
    ].sort());
  });

  it('asks only for the kinds configured', async () => {
    mock.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [serverlessCache('sessions')] });
    mock.on(ListTagsForResourceCommand).resolves(tags({ 'leak-audit': 'on' }));
    const result = await discovery().discover({ ...config, kinds: ['serverless-cache'] }, whole);
    expect(result.targets.map((t) => t.name)).toEqual(['sessions']);
    expect(mock.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(0);
  });

  it('reads no tags of caches that cannot be audited now or belong to another shard', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `cache-${i}`);
    mock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [...names.map((n) => replicationGroup(n)), replicationGroup('new-one', { Status: 'creating' })] });
    mock.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
    mock.on(ListTagsForResourceCommand).resolves(tags({ 'leak-audit': 'on' }));

    const shard = { index: 1, count: 3 };
    const result = await discovery().discover(config, shard);

    const mine = names.filter((n) => shardOf(n, 3) === 1);
    expect(mine.length).toBeGreaterThan(0);
    expect(result.targets.map((t) => t.name)).toEqual([...mine].sort());
    expect(tagReads().sort()).toEqual(mine.map(replicationGroupArn).sort());
  });

  it('audits at most maxTargets caches, by name, and says which it left out and why', async () => {
    mock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: ['d', 'b', 'a', 'c'].map((n) => replicationGroup(n)) });
    mock.on(DescribeServerlessCachesCommand).resolves({});
    mock.on(ListTagsForResourceCommand).resolves(tags({ 'leak-audit': 'on' }));
    const result = await discovery().discover({ ...config, maxTargets: 2 }, whole);
    expect(result.targets.map((t) => t.name)).toEqual(['a', 'b']);
    expect(result.matched).toBe(4);
    expect(result.skipped.map((s) => s.name)).toEqual(['c', 'd']);
    expect(result.skipped[0]?.reason).toContain('over maxTargets (2)');
  });

  it('retries a throttled call and goes on', async () => {
    mock.on(DescribeReplicationGroupsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolves({ ReplicationGroups: [replicationGroup('orders')] });
    mock.on(DescribeServerlessCachesCommand).resolves({});
    mock.on(ListTagsForResourceCommand).resolves(tags({ 'leak-audit': 'on' }));
    const result = await discovery().discover(config, whole);
    expect(result.targets.map((t) => t.name)).toEqual(['orders']);
    expect(mock.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(2);
  });

  it('fails with the API error when the caches cannot be listed (missing permission)', async () => {
    mock.on(DescribeReplicationGroupsCommand).rejects(denied());
    const error = await discovery().discover(config, whole).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscoveryError);
    expect((error as Error).message).toContain('caches could not be listed: DeliveryError');
    expect((error as Error).message).toContain('AccessDeniedException');
    // Not retried: a refusal does not cure itself.
    expect(mock.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(1);
  });

  it('skips a cache whose tags cannot be read and audits the others', async () => {
    mock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [replicationGroup('orders'), replicationGroup('secret-one')] });
    mock.on(DescribeServerlessCachesCommand).resolves({});
    mock.on(ListTagsForResourceCommand, { ResourceName: replicationGroupArn('orders') }).resolves(tags({ 'leak-audit': 'on' }));
    mock.on(ListTagsForResourceCommand, { ResourceName: replicationGroupArn('secret-one') }).rejects(denied());
    const result = await discovery().discover(config, whole);
    expect(result.targets.map((t) => t.name)).toEqual(['orders']);
    expect(result.skipped).toEqual([{ name: 'secret-one', reason: expect.stringContaining('tags not readable') as string }]);
    expect(warnings).toContainEqual(expect.objectContaining({ message: 'cache tags not read', cache: 'secret-one' }));
  });

  it('fails when no tag could be read at all', async () => {
    mock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [replicationGroup('orders')] });
    mock.on(DescribeServerlessCachesCommand).resolves({});
    mock.on(ListTagsForResourceCommand).rejects(denied());
    await expect(discovery().discover(config, whole)).rejects.toThrow("no cache's tags could be read (1 tried)");
  });

  it('finds nothing, without error, in an account with no cache', async () => {
    mock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [] });
    mock.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
    await expect(discovery().discover(config, whole)).resolves.toEqual({ targets: [], matched: 0, skipped: [] });
  });
});
