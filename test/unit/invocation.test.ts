import { describe, expect, it } from 'vitest';
import type { DiscoveryConfig } from '../../lambda/config.js';
import { ConfigError } from '../../lambda/core/errors.js';
import { readInvocation } from '../../lambda/invocation.js';

const targets = [{ name: 'a', url: 'redis://a:6379' }, { name: 'b', url: 'redis://b:6379' }];
const discovery: DiscoveryConfig = { tags: { 'leak-audit': 'on' }, kinds: ['replication-group'], maxTargets: 20 };

describe('readInvocation', () => {
  it('audits every configured target and every discovered cache for a plain schedule event', () => {
    expect(readInvocation({ targets, discovery }, { source: 'aws.events' })).toEqual({ targets, discoveredShard: { index: 0, count: 1 } });
    expect(readInvocation({ targets, discovery: null }, undefined)).toEqual({ targets, discoveredShard: null });
  });

  it('audits only the named configured targets, and no discovered cache, for a per-target event', () => {
    expect(readInvocation({ targets, discovery }, { targets: ['b'] })).toEqual({ targets: [targets[1]], discoveredShard: null });
  });

  it('audits only one shard of the discovered caches for a shard event', () => {
    expect(readInvocation({ targets, discovery }, { discovered: { shard: 2, shards: 3 } })).toEqual({ targets: [], discoveredShard: { index: 2, count: 3 } });
    expect(readInvocation({ targets, discovery }, { discovered: true })).toEqual({ targets: [], discoveredShard: { index: 0, count: 1 } });
  });

  it.each([
    [{ discovered: { shard: 3, shards: 3 } }, 'the event\'s "discovered" must be true or { "shard": i, "shards": n }'],
    [{ discovered: { shard: 0 } }, 'got {"shard":0}'],
    [{ discovered: 'yes' }, 'got "yes"'],
  ])('refuses a malformed shard event (%o), saying the form it expects', (event, message) => {
    expect(() => readInvocation({ targets, discovery }, event)).toThrow(ConfigError);
    expect(() => readInvocation({ targets, discovery }, event)).toThrow(message);
  });

  it('refuses a shard event when discovery is not configured', () => {
    expect(() => readInvocation({ targets, discovery: null }, { discovered: true })).toThrow('DISCOVERY is not configured');
  });
});
