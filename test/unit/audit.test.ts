// The pure pipeline from raw replies to report and state, without a server: exclusions, malformed input,
// bounds, status and the state it hands on.
import { describe, expect, it } from 'vitest';
import { assessAudit, type AuditInput } from '../../lambda/core/audit.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import { MAX_SAMPLES_IN_STATE } from '../../lambda/core/history.js';
import { restoreState } from '../../lambda/core/state.js';
import { expectValidReport } from '../support/report-schema.js';

const NODE = '127.0.0.1:6379';

function info(fields: Record<string, string | number>): string {
  const base = { redis_version: '7.0.15', redis_mode: 'standalone', run_id: 'abc', uptime_in_seconds: 1000, connected_clients: 3,
    maxclients: 10000, blocked_clients: 0, tracking_clients: 0, total_connections_received: 50, rejected_connections: 0, role: 'master' };
  return '# Server\r\n' + Object.entries({ ...base, ...fields }).map(([k, v]) => `${k}:${v}`).join('\r\n') + '\r\n';
}

function line(id: number, addr: string, fields: Record<string, string> = {}): string {
  const all = { id: String(id), addr, laddr: '127.0.0.1:6379', fd: String(id), name: '', age: '100', idle: '100', flags: 'N', db: '0',
    sub: '0', psub: '0', ssub: '0', multi: '-1', qbuf: '0', 'qbuf-free': '0', 'argv-mem': '0', 'multi-mem': '0', rbs: '1024', rbp: '0',
    obl: '0', oll: '0', omem: '0', 'tot-mem': '1', events: 'r', cmd: 'get', user: 'default', redir: '-1', resp: '2', ...fields };
  return Object.entries(all).map(([k, v]) => `${k}=${v}`).join(' ');
}

function raw(overrides: Partial<RawNodeSample> = {}): RawNodeSample {
  return {
    node: NODE, takenAtMs: 1_700_000_000_000, infoText: info({}),
    clientListText: [line(1, '10.0.0.1:5000'), line(2, '10.0.0.1:5001'), line(3, '10.0.0.9:6000', { name: 'redis-leak-auditor' })].join('\n') + '\n',
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 },
    auditorAddresses: ['10.0.0.9:6000'], errors: [], cost: { commandsSent: 3, bytesRead: 900, roundTripMs: 1.5 },
    ...overrides,
  };
}

function audit(overrides: Partial<AuditInput> = {}) {
  const outcome = assessAudit({
    target: 'redis://127.0.0.1:6379', samples: [[raw()]], failedNodes: [], previousState: null,
    policy: defaultPolicy, startedAtMs: 1_700_000_000_000, nowMs: 1_700_000_000_050, toolVersion: '0.1.0', ...overrides,
  });
  expectValidReport(outcome.report);
  return outcome;
}

