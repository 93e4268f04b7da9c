import { describe, expect, it } from 'vitest';
import { counterWindow, growthOfWorkloads } from '../../lambda/core/history.js';
import { sample } from '../support/builders.js';

const MIN = 60_000;

describe('counterWindow (churn and rejected connections)', () => {
  it('computes new connections per minute from total_connections_received deltas', () => {
    const window = counterWindow([
      sample(0, { totalConnectionsReceived: 1000 }),
      sample(2 * MIN, { totalConnectionsReceived: 1600 }),
    ]);
    expect(window.newConnectionsPerMinute).toBe(300);
    expect(window.windowSeconds).toBe(120);
  });

  it('does not count the connection the auditor itself opened for the sample', () => {
    const window = counterWindow([
      sample(0, { totalConnectionsReceived: 100 }),
      sample(MIN, { totalConnectionsReceived: 101, auditorConnects: 1 }),
    ]);
    expect(window.newConnectionsPerMinute).toBe(0);
  });

  it('resets the baseline when the server restarted (new run_id): no negative rate', () => {
    const window = counterWindow([
      sample(0, { runId: 'a', uptimeSeconds: 5000, totalConnectionsReceived: 90_000 }),
      sample(MIN, { runId: 'b', uptimeSeconds: 30, totalConnectionsReceived: 12 }),
    ]);
    expect(window.newConnectionsPerMinute).toBeNull();
    expect(window.baselineResets).toBe(1);
  });

  it('resets the baseline when uptime went backwards with the same run_id', () => {
    const window = counterWindow([
      sample(0, { uptimeSeconds: 5000, totalConnectionsReceived: 10 }),
      sample(MIN, { uptimeSeconds: 10, totalConnectionsReceived: 20 }),
    ]);
    expect(window.newConnectionsPerMinute).toBeNull();
  });

  it('treats lower counters with the same run_id (CONFIG RESETSTAT) as a reset, not as negative churn', () => {
    const window = counterWindow([
      sample(0, { totalConnectionsReceived: 5000, rejectedConnections: 7 }),
      sample(MIN, { uptimeSeconds: 1060, totalConnectionsReceived: 40, rejectedConnections: 0 }),
    ]);
    expect(window.newConnectionsPerMinute).toBeNull();
    expect(window.rejectedInWindow).toBe(0);
  });

  it('uses only the valid pairs around a restart', () => {
    const window = counterWindow([
      sample(0, { runId: 'a', uptimeSeconds: 100, totalConnectionsReceived: 100 }),
      sample(MIN, { runId: 'b', uptimeSeconds: 5, totalConnectionsReceived: 3 }),
      sample(2 * MIN, { runId: 'b', uptimeSeconds: 65, totalConnectionsReceived: 53 }),
    ]);
    expect(window.newConnectionsPerMinute).toBe(50);
  });

  it('gives no rate over a window shorter than a second rather than an absurd one', () => {
    const window = counterWindow([
      sample(0, { totalConnectionsReceived: 0 }),
      sample(200, { totalConnectionsReceived: 5 }),
    ]);
    expect(window.newConnectionsPerMinute).toBeNull();
  });

  it('counts rejected connections since the last sample', () => {
    const window = counterWindow([
      sample(0, { rejectedConnections: 3 }),
      sample(MIN, { rejectedConnections: 10 }),
    ]);
    expect(window.rejectedInWindow).toBe(7);
  });

  it('has nothing to say with a single sample', () => {
    const window = counterWindow([sample(0, { totalConnectionsReceived: 5 })]);
    expect(window).toMatchObject({ newConnectionsPerMinute: null, rejectedInWindow: null });
  });
});

/** A sample whose workloads hold [connections, members]. */
const withWorkloads = (takenAtMs: number, workloads: Record<string, [number, number]>, node: Parameters<typeof sample>[1] = {}) =>
  ({ ...sample(takenAtMs, node), workloads });

