// The Lambda's break-glass decision (issue 19, core/break-glass.ts planBreakGlass): armed or not, which safety
// rule says no, how close to maxclients the server is, and what it would close. Every input goes through the real
// audit (assessAudit over INFO and CLIENT LIST text, as the collector returns them), so the report, its findings and
// the listing the selection reads are the ones the Lambda would have.
import { describe, expect, it } from 'vitest';
import { assessAudit, type AuditInput } from '../../lambda/core/audit.js';
import { BREAK_GLASS_CLUSTER_REFUSAL, planBreakGlass, type BreakGlassInput, type BreakGlassPlan } from '../../lambda/core/break-glass.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { RECLAIM_RULES } from '../../lambda/core/reclaim-selection.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { expectValidReport } from '../support/report-schema.js';

const T0 = 1_700_000_000_000;
const NODE = '10.0.0.5:6379';
const AUDITOR = '10.9.9.9:50000';

// One CLIENT LIST line as Redis 7.2 prints it.
const line = (id: number, addr: string, name: string, age: number, idle: number, lib = 'ioredis') =>
  `id=${id} addr=${addr} laddr=10.0.0.1:6379 fd=${id + 8} name=${name} age=${age} idle=${idle} flags=N db=0 `
  + 'sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 '
  + `obl=0 oll=0 omem=0 tot-mem=1920 events=r cmd=get user=default redir=-1 resp=2 lib-name=${lib} lib-ver=${lib === '' ? '' : '5.4.1'}`;

/** Leaked ids: 100, 101, ...; connection i is aged 7200 + 100 i s and idle since it was opened (age - 1). */
const leakIds = (n: number) => Array.from({ length: n }, (_, i) => 100 + i);
const ageOf = (id: number) => 7200 + (id - 100) * 100;
/** The oldest `n` leaked of `leaked`, oldest first: the highest ids. */
const oldest = (leaked: number, n: number) => leakIds(leaked).slice(-n).reverse();

interface ListShape {
  /** checkout@src/handlers/pay.ts:42 connections opened once and abandoned. */
  readonly leaked: number;
  /** The leaked connections carry no name and no library: known only by their (one) address. */
  readonly unnamed?: boolean;
  /** The leaked connections are in use (idle 1 s): no leak. */
  readonly healthy?: boolean;
}

/**
 * The auditor's own connection (1), a healthy orders-api pool (10, used long after it was opened), two
 * connections of checkout that are no leak (used again / busy), then `leaked` abandoned checkout connections.
 * 13 + leaked lines in all.
 */
function clientList({ leaked, unnamed = false, healthy = false }: ListShape): string {
  return [
    line(1, AUDITOR, 'redis-leak-auditor', 2, 0),
    ...Array.from({ length: 10 }, (_, i) => line(10 + i, `10.2.0.5:${41000 + i}`, 'orders-api-7f9c8d5b4-x2kq9', 86400, 5000 + i)),
    line(30, '10.1.0.12:42003', 'checkout-7f9c8d5b4-x2kq9', 90000, 4000),
    line(31, '10.1.0.12:42004', 'checkout-7f9c8d5b4-x2kq9', 9000, 10),
    ...leakIds(leaked).map((id, i) => unnamed
      ? line(id, `10.3.0.7:${40000 + i}`, '', ageOf(id), ageOf(id) - 1, '')
      : line(id, `10.1.0.${i % 2 === 0 ? 11 : 12}:${40000 + i}`, 'checkout@src/handlers/pay.ts:42', ageOf(id), healthy ? 1 : ageOf(id) - 1)),
  ].join('\n') + '\n';
}

interface SampleShape extends ListShape {
  /** INFO connected_clients; default the listing's length. null: INFO does not say. */
  readonly connected?: number | null;
  /** INFO maxclients (and CONFIG's); null: neither says. */
  readonly maxclients: number | null;
  readonly role?: 'master' | 'slave';
  readonly clusterEnabled?: boolean;
  readonly node?: string;
  /** Extra text appended to the CLIENT LIST reply. */
  readonly garbage?: string;
}

