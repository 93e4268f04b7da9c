// CloudWatch metrics of a run: the names of docs/design.md (Contract: AWS) with the Target dimension, per-node copies on
// multi-node targets, and nothing invented for what the run could not see.
import { describe, expect, it } from 'vitest';
import { assessAudit, type AuditInput } from '../../lambda/core/audit.js';
import { METRIC_NAMES, METRIC_UNITS, metricsFor, type MetricDatum } from '../../lambda/core/metrics.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { expectValidReport } from '../support/report-schema.js';

const T0 = 1_700_000_000_000;
const NOW = T0 + 120_000;

function info(fields: Record<string, string | number>): string {
  const base = { redis_version: '7.0.15', run_id: 'abc', uptime_in_seconds: 1000, connected_clients: 32, maxclients: 10000,
    blocked_clients: 1, tracking_clients: 0, total_connections_received: 50, rejected_connections: 0, role: 'master' };
  return '# Server\r\n' + Object.entries({ ...base, ...fields }).map(([k, v]) => `${k}:${v}`).join('\r\n') + '\r\n';
}

function line(id: number, addr: string, fields: Record<string, string> = {}): string {
  const all = { id: String(id), addr, laddr: '127.0.0.1:6379', fd: String(id), name: '', age: '1000', idle: '900', flags: 'N', db: '0',
    sub: '0', psub: '0', ssub: '0', multi: '-1', cmd: 'get', user: 'default', ...fields };
  return Object.entries(all).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** 30 idle connections from one source (a suspected leak) plus the auditor's own. */
const leakyList = [...Array.from({ length: 30 }, (_, i) => line(i + 1, `10.0.0.9:${5000 + i}`, { name: 'checkout' })),
  line(99, '10.0.0.250:6000', { name: 'redis-leak-auditor', idle: '0' })].join('\n');

function raw(overrides: Partial<RawNodeSample> = {}): RawNodeSample {
  return {
    node: '127.0.0.1:6379', takenAtMs: T0, infoText: info({}), clientListText: leakyList,
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 },
    auditorAddresses: ['10.0.0.250:6000'], errors: [], cost: { commandsSent: 3, bytesRead: 900, roundTripMs: 1.5 },
    ...overrides,
  };
}

function report(overrides: Partial<AuditInput> = {}) {
  const { report: result } = assessAudit({
    target: 'redis://orders-cache:6379', samples: [[raw()]], failedNodes: [], previousState: null,
    policy: defaultPolicy, startedAtMs: T0, nowMs: T0 + 850, toolVersion: '0.1.0', ...overrides,
  });
  expectValidReport(result);
  return result;
}

const byName = (data: MetricDatum[]) => Object.fromEntries(data.filter((d) => d.dimensions.Node === undefined).map((d) => [d.name, d.value]));

