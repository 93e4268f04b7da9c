// Issue 13: bounded and honest against a broken or hostile server. Each mode of hostile_server.py breaks one
// thing in what a Redis 7.0.15 would answer; the built CLI audits it with `--deadline-seconds 8` and must end
// within the deadline and 400 MB, say what it could not read, and print no stack trace and no escape.
// This file: replies too large, too many, too slow, or a cluster that announces 10,000 nodes.
// hostile-server-content.test.ts: replies of the wrong shape or content, and the bundled Lambda.
import { describe, expect, it } from 'vitest';
import { auditOnce, itIsBoundedAndHonest } from './hostile/expectations.js';

describe('CLIENT LIST answered *99999999999 (an array header no client can hold)', () => {
  const run = auditOnce('huge-array-header');
  itIsBoundedAndHonest(run);
});

describe('CLIENT LIST streamed as an 800 MB bulk string of valid lines', () => {
  const run = auditOnce('fast-huge-list');
  itIsBoundedAndHonest(run);
});

describe('CLIENT LIST of 2,000,000 valid short lines', () => {
  const run = auditOnce('many-lines');
  itIsBoundedAndHonest(run);
});

describe('2,000,000 clients that would each make a finding (blocked, idle 9999 s, each its own workload)', () => {
  const run = auditOnce('many-findings');
  itIsBoundedAndHonest(run);
});

describe('every CLIENT LIST reply dribbled just within the command timeout, 15,000 clients (31 by-id batches)', () => {
  const run = auditOnce('slow-drip');
  itIsBoundedAndHonest(run);
});

describe('a cluster seed announcing 10,000 nodes: 5,000 that refuse, 250 distinct ones that accept and never answer', () => {
  const run = auditOnce('cluster-fanout');
  itIsBoundedAndHonest(run);

  it('opens at most 64 node connections at once (plus the seed), not all 250 hanging nodes together', () => {
    // CLUSTER_CONNECTIONS_AT_ONCE (lambda/core/cluster-rules.ts): a burst a node's network and our descriptors bear.
    expect(run.server.peakConnections()).toBeLessThanOrEqual(64 + 1);
  });
});