function sample(shape: SampleShape): RawNodeSample {
  const connected = shape.connected === undefined ? 13 + shape.leaked : shape.connected;
  const info = [
    '# Server', 'redis_version:7.2.4', 'redis_mode:standalone', 'run_id:0f3c1d9e2b7a4c5d6e8f9a0b1c2d3e4f5a6b7c8d', 'uptime_in_seconds:86400',
    '# Clients', ...(connected === null ? [] : [`connected_clients:${connected}`]), ...(shape.maxclients === null ? [] : [`maxclients:${shape.maxclients}`]),
    '# Replication', `role:${shape.role ?? 'master'}`,
    ...(shape.clusterEnabled ? ['# Cluster', 'cluster_enabled:1'] : []),
  ].join('\r\n') + '\r\n';
  return {
    node: shape.node ?? NODE, takenAtMs: T0, infoText: info, clientListText: clientList(shape) + (shape.garbage ?? ''),
    config: { timeoutSeconds: 0, maxClients: shape.maxclients, tcpKeepaliveSeconds: 300 },
    auditorAddresses: [AUDITOR], errors: [], cost: { commandsSent: 3, bytesRead: 1000, roundTripMs: 1 },
  };
}

function audit(round: RawNodeSample[], extra: Partial<AuditInput> = {}): AuditReport {
  const { report } = assessAudit({
    target: 'redis://orders-cache:6379', samples: round.length === 0 ? [] : [round], failedNodes: [], previousState: null,
    policy: defaultPolicy, startedAtMs: T0, nowMs: T0, toolVersion: '0.1.0', ...extra,
  });
  expectValidReport(report);
  return report;
}

const ARMED = { enabled: true, maxPerRun: RECLAIM_RULES.maxPerRun.default, minIdleSeconds: RECLAIM_RULES.minIdleSeconds.default };

type PlanOverrides = Partial<Omit<BreakGlassInput, 'settings'>> & { readonly settings?: Partial<BreakGlassInput['settings']> };

function plan(report: AuditReport, lastRound: RawNodeSample[], over: PlanOverrides = {}) {
  const { settings, ...rest } = over;
  return planBreakGlass({
    report, lastRound, hasCredential: true, alreadyReclaimed: () => [], ...rest, settings: { ...ARMED, ...settings },
  });
}

/** The section of a plan that does not act (fails the test when it acts), checked against the report schema. */
function sectionOf(p: BreakGlassPlan | null, report: AuditReport): ReclaimReport {
  expect(p).not.toBeNull();
  if (p === null || p.act) throw new Error(`expected a plan that does not act, got ${JSON.stringify(p)}`);
  expectValidReport({ ...report, reclaim: p.section });
  return p.section;
}

function acting(p: BreakGlassPlan | null) {
  expect(p).not.toBeNull();
  if (p === null || !p.act) throw new Error(`expected a plan that acts, got ${JSON.stringify(p)}`);
  return p;
}

const ids = (selected: ReadonlyArray<{ id: number }>) => selected.map((c) => c.id);

// The main case: 32 leaked + 13 others = 45 connections of maxclients 47 (95.7%, above the default critical 95%).
// The goal is the warning share, 80%: 47 x 0.8 = 37.6, so at most 37 kept and 45 - 37 = 8 to close.
const CRITICAL = sample({ leaked: 32, maxclients: 47 });
const criticalReport = audit([CRITICAL]);

describe('planBreakGlass: the inputs the tests build', () => {
  it('the critical fixture is a complete audit of one primary with a leak finding for checkout', () => {
    expect(criticalReport.status).toBe('ok');
    expect(criticalReport.nodes).toHaveLength(1);
    expect(criticalReport.nodes[0]).toMatchObject({ address: NODE, role: 'master', connectedClients: 45, maxClients: 47, malformedClientListLines: 0 });
    expect(criticalReport.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.subject))
      .toEqual([expect.objectContaining({ workload: 'checkout', identifiedBy: 'client-name' })]);
    expect([criticalReport.policy.maxclientsWarn, criticalReport.policy.maxclientsCritical]).toEqual([0.8, 0.95]);
  });
});

