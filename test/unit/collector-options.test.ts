// What every NodeCollector of a run is opened with (lambda/collector-options.ts): the policy's stall budget,
// the node's memory from the state, and its listing progress told to the run's listener.
import { describe, expect, it } from 'vitest';
import type { AuditProgress } from '../../lambda/audit-progress.js';
import { collectorOptionsFor } from '../../lambda/collector-options.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import type { RunAuditOptions } from '../../lambda/run-audit.js';

const base: RunAuditOptions = {
  target: parseTargetUrl('redis://127.0.0.1:6379'), samples: 1, intervalMs: 0, previousState: null,
  policy: { ...defaultPolicy, maxStallMs: 7, overBudget: 'info-only' },
  connectTimeoutMs: 1000, commandTimeoutMs: 1000, toolVersion: 'test',
};

describe('collectorOptionsFor', () => {
  it('passes the policy\'s stall budget to the collector', () => {
    expect(collectorOptionsFor(base, '127.0.0.1:6379', () => undefined).stall).toEqual({ maxStallMs: 7, overBudget: 'info-only' });
  });

  it('has no memory for a node the state does not know', () => {
    expect(collectorOptionsFor(base, '127.0.0.1:6379', () => undefined).memory).toBeNull();
  });

  it('tells each listing step as a listing event', () => {
    const events: AuditProgress[] = [];
    const { onListing } = collectorOptionsFor(base, '127.0.0.1:6379', (e) => events.push(e));
    onListing?.({ node: '127.0.0.1:6379', listed: 12_000, expected: 65_000, commands: 3, idsLookedUp: 12_500 });
    expect(events).toEqual([{ kind: 'listing', node: '127.0.0.1:6379', listed: 12_000, expected: 65_000, commands: 3, idsLookedUp: 12_500 }]);
  });
});
