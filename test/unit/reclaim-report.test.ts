// The reclaim section's one sentence (reclaimSentence), for each outcome and mode, and the section against
// schema/report.schema.json: every output prints this sentence, so its words are pinned here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { countByWorkload, killedSection, reclaimReport, reclaimSentence, type ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { RECLAIM_DEFAULTS, SKIP_REASONS, type ReclaimCandidate, type SkipReason } from '../../lambda/core/reclaim-selection.js';
import { expectValidReport } from '../support/report-schema.js';

const GOAL = { connectedClients: 9800, maxClients: 10_000, keepAtMost: 8000, needed: 1800 };

function candidates(n: number, workload = 'orders-api', origin: string | null = 'handlers/user.ts:15', firstId = 100): ReclaimCandidate[] {
  return Array.from({ length: n }, (_, i) => ({
    id: firstId + i, addr: `10.0.0.7:${40000 + (i % 20000)}`, workload, ageSeconds: 90_000 - i, idleSeconds: 89_990 - i,
    ...(origin === null ? {} : { origin }),
  }));
}

function skipped(overrides: Partial<Record<SkipReason, number>> = {}): Record<SkipReason, number> {
  return { ...Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>, ...overrides };
}

type Base = Omit<ReclaimReport, 'summary' | 'byWorkload'>;

function base(overrides: Partial<Base> = {}): Base {
  return {
    mode: 'break-glass', outcome: 'reclaimed', reason: null, node: '10.0.0.5:6379', selected: [], killed: 0, spared: 0,
    skipped: skipped(), capped: 0, minIdleSeconds: 3600, max: 1000, ...overrides,
  };
}

describe('reclaimSentence', () => {
  it('says what the break-glass killed, whose, why and that the leak is still there', () => {
    const selected = candidates(1200);
    const r = { ...base({ selected, killed: 1200, goal: GOAL }), byWorkload: countByWorkload(selected) };
    expect(reclaimSentence(r)).toBe('Reclaimed 1,200 idle connections of orders-api opened at handlers/user.ts:15, to keep at most 8,000 '
      + 'of maxclients 10,000 in use; the leak is still there: fix it (see the finding).');
  });

  it('says how many of the selected were killed, how many were spared, and why killing stopped', () => {
    const r = reclaimReport(base({ selected: candidates(1000), killed: 900, spared: 40, goal: GOAL, stoppedBy: 'the run reached its deadline' }));
    expect(r.summary).toBe('Reclaimed 900 idle connections of orders-api opened at handlers/user.ts:15, to keep at most 8,000 of maxclients '
      + '10,000 in use (900 of 1,000 selected; 40 were gone or used again when checked); the leak is still there: fix it (see the finding). '
      + 'Stopped early: the run reached its deadline.');
  });

  it('names the three largest workloads with their counts and counts the others, most selected first', () => {
    const selected = [
      ...candidates(2, 'billing', null, 1), ...candidates(5, 'orders-api', 'handlers/user.ts:15', 10),
      ...candidates(1, 'search', null, 30), ...candidates(3, 'cart', 'cart/db.ts:7', 40), ...candidates(1, 'zeta', null, 50),
    ];
    const r = reclaimReport(base({ mode: 'cli', selected, killed: 12 }));
    expect(r.byWorkload.map((w) => [w.workload, w.selected])).toEqual([['orders-api', 5], ['cart', 3], ['billing', 2], ['search', 1], ['zeta', 1]]);
    expect(r.summary).toBe('Reclaimed 12 idle connections of orders-api opened at handlers/user.ts:15 (5), cart opened at cart/db.ts:7 (3) '
      + 'and billing (2) and 2 other workloads; the leak is still there: fix it (see the finding).');
  });

  it('writes one connection in the singular', () => {
    const r = reclaimReport(base({ mode: 'cli', selected: candidates(1, 'orders-api', null), killed: 1 }));
    expect(r.summary).toBe('Reclaimed 1 idle connection of orders-api; the leak is still there: fix it (see the finding).');
  });

  it('says what a dry run would close, and that nothing was killed', () => {
    expect(reclaimReport(base({ mode: 'cli', outcome: 'dry-run', selected: candidates(12) })).summary)
      .toBe('Reclaim (dry run): would close 12 idle connections of orders-api opened at handlers/user.ts:15; nothing was killed (--apply closes them).');
    expect(reclaimReport(base({ mode: 'cli', outcome: 'dry-run', reason: 'The node is a replica: reclaiming acts only on a primary.' })).summary)
      .toBe('Reclaim (dry run): nothing to close. The node is a replica: reclaiming acts only on a primary.');
  });

  it('says the break-glass was not needed, and why', () => {
    const reason = 'Connections are at 45% of maxclients, below the critical level (95%).';
    expect(reclaimReport(base({ outcome: 'not-needed', reason, max: 0 })).summary).toBe(`Break-glass: not needed. ${reason}`);
    expect(reclaimReport(base({ mode: 'cli', outcome: 'not-needed', max: 0 })).summary).toBe('Reclaim: not needed.');
  });

  it('says the break-glass did not act, why, that nothing was killed and what it would have closed', () => {
    const reason = "The target has no reclaim credential (reclaimSecretArn: a Redis user with the read-only rule plus +client|kill), and the audit's own user is read-only.";
    expect(reclaimReport(base({ outcome: 'refused', reason, selected: candidates(3), goal: GOAL })).summary)
      .toBe(`Break-glass did not act: ${reason} Nothing was killed. It would have closed 3 idle connections of orders-api opened at `
        + 'handlers/user.ts:15, to keep at most 8,000 of maxclients 10,000 in use.');
    expect(reclaimReport(base({ mode: 'cli', outcome: 'refused', max: 0 })).summary).toBe('Reclaim did not act: refused. Nothing was killed.');
  });
});