describe('planBreakGlass: when it acts', () => {
  it('does nothing at all when not armed', () => {
    let asked = 0;
    expect(plan(criticalReport, [CRITICAL], { settings: { enabled: false }, alreadyReclaimed: () => { asked += 1; return []; } })).toBeNull();
    expect(asked).toBe(0);
  });

  it('acts at or above the critical level, down to the warning level, oldest first', () => {
    const p = acting(plan(criticalReport, [CRITICAL]));
    expect(p.node).toBe(NODE);
    expect(p.goal).toEqual({ connectedClients: 45, maxClients: 47, keepAtMost: 37, needed: 8 });
    expect(p.selection.refused).toBeNull();
    expect(ids(p.selection.selected)).toEqual(oldest(32, 8));
    expect(p.selection.selected[0]).toEqual({
      id: 131, addr: '10.1.0.12:40031', workload: 'checkout', ageSeconds: ageOf(131), idleSeconds: ageOf(131) - 1, origin: 'src/handlers/pay.ts:42',
    });
    // The goal is the cap: the other 24 eligible leaked connections are left for later runs.
    expect(p.selection).toMatchObject({ max: 8, capped: 32 - 8 });
    expect(p.selection.skipped).toMatchObject({ 'own-connection': 1, 'other-workload': 10, 'not-idle-long-enough': 1, 'used-more-than-once': 1 });
  });

  it('acts exactly at the critical level, and not one connection below it', () => {
    // 25 leaked + 13 = 38 of maxclients 40: exactly 95%. The goal: 40 x 0.8 = 32, so 6 to close.
    const at = sample({ leaked: 25, maxclients: 40 });
    const p = acting(plan(audit([at]), [at]));
    expect(p.goal).toEqual({ connectedClients: 38, maxClients: 40, keepAtMost: 32, needed: 6 });
    expect(ids(p.selection.selected)).toEqual(oldest(25, 6));

    // 37 of 40 (92.5%): below the critical 95%.
    const below = sample({ leaked: 24, maxclients: 40 });
    const report = audit([below]);
    const section = sectionOf(plan(report, [below]), report);
    expect(section).toMatchObject({
      mode: 'break-glass', outcome: 'not-needed', node: NODE, selected: [], killed: 0, max: 0,
      reason: 'Connections are at 92.5% of maxclients, below the critical level (95%).',
    });
    expect(section.summary).toBe('Break-glass: not needed. Connections are at 92.5% of maxclients, below the critical level (95%).');
  });

  it('reads the critical and warning levels from the report\'s policy', () => {
    // 45 of 47 (95.7%) is below a critical level of 96%.
    const strict = audit([CRITICAL], { policy: { ...defaultPolicy, maxclientsCritical: 0.96 } });
    expect(sectionOf(plan(strict, [CRITICAL]), strict).reason).toBe('Connections are at 95.7% of maxclients, below the critical level (96%).');
    // A warning level of 70%: 47 x 0.7 = 32.9, so at most 32 kept and 13 to close.
    const lower = audit([CRITICAL], { policy: { ...defaultPolicy, maxclientsWarn: 0.7 } });
    const p = acting(plan(lower, [CRITICAL]));
    expect(p.goal).toEqual({ connectedClients: 45, maxClients: 47, keepAtMost: 32, needed: 13 });
    expect(ids(p.selection.selected)).toEqual(oldest(32, 13));
  });

  it('closes at most maxPerRun when that is less than the goal needs', () => {
    const p = acting(plan(criticalReport, [CRITICAL], { settings: { maxPerRun: 3 } }));
    expect(p.goal.needed).toBe(8);
    expect(ids(p.selection.selected)).toEqual(oldest(32, 3));
    expect(p.selection).toMatchObject({ max: 3, capped: 32 - 3 });
  });

  it('closes no more than the selection allows when that is less than the goal needs', () => {
    // Idle at least 10000 s: only ids 129-131 (idle 10099 to 10299); the rest of the leak is not idle long enough.
    const p = acting(plan(criticalReport, [CRITICAL], { settings: { minIdleSeconds: 10_000 } }));
    expect(p.goal.needed).toBe(8);
    expect(ids(p.selection.selected)).toEqual([131, 130, 129]);
    expect(p.selection.capped).toBe(0);
    expect(p.selection.skipped['not-idle-long-enough']).toBe(29 + 2);
  });

  it('never selects an id an earlier run reclaimed on the node, asking for the node it acts on', () => {
    const asked: string[] = [];
    const p = acting(plan(criticalReport, [CRITICAL], { alreadyReclaimed: (node) => { asked.push(node); return [131, 130, 125]; } }));
    expect(asked).toEqual([NODE]);
    const selected = ids(p.selection.selected);
    expect(selected).toEqual([129, 128, 127, 126, 124, 123, 122, 121]);
    expect(selected).not.toContain(131);
    expect(p.selection.skipped['already-reclaimed']).toBe(3);

    // When earlier runs closed all but four of the leak, only those four are left, fewer than the goal needs.
    const allButFour = acting(plan(criticalReport, [CRITICAL], { alreadyReclaimed: () => leakIds(28) }));
    expect(ids(allButFour.selection.selected)).toEqual([131, 130, 129, 128]);
  });

  it('without the reclaim credential does not act, says why, and lists what it would have closed', () => {
    const withCredential = acting(plan(criticalReport, [CRITICAL]));
    const section = sectionOf(plan(criticalReport, [CRITICAL], { hasCredential: false }), criticalReport);
    expect(section).toMatchObject({ mode: 'break-glass', outcome: 'refused', node: NODE, killed: 0, max: 8, capped: 24, minIdleSeconds: 3600 });
    expect(section.reason).toMatch(/reclaimSecretArn/);
    expect(ids(section.selected)).toEqual(ids(withCredential.selection.selected));
    expect(ids(section.selected)).toEqual(oldest(32, 8));
    expect(section.goal).toEqual(withCredential.goal);
    expect(section.summary).toMatch(/^Break-glass did not act: The target has no reclaim credential .* Nothing was killed\. It would have closed 8 idle connections of checkout opened at src\/handlers\/pay\.ts:42, to keep at most 37 of maxclients 47 in use\.$/);
  });

  it('does not act when no leaking connection may be closed, and says what held each back', () => {
    const section = sectionOf(plan(criticalReport, [CRITICAL], { settings: { minIdleSeconds: 20_000 } }), criticalReport);
    expect(section).toMatchObject({ outcome: 'refused', selected: [], node: NODE, minIdleSeconds: 20_000 });
    // 32 leaked (idle up to 10299 s) and checkout's two other connections.
    expect(section.reason).toBe('None of the leaking workload\'s connections may be closed (34 not idle long enough).');
  });
});