describe('growthOfWorkloads', () => {
  it('reports a workload whose count keeps rising, with its rate per minute', () => {
    const growth = growthOfWorkloads([
      withWorkloads(0, { 'name:a': [20, 1], 'name:b': [30, 1] }),
      withWorkloads(MIN, { 'name:a': [40, 1], 'name:b': [30, 1] }),
      withWorkloads(2 * MIN, { 'name:a': [60, 1], 'name:b': [31, 1] }),
    ], 5, 20);
    expect(growth).toEqual([
      { key: 'name:a', first: 20, last: 60, firstMembers: 1, lastMembers: 1, unexplained: 40, samples: 3, windowSeconds: 120, perMinute: 20 },
    ]);
  });

  it('counts growth that new members explain as a fleet scaling out, not a leak', () => {
    // 40 pods with pools of 10 become 50 pods with pools of 10.
    expect(growthOfWorkloads([withWorkloads(0, { 'name:api': [400, 40] }), withWorkloads(MIN, { 'name:api': [500, 50] })], 5, 20)).toEqual([]);
  });

  it('reports a fleet whose members each add connections, members unchanged', () => {
    // 40 pods each adding 2 connections a run.
    const growth = growthOfWorkloads([
      withWorkloads(0, { 'name:api': [400, 40] }),
      withWorkloads(5 * MIN, { 'name:api': [480, 40] }),
    ], 5, 20);
    expect(growth).toMatchObject([{ key: 'name:api', first: 400, last: 480, unexplained: 80, perMinute: 16 }]);
  });

  it('reports what a scale-out does not explain', () => {
    // 40 pods with 10 each become 50 pods with 14 each: 500 explained, 200 more.
    expect(growthOfWorkloads([withWorkloads(0, { 'name:api': [400, 40] }), withWorkloads(MIN, { 'name:api': [700, 50] })], 5, 20))
      .toMatchObject([{ unexplained: 200, firstMembers: 40, lastMembers: 50 }]);
  });

  it('ignores a workload that rose and fell back (a pool that breathes)', () => {
    const growth = growthOfWorkloads([
      withWorkloads(0, { a: [20, 1] }),
      withWorkloads(MIN, { a: [60, 1] }),
      withWorkloads(2 * MIN, { a: [40, 1] }),
    ], 5, 20);
    expect(growth).toEqual([]);
  });

  it('never suspects a workload below the minimum group size', () => {
    expect(growthOfWorkloads([withWorkloads(0, { a: [1, 1] }), withWorkloads(MIN, { a: [15, 1] })], 5, 20)).toEqual([]);
  });

  it('ignores growth below the minimum', () => {
    expect(growthOfWorkloads([withWorkloads(0, { a: [100, 1] }), withWorkloads(MIN, { a: [104, 1] })], 5, 20)).toEqual([]);
  });

  it('counts a new workload from 0 as far as the target\'s connections grew too', () => {
    const growth = growthOfWorkloads([withWorkloads(0, {}, { connectedClients: 10 }), withWorkloads(MIN, { a: [25, 1] }, { connectedClients: 35 })], 5, 20);
    expect(growth).toMatchObject([{ key: 'a', first: 0, last: 25, unexplained: 25 }]);
  });

  it('does not take a workload whose key changed (an address resolved in one run only) for a new one', () => {
    // Same 25 connections, named by address in one run and by the resource in the next: the target did not grow.
    const renamed = growthOfWorkloads([
      withWorkloads(0, { 'addr:10.0.0.5': [25, 1] }, { connectedClients: 25 }),
      withWorkloads(MIN, { 'lambda:orders': [25, 1] }, { connectedClients: 25 }),
    ], 5, 20);
    expect(renamed).toEqual([]);
  });

  it('treats a workload missing from a sample that was cut to the largest as unknown', () => {
    const cut = Object.fromEntries(Array.from({ length: 200 }, (_, i): [string, [number, number]] => [`w${i}`, [50, 1]]));
    expect(growthOfWorkloads([withWorkloads(0, cut, { connectedClients: 0 }), withWorkloads(MIN, { a: [25, 1] }, { connectedClients: 10_025 })], 5, 20)).toEqual([]);
    const growth = growthOfWorkloads([withWorkloads(0, { a: [10, 1] }), withWorkloads(MIN, cut), withWorkloads(2 * MIN, { a: [25, 1] })], 5, 20);
    expect(growth).toMatchObject([{ key: 'a', first: 10, last: 25, samples: 2 }]);
  });

  it('ignores samples written before workloads were kept', () => {
    expect(growthOfWorkloads([sample(0, {}, { a: 5 }), withWorkloads(MIN, { a: [30, 1] })], 5, 20)).toEqual([]);
  });

  it('starts counting after a server restart (connections do not survive one)', () => {
    const growth = growthOfWorkloads([
      withWorkloads(0, { a: [5, 1] }, { runId: 'a' }),
      withWorkloads(MIN, { a: [30, 1] }, { runId: 'b', uptimeSeconds: 5 }),
      withWorkloads(2 * MIN, { a: [32, 1] }, { runId: 'b', uptimeSeconds: 65 }),
    ], 5, 20);
    expect(growth).toEqual([]);
  });
});
