// Connections opened during the comparison window, counted by client id (ids only grow on a server
// process): exact where ages are whole seconds, which undercount a window's newest connections.
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import { nextState, type AuditState } from '../../lambda/core/state.js';

const T0 = 1_700_000_000_000;
const NODE = '127.0.0.1:6379';

function line(id: number, age: number): string {
  return `id=${id} addr=10.0.5.${(id % 200) + 1}:${40000 + id} laddr=127.0.0.1:6379 fd=${id} name=jobs age=${age} idle=${age} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=get user=default`;
}

function sample(takenAtMs: number, ids: ReadonlyArray<[number, number]>, totalReceived: number, runId = 'run-a'): RawNodeSample {
  const info = ['# Server', 'redis_version:7.0.15', `run_id:${runId}`, 'uptime_in_seconds:5000', '# Clients', `connected_clients:${ids.length}`,
    'maxclients:10000', '# Stats', `total_connections_received:${totalReceived}`, 'rejected_connections:0'].join('\r\n');
  return {
    node: NODE, takenAtMs, infoText: `${info}\r\n`, clientListText: ids.map(([id, age]) => line(id, age)).join('\n'),
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [],
    cost: { commandsSent: 2, bytesRead: 100, roundTripMs: 1 },
  };
}

const old = Array.from({ length: 20 }, (_, i): [number, number] => [i + 1, 600]);
// 50 connections opened during a 4 s window; Redis shows whole seconds, so some opened 3.6 s ago show age 4.
const opened = Array.from({ length: 50 }, (_, i): [number, number] => [101 + i, i < 25 ? 4 : 2]);

/** As the collector remembers a node's last listing (lambda/redis/node-collector.ts). */
const memory = { [NODE]: { runId: 'run-a', totalConnectionsReceived: 100, maxId: 100, ids: [...old.map(([id]) => id), 100] } };

function assess(samples: RawNodeSample[][], previousState: AuditState | null = null) {
  return assessAudit({
    target: 'redis://cache:6379', samples, failedNodes: [], previousState, collectionMemory: memory,
    policy: { ...defaultPolicy, idleSeconds: 300, churnPerMinute: 100 }, startedAtMs: T0, nowMs: T0 + 5000, toolVersion: 'test',
  });
}

describe('connections opened during the window', () => {
  it('are every client with an id above the first sample\'s highest, whatever their age shows', () => {
    const { report } = assess([[sample(T0, [...old, [100, 600]], 100)], [sample(T0 + 4000, [...old, ...opened], 151)]]);
    // 50 opened, 50 still open: nothing was closed again, so no churn, whatever the raw rate (750 a minute).
    expect(report.summary.newConnectionsPerMinute).toBeGreaterThan(100);
    expect(report.findings.filter((f) => f.kind === 'connection-churn')).toEqual([]);
    const held = report.groups.byWorkload.find((g) => g.key === 'name:jobs');
    expect(held?.young).toBe(50);
  });

  it('are counted against the last run\'s highest id when the server is the same process', () => {
    const first = assess([[sample(T0, [...old, [100, 600]], 100)]]);
    const { report } = assess([[sample(T0 + 4000, [...old, ...opened], 151)]], first.state);
    expect(report.groups.byWorkload.find((g) => g.key === 'name:jobs')?.young).toBe(50);
  });

  it('fall back to ages after a restart (ids start again)', () => {
    const first = assess([[sample(T0, [...old, [100, 600]], 100)]]);
    const restarted = nextState(first.state, 'redis://cache:6379', [], T0 + 1);
    const { report } = assess([[sample(T0 + 4000, [...old, ...opened], 151, 'run-b')]], restarted);
    // Ages below the 4 s window only: the 25 that show age 4 are not counted.
    expect(report.groups.byWorkload.find((g) => g.key === 'name:jobs')?.young).toBe(25);
  });
});