describe('planBreakGlass: refusals', () => {
  const refused = (report: AuditReport, lastRound: RawNodeSample[], over: PlanOverrides = {}) => {
    const section = sectionOf(plan(report, lastRound, over), report);
    expect(section).toMatchObject({ mode: 'break-glass', outcome: 'refused', selected: [], killed: 0 });
    return section;
  };

  it('refuses a Redis Cluster: two nodes in the report', () => {
    const other = sample({ leaked: 32, maxclients: 47, node: '10.0.0.6:6379' });
    const both = audit([CRITICAL, other]);
    expect(both.nodes).toHaveLength(2);
    expect(refused(both, [CRITICAL, other])).toMatchObject({ reason: BREAK_GLASS_CLUSTER_REFUSAL, node: null });
    // Two samples in the last round, whatever the report says.
    expect(refused(criticalReport, [CRITICAL, other]).reason).toBe(BREAK_GLASS_CLUSTER_REFUSAL);
    expect(refused(both, [CRITICAL]).reason).toBe(BREAK_GLASS_CLUSTER_REFUSAL);
  });

  it('refuses a Redis Cluster: one node whose INFO says cluster_enabled:1', () => {
    const clustered = sample({ leaked: 32, maxclients: 47, clusterEnabled: true });
    const report = audit([clustered]);
    expect(report.nodes).toHaveLength(1);
    expect(refused(report, [clustered]).reason).toBe(BREAK_GLASS_CLUSTER_REFUSAL);
  });

  it('refuses a failed audit', () => {
    const failed = audit([], { failedNodes: [{ node: NODE, error: 'connect ETIMEDOUT', refusedMaxClients: false }] });
    expect(failed.status).toBe('failed');
    expect(refused(failed, []).reason).toMatch(/could not read the server/);
    // A report marked failed is refused even with a sample at hand.
    expect(refused({ ...criticalReport, status: 'failed' }, [CRITICAL]).reason).toMatch(/could not read the server/);
  });

  it('refuses when the server does not say its connected clients or maxclients', () => {
    for (const shape of [{ connected: null, maxclients: 47 }, { maxclients: null }, { maxclients: 0 }]) {
      const s = sample({ leaked: 32, ...shape });
      const report = audit([s]);
      expect(refused(report, [s])).toMatchObject({ node: NODE, reason: expect.stringMatching(/did not say its connected clients and maxclients/) });
    }
  });

  it('refuses a replica', () => {
    const replica = sample({ leaked: 32, maxclients: 47, role: 'slave' });
    const report = audit([replica]);
    expect(report.nodes[0]?.role).toBe('slave');
    expect(report.findings.some((f) => f.kind === 'idle-connections')).toBe(true);
    expect(refused(report, [replica]).reason).toMatch(/replica/);
  });

  it('refuses a partial audit', () => {
    const partial = audit([CRITICAL], { interruptedNodes: [NODE] });
    expect(partial.status).toBe('partial');
    expect(refused(partial, [CRITICAL]).reason).toBe('The audit is partial: reclaiming acts only on a complete audit.');
  });

  it('refuses an incomplete listing: cut short, or with lines that could not be read', () => {
    expect(refused(criticalReport, [{ ...CRITICAL, incomplete: true }]).reason).toMatch(/listing was incomplete/);
    const garbled = sample({ leaked: 32, maxclients: 47, garbage: 'id=999 addr=\n' });
    const report = audit([garbled]);
    expect(report.status).toBe('ok');
    expect(report.nodes[0]?.malformedClientListLines).toBe(1);
    expect(refused(report, [garbled]).reason).toMatch(/listing was incomplete/);
  });

  it('refuses a leak known only by its address', () => {
    const unnamed = sample({ leaked: 32, maxclients: 47, unnamed: true });
    const report = audit([unnamed]);
    expect(report.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.subject))
      .toEqual([expect.objectContaining({ workload: '10.3.0.7', identifiedBy: 'source-address' })]);
    const section = refused(report, [unnamed]);
    expect(section.reason).toMatch(/^The workload 10\.3\.0\.7 is known only by its address/);
    // The Lambda has no --source: the fix is to name the workload.
    expect(section.reason).toContain('name its clients (CLIENT SETNAME) or turn on RESOLVE_SOURCE_IPS');
    expect(section.reason).not.toContain('--source');
    expect(section.goal).toEqual({ connectedClients: 45, maxClients: 47, keepAtMost: 37, needed: 8 });
  });

  it('leaves a leak known only by its address alone, and still reclaims a named leak beside it', () => {
    // 25 unnamed connections from 10.3.0.9, used once and abandoned (older than any of checkout's), beside the
    // named checkout leak (32).
    const unnamed = Array.from({ length: 25 }, (_, i) => line(500 + i, `10.3.0.9:${45000 + i}`, '', 20000, 19999, '')).join('\n') + '\n';
    const both = sample({ leaked: 32, maxclients: 72, connected: 70, garbage: unnamed });
    const report = audit([both]);
    const leaks = report.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.subject);
    expect(leaks).toEqual(expect.arrayContaining([
      expect.objectContaining({ workload: '10.3.0.9', identifiedBy: 'source-address' }),
      expect.objectContaining({ workload: 'checkout' }),
    ]));

    const p = plan(report, [both]);

    if (p === null || !p.act) throw new Error(`expected a plan that acts, got ${JSON.stringify(p)}`);
    // 70 of 72, down to floor(72 x 0.8) = 57: 13, the oldest of checkout's; none of 10.3.0.9's.
    expect(p.goal).toEqual({ connectedClients: 70, maxClients: 72, keepAtMost: 57, needed: 13 });
    expect(ids(p.selection.selected)).toEqual(oldest(32, 13));
    expect(p.selection.selected.some((c) => c.addr.startsWith('10.3.0.9:'))).toBe(false);
  });

  it('does not act without a leak finding, above the critical level or not', () => {
    const busy = sample({ leaked: 32, maxclients: 47, healthy: true });
    const report = audit([busy]);
    expect(report.findings.some((f) => f.kind === 'idle-connections' || f.kind === 'connection-growth')).toBe(false);
    expect(report.findings.some((f) => f.kind === 'maxclients-pressure' && f.severity === 'critical')).toBe(true);
    const section = refused(report, [busy]);
    expect(section.reason).toBe('No leak was found and no workload or address was named: there is nothing to reclaim.');
    expect(section.summary).toMatch(/^Break-glass did not act: No leak was found/);
  });
});

