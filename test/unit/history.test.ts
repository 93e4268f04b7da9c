import { describe, expect, it } from 'vitest';
import { counterWindow, sourceGrowth } from '../../lambda/core/history.js';
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

describe('sourceGrowth', () => {
  it('reports a source whose count keeps rising, with its rate per minute', () => {
    const growth = sourceGrowth([
      sample(0, {}, { '10.0.0.5': 20, '10.0.0.6': 30 }),
      sample(MIN, {}, { '10.0.0.5': 40, '10.0.0.6': 30 }),
      sample(2 * MIN, {}, { '10.0.0.5': 60, '10.0.0.6': 31 }),
    ], 5, 20);
    expect(growth).toEqual([
      { sourceIp: '10.0.0.5', first: 20, last: 60, samples: 3, windowSeconds: 120, perMinute: 20 },
    ]);
  });

  it('ignores a source that rose and fell back (a pool that breathes)', () => {
    const growth = sourceGrowth([
      sample(0, {}, { a: 20 }),
      sample(MIN, {}, { a: 60 }),
      sample(2 * MIN, {}, { a: 40 }),
    ], 5, 20);
    expect(growth).toEqual([]);
  });

  it('never suspects a source below the minimum group size', () => {
    expect(sourceGrowth([sample(0, {}, { a: 1 }), sample(MIN, {}, { a: 15 })], 5, 20)).toEqual([]);
  });

  it('ignores growth below the minimum', () => {
    expect(sourceGrowth([sample(0, {}, { a: 100 }), sample(MIN, {}, { a: 104 })], 5, 20)).toEqual([]);
  });

  it('counts a source missing from a complete sample as zero', () => {
    const growth = sourceGrowth([sample(0, {}, {}), sample(MIN, {}, { a: 25 })], 5, 20);
    expect(growth[0]).toMatchObject({ sourceIp: 'a', first: 0, last: 25 });
  });

  it('starts counting after a server restart (connections do not survive one)', () => {
    const growth = sourceGrowth([
      sample(0, { runId: 'a' }, { a: 5 }),
      sample(MIN, { runId: 'b', uptimeSeconds: 5 }, { a: 30 }),
      sample(2 * MIN, { runId: 'b', uptimeSeconds: 65 }, { a: 32 }),
    ], 5, 20);
    expect(growth).toEqual([]);
  });
});