describe('assessAudit', () => {
  it('leaves the auditor out of the analysis and counts it as excluded', () => {
    const { report } = audit();
    expect(report.summary.analysedConnections).toBe(2);
    expect(report.groups.bySourceIp.map((g) => g.key)).toEqual(['10.0.0.1']);
    expect(report.auditor.excludedConnections).toBe(1);
  });

  it('leaves replication links out', () => {
    const { report } = audit({ samples: [[raw({ clientListText: `${line(1, '10.0.0.1:5000')}\n${line(2, '10.0.0.2:6380', { flags: 'S' })}` })]] });
    expect(report.auditor.excludedReplicationLinks).toBe(1);
    expect(report.summary.analysedConnections).toBe(1);
  });

  it('counts malformed CLIENT LIST lines in the node errors and keeps the good ones', () => {
    const text = [line(1, '10.0.0.1:5000'), 'garbage without fields', 'id=x addr=1.2.3.4:5', line(2, '10.0.0.1:5001')].join('\r\n');
    const { report } = audit({ samples: [[raw({ clientListText: text })]] });
    expect(report.nodes[0]?.malformedClientListLines).toBe(2);
    expect(report.nodes[0]?.errors[0]).toMatch(/^2 malformed CLIENT LIST lines skipped/);
    expect(report.summary.analysedConnections).toBe(2);
  });

  it('reads the summary counters from INFO', () => {
    const { report } = audit({ samples: [[raw({ infoText: info({ connected_clients: 3, blocked_clients: 1, rejected_connections: 4 }) })]] });
    expect(report.summary).toMatchObject({ connectedClients: 3, blockedClients: 1, rejectedConnections: 4, maxClients: 10000, utilization: 0 });
  });

  it('takes pub/sub clients from INFO where the server reports them (7.4+), else from CLIENT LIST', () => {
    expect(audit({ samples: [[raw({ infoText: info({ pubsub_clients: 7 }) })]] }).report.summary.pubsubClients).toBe(7);
    expect(audit().report.summary.pubsubClients).toBe(0);
  });

  it('keeps group lists within the list limit and says how many it left out', () => {
    const text = Array.from({ length: 12 }, (_, i) => line(i + 1, `10.0.1.${i}:5000`)).join('\n');
    const { report } = audit({ samples: [[raw({ clientListText: text })]], policy: { ...defaultPolicy, listLimit: 5 } });
    expect(report.groups.bySourceIp).toHaveLength(5);
    expect(report.groupsOmitted.bySourceIp).toBe(7);
    expect(report.topIdle).toHaveLength(5);
  });

  it('reports a node that could not be read as failed, with its error', () => {
    const { report } = audit({ samples: [], failedNodes: [{ node: NODE, error: 'cannot connect', refusedMaxClients: false }] });
    expect(report.status).toBe('failed');
    expect(report.nodes[0]?.errors).toEqual(['cannot connect']);
    expect(report.findings).toEqual([]);
  });

  it('reports a node of several whose sampling stopped early from its last sample, with the reason (partial)', () => {
    const other = '127.0.0.1:7001';
    const first = [raw(), raw({ node: other, infoText: info({ connected_clients: 9, role: 'slave' }), errors: ['sampling stopped early: no answer'] })];
    const { report } = audit({ samples: [first, [raw({ takenAtMs: 1_700_000_001_000 })]], interruptedNodes: [other] });
    expect(report.status).toBe('partial');
    expect(report.nodes.map((n) => [n.address, n.role, n.samples, n.errors])).toEqual([
      [NODE, 'master', 2, []],
      [other, 'slave', 1, ['sampling stopped early: no answer']],
    ]);
  });

  it('degrades to INFO-only when CLIENT LIST was refused', () => {
    const { report } = audit({ samples: [[raw({ clientListText: null, errors: ['CLIENT LIST refused (NOPERM)'] })]] });
    expect(report.auditor.method).toBe('info-only');
    expect(report.findings.map((f) => f.kind)).toEqual(['client-list-unavailable']);
    expect(report.summary.connectedClients).toBe(3);
  });

  it('hands on a bounded state that the next run can restore', () => {
    let state = audit().state;
    for (let i = 1; i <= MAX_SAMPLES_IN_STATE + 5; i += 1) {
      state = audit({ previousState: state, samples: [[raw({ takenAtMs: 1_700_000_000_000 + i * 60_000 })]] }).state;
    }
    expect(state.samples).toHaveLength(MAX_SAMPLES_IN_STATE);
    const restored = restoreState(JSON.stringify(state), 'redis://127.0.0.1:6379');
    expect(restored).toEqual({ state, warning: null });
  });
});

describe('restoreState', () => {
  it('ignores a state of another target', () => {
    const { state } = audit();
    expect(restoreState(JSON.stringify(state), 'redis://other:6379')).toEqual({ state: null, warning: 'the state belongs to another target; history starts again from this run' });
  });

  it('drops damaged samples and keeps the rest', () => {
    const { state } = audit();
    const damaged = { ...state, samples: [...state.samples, { takenAtMs: 'yesterday' }] };
    const restored = restoreState(JSON.stringify(damaged), state.target);
    expect(restored.state?.samples).toHaveLength(1);
    expect(restored.warning).toBe('1 damaged samples in the state were ignored');
  });

  it.each(['', 'null', '[]', '{"schemaVersion":2,"samples":[]}'])('starts afresh on %j', (text) => {
    expect(restoreState(text, 'redis://127.0.0.1:6379').state).toBeNull();
  });
});