describe('planBreakGlass: the goal needs nothing (critical level equal to the warning level)', () => {
  // The policy only requires critical >= warn. 27 leaked + 13 = 40 of maxclients 50: 80%, at the critical level;
  // 50 x 0.8 = 40 kept, so nothing needs closing.
  const s = sample({ leaked: 27, maxclients: 50 });
  const report = audit([s], { policy: { ...defaultPolicy, maxclientsWarn: 0.8, maxclientsCritical: 0.8 } });

  it('computes a goal that needs nothing', () => {
    const p = plan(report, [s]);
    expect(p).not.toBeNull();
    expect(p?.act ? p.goal : p?.section.goal).toEqual({ connectedClients: 40, maxClients: 50, keepAtMost: 40, needed: 0 });
  });

  // selectReclaimable's floor (RECLAIM_DEFAULTS.maxFloor) would turn max = min(maxPerRun, needed) = 0 into 1:
  // the plan stops at needed 0 first.
  it('closes nothing, and says it is not needed', () => {
    const p = plan(report, [s]);
    expect(p !== null && p.act ? ids(p.selection.selected) : []).toEqual([]);
    expect(p).toMatchObject({ act: false, section: { outcome: 'not-needed', reason: 'Connections are at 80% of maxclients, not above the warning level (80%) the break-glass reclaims down to.' } });
  });
});
