import { describe, expect, it } from 'vitest';
import type { DiscoveryConfig } from '../../lambda/config.js';
import { replicationGroupCandidate, serverlessCacheCandidate, shardOf, tagsMatch } from '../../lambda/discovery/discovered-target.js';
import { clusterReplicationGroup, replicationGroup, serverlessCache } from '../support/elasticache-fixtures.js';

const discovery: DiscoveryConfig = { tags: { 'leak-audit': 'on' }, kinds: ['replication-group', 'serverless-cache'], maxTargets: 20 };

describe('a discovered replication group', () => {
  it('is audited through its primary endpoint, over TLS when in-transit encryption is on', () => {
    const candidate = replicationGroupCandidate(replicationGroup('orders'), discovery);
    expect(candidate).toEqual({
      ok: true,
      cache: { kind: 'replication-group', name: 'orders', arn: 'arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:orders' },
      target: { name: 'orders', url: 'rediss://master.orders.abc123.euw1.cache.amazonaws.com:6379', tls: true, cacheName: 'orders' },
    });
  });

  it('in cluster mode is audited through its configuration endpoint as a cluster', () => {
    const candidate = replicationGroupCandidate(clusterReplicationGroup('carts', { TransitEncryptionEnabled: false }), discovery);
    expect(candidate.ok && candidate.target).toEqual({ name: 'carts', url: 'redis://clustercfg.carts.abc123.euw1.cache.amazonaws.com:6379', cluster: true, cacheName: 'carts' });
  });

  it('carries the discovery credentials: a secret, or an IAM user with the group id to sign for', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleet-auditor-AbCdEf';
    const withSecret = replicationGroupCandidate(replicationGroup('orders'), { ...discovery, authSecretArn: secret });
    expect(withSecret.ok && withSecret.target.authSecretArn).toBe(secret);
    const withIam = replicationGroupCandidate(replicationGroup('orders'), { ...discovery, iamUser: 'leak-auditor' });
    expect(withIam.ok && withIam.target).toMatchObject({ iamUser: 'leak-auditor', cacheName: 'orders' });
  });

  it.each([
    [{ Status: 'creating' }, 'status creating'],
    [{ Status: 'deleting' }, 'status deleting'],
    [{ NodeGroups: [] }, 'no primary endpoint'],
    [{ ARN: undefined }, 'the API gave no id or ARN'],
  ])('is left out when it cannot be audited now (%o)', (over, reason) => {
    expect(replicationGroupCandidate(replicationGroup('orders', over), discovery)).toEqual({ ok: false, name: 'orders', reason });
  });

  it('is still audited while it is being modified or snapshotted (its endpoint answers)', () => {
    expect(replicationGroupCandidate(replicationGroup('orders', { Status: 'modifying' }), discovery).ok).toBe(true);
    expect(replicationGroupCandidate(replicationGroup('orders', { Status: 'snapshotting' }), discovery).ok).toBe(true);
  });
});

describe('a discovered serverless cache', () => {
  it('is audited over TLS as a serverless target, named for its CloudWatch metrics', () => {
    const candidate = serverlessCacheCandidate(serverlessCache('sessions'), discovery);
    expect(candidate.ok && candidate.target).toEqual({
      name: 'sessions', url: 'rediss://sessions-x1y2z3.serverless.euw1.cache.amazonaws.com:6379', tls: true, cacheName: 'sessions', serverless: true,
    });
  });

  it('running Memcached is left out', () => {
    expect(serverlessCacheCandidate(serverlessCache('pages', { Engine: 'memcached' }), discovery)).toEqual({ ok: false, name: 'pages', reason: 'engine memcached' });
  });
});

describe('tagsMatch', () => {
  const cacheTags = [{ Key: 'leak-audit', Value: 'on' }, { Key: 'team', Value: 'payments' }];

  it('needs every wanted tag with its value', () => {
    expect(tagsMatch(cacheTags, { 'leak-audit': 'on' })).toBe(true);
    expect(tagsMatch(cacheTags, { 'leak-audit': 'on', team: 'payments' })).toBe(true);
    expect(tagsMatch(cacheTags, { 'leak-audit': 'off' })).toBe(false);
    expect(tagsMatch(cacheTags, { 'leak-audit': 'on', env: 'prod' })).toBe(false);
  });

  it('takes * as any value of a present key', () => {
    expect(tagsMatch(cacheTags, { team: '*' })).toBe(true);
    expect(tagsMatch(cacheTags, { env: '*' })).toBe(false);
  });
});

describe('shardOf', () => {
  const names = Array.from({ length: 300 }, (_, i) => `cache-${i}`);

  it('puts every cache in exactly one shard, the same one every time', () => {
    for (const name of names) {
      const shard = shardOf(name, 4);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(4);
      expect(shardOf(name, 4)).toBe(shard);
    }
  });

  it('spreads a fleet over the shards roughly evenly', () => {
    const counts = [0, 0, 0, 0];
    for (const name of names) counts[shardOf(name, 4)] = (counts[shardOf(name, 4)] ?? 0) + 1;
    // 75 a shard on average; FNV-1a over these names stays well within half of that either way.
    for (const count of counts) expect(count).toBeGreaterThan(37);
    expect(shardOf('anything', 1)).toBe(0);
  });
});