describe('the reclaim section in the report schema', () => {
  const NOW = Date.parse('2026-11-26T13:10:00Z');
  const { report } = assessAudit({
    target: 'redis://orders-cache:6379',
    samples: [[{ node: '10.0.0.5:6379', takenAtMs: NOW, infoText: 'connected_clients:3\r\nmaxclients:10000\r\n',
      clientListText: 'id=1 addr=10.0.0.1:5000 name= age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 cmd=get user=default\n',
      config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 } }]],
    failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: NOW, nowMs: NOW, toolVersion: '0.1.0',
  });
  const reclaimed = reclaimReport(base({
    selected: candidates(1000), killed: 990, spared: 10, capped: 200, goal: GOAL, stoppedBy: 'the run reached its deadline',
    skipped: skipped({ 'other-workload': 340, 'not-idle-long-enough': 12, 'own-connection': 1 }),
  }));

  it('validates a report with each outcome of the section', () => {
    expectValidReport({ ...report, reclaim: reclaimed });
    expectValidReport({ ...report, reclaim: reclaimReport(base({ mode: 'cli', outcome: 'dry-run', selected: candidates(3, 'billing', null) })) });
    expectValidReport({ ...report, reclaim: reclaimReport(base({ outcome: 'not-needed', reason: 'Below the critical level.', node: null, max: 0 })) });
    expectValidReport({ ...report, reclaim: reclaimReport(base({ outcome: 'refused', reason: 'No credential.', selected: candidates(2), goal: GOAL })) });
  });

  it.each([
    ['an unknown outcome', { ...reclaimed, outcome: 'exploded' }],
    ['an unknown mode', { ...reclaimed, mode: 'cron' }],
    ['no summary', Object.fromEntries(Object.entries(reclaimed).filter(([k]) => k !== 'summary'))],
    ['an empty summary', { ...reclaimed, summary: '' }],
    ['a field it does not know', { ...reclaimed, extra: 1 }],
    ['a skip reason missing', { ...reclaimed, skipped: { ...reclaimed.skipped, blocked: undefined } }],
    ['a negative count', { ...reclaimed, killed: -1 }],
    ['a candidate without an id', { ...reclaimed, selected: [{ addr: '10.0.0.7:1', workload: 'x', ageSeconds: 1, idleSeconds: 1 }] }],
    ['more candidates than the per-run ceiling', { ...reclaimed, selected: candidates(RECLAIM_DEFAULTS.maxCeiling + 1) }],
    ['a goal without maxClients', { ...reclaimed, goal: { connectedClients: 1, keepAtMost: 1, needed: 0 } }],
  ])('rejects a section with %s', (_what, section) => {
    expect(() => expectValidReport(JSON.parse(JSON.stringify({ ...report, reclaim: section })))).toThrow();
  });

  it('lists exactly the skip reasons and the per-run ceiling that reclaim-selection.ts has', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as {
      definitions: { reclaim: { properties: { skipped: { required: string[]; properties: object }; selected: { maxItems: number } } } };
    };
    const { skipped: skips, selected } = schema.definitions.reclaim.properties;
    expect(skips.required).toEqual([...SKIP_REASONS]);
    expect(Object.keys(skips.properties)).toEqual([...SKIP_REASONS]);
    expect(selected.maxItems).toBe(RECLAIM_DEFAULTS.maxCeiling);
  });
});

describe('killedSection: what the kills of a selection came to, for the CLI and the break-glass alike', () => {
  const selection = { refused: null, selected: candidates(3), skipped: skipped(), capped: 0, max: 3 };
  const at = { mode: 'cli', node: '10.0.0.5:6379', minIdleSeconds: 3600 } as const;

  it('reclaimed when at least one was closed, with what was spared and why it stopped', () => {
    const r = killedSection(selection, at, { killed: [100], spared: 1, stoppedBy: 'CLIENT KILL ID 102 failed after 1 kills (timeout)' });
    expect(r).toMatchObject({ outcome: 'reclaimed', reason: null, killed: 1, spared: 1, stoppedBy: 'CLIENT KILL ID 102 failed after 1 kills (timeout)' });
  });

  it('refused, never "reclaimed 0", when the first kill failed', () => {
    const r = killedSection(selection, at, { killed: [], spared: 0, stoppedBy: 'CLIENT KILL ID 100 failed after 0 kills (NOPERM)' });
    expect(r).toMatchObject({ outcome: 'refused', reason: 'CLIENT KILL ID 100 failed after 0 kills (NOPERM).', killed: 0 });
    expect(r.summary).toMatch(/^Reclaim did not act: CLIENT KILL ID 100 failed after 0 kills \(NOPERM\)\. Nothing was killed\./);
  });

  it('not needed when every selected connection was gone or used again by the time it was looked up', () => {
    const r = killedSection(selection, { ...at, mode: 'break-glass' }, { killed: [], spared: 3 });
    expect(r).toMatchObject({ mode: 'break-glass', outcome: 'not-needed', killed: 0, spared: 3,
      reason: 'All 3 selected connections were gone or used again when looked up just before the kill.' });
  });
});