describe('metricsFor', () => {
  it('publishes every known number with the Target dimension, the run time and the unit of its name', () => {
    const data = metricsFor(report(), 'orders-cache', NOW);
    expect(byName(data)).toEqual({
      ConnectedClients: 32, BlockedClients: 1, PubSubClients: 0, IdleClients: 30, MaxClientsUtilization: 0.3,
      SuspectedLeaks: 1, LargestSourceConnections: 30, LargestWorkloadConnections: 30, SuspectedLeakConnections: 30,
      AuditDurationMs: 850, AuditSucceeded: 1,
    });
    for (const datum of data) {
      expect(datum.dimensions).toEqual({ Target: 'orders-cache' });
      expect(datum.timestampMs).toBe(NOW);
      expect(datum.unit).toBe(METRIC_UNITS[datum.name]);
    }
  });

  it('leaves out the churn and rejected numbers when there is no history to compare with', () => {
    const names = metricsFor(report(), 'orders-cache', NOW).map((d) => d.name);
    expect(names).not.toContain('NewConnectionsPerMinute');
    expect(names).not.toContain('RejectedConnections');
  });

  it('publishes new connections per minute and the rejections since the last sample when two samples exist', () => {
    const later = raw({ takenAtMs: T0 + 60_000, infoText: info({ total_connections_received: 250, rejected_connections: 4 }) });
    const values = byName(metricsFor(report({ samples: [[raw()], [later]] }), 'orders-cache', NOW));
    expect(values.NewConnectionsPerMinute).toBe(200);
    expect(values.RejectedConnections).toBe(4);
  });

  it('states maxclients utilization as a percentage', () => {
    const full = report({ samples: [[raw({ infoText: info({ connected_clients: 9731 }) })]] });
    expect(byName(metricsFor(full, 'orders-cache', NOW)).MaxClientsUtilization).toBe(97.3);
  });

  it('reports a failed audit as AuditSucceeded 0 with its duration and no invented zeros', () => {
    const failed = report({ samples: [], failedNodes: [{ node: '127.0.0.1:6379', error: 'connect ETIMEDOUT', refusedMaxClients: false }] });
    expect(byName(metricsFor(failed, 'orders-cache', NOW))).toEqual({ AuditDurationMs: 850, AuditSucceeded: 0 });
  });

  it('counts a partial audit as succeeded', () => {
    const partial = report({ failedNodes: [{ node: '127.0.0.2:6379', error: 'NOAUTH', refusedMaxClients: false }] });
    expect(partial.status).toBe('partial');
    expect(byName(metricsFor(partial, 'orders-cache', NOW)).AuditSucceeded).toBe(1);
  });

  it('leaves out per-source numbers when CLIENT LIST was refused', () => {
    const infoOnly = report({ samples: [[raw({ clientListText: null, errors: ['CLIENT LIST refused (NOPERM)'] })]] });
    const values = byName(metricsFor(infoOnly, 'orders-cache', NOW));
    expect(values.ConnectedClients).toBe(32);
    expect(values).not.toHaveProperty('IdleClients');
    expect(values).not.toHaveProperty('SuspectedLeaks');
    expect(values).not.toHaveProperty('LargestSourceConnections');
  });

  it('adds per-node copies of ConnectedClients and MaxClientsUtilization for a multi-node target', () => {
    const second = raw({ node: '127.0.0.2:6379', infoText: info({ connected_clients: 5000 }), clientListText: line(1, '10.0.0.3:7000') });
    const data = metricsFor(report({ samples: [[raw(), second]] }), 'orders-cache', NOW);
    const perNode = data.filter((d) => d.dimensions.Node !== undefined).map((d) => [d.name, d.dimensions.Node, d.value]);
    expect(perNode).toEqual([
      ['ConnectedClients', '127.0.0.1:6379', 32],
      ['MaxClientsUtilization', '127.0.0.1:6379', 0.3],
      ['ConnectedClients', '127.0.0.2:6379', 5000],
      ['MaxClientsUtilization', '127.0.0.2:6379', 50],
    ]);
    expect(data.find((d) => d.dimensions.Node !== undefined)?.dimensions.Target).toBe('orders-cache');
  });

  it('publishes the per-client numbers when the clients were listed by id too (not only by a plain CLIENT LIST)', () => {
    const byId = { method: 'client-list-by-id' as const, reason: 'ids of the previous run', clientListCommands: 2, longestClientListMs: 0.4 };
    const values = byName(metricsFor(report({ samples: [[raw({ collection: byId })]] }), 'orders-cache', NOW));
    expect(values).toMatchObject({ IdleClients: 30, SuspectedLeaks: 1, LargestWorkloadConnections: 30 });
  });

  it('adds no per-node copies for a single node', () => {
    expect(metricsFor(report(), 'orders-cache', NOW).some((d) => d.dimensions.Node !== undefined)).toBe(false);
  });

  it('exports the metric names the alarms use, each with a unit', () => {
    expect(METRIC_NAMES).toEqual(['ConnectedClients', 'BlockedClients', 'PubSubClients', 'IdleClients', 'NewConnectionsPerMinute',
      'RejectedConnections', 'MaxClientsUtilization', 'SuspectedLeaks', 'LargestSourceConnections', 'LargestWorkloadConnections', 'SuspectedLeakConnections',
      'AuditDurationMs', 'AuditSucceeded', 'DiscoverySucceeded', 'DiscoveredTargets', 'ConnectionsReclaimed']);
    for (const name of METRIC_NAMES) expect(['Count', 'Percent', 'Milliseconds', 'None']).toContain(METRIC_UNITS[name]);
  });

  it('publishes ConnectionsReclaimed only while the break-glass is armed: the kills, or 0 when it did not act', () => {
    const reclaimed = (reclaim: object | undefined) => metricsFor({ ...report(), ...(reclaim ? { reclaim } : {}) } as AuditReport, 'orders-cache', NOW)
      .filter((d) => d.name === 'ConnectionsReclaimed').map((d) => [d.value, d.unit]);
    expect(reclaimed(undefined)).toEqual([]);
    expect(reclaimed({ mode: 'cli', killed: 5 })).toEqual([]);
    expect(reclaimed({ mode: 'break-glass', outcome: 'reclaimed', killed: 7 })).toEqual([[7, 'Count']]);
    expect(reclaimed({ mode: 'break-glass', outcome: 'not-needed', killed: 0 })).toEqual([[0, 'Count']]);
  });
});
