// When a run sends an SNS summary: new or escalated findings at once, the same findings again only
// after the cooldown, a failing audit once per failure streak, and the memory kept in the state.
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { RECOMMENDATIONS } from '../../lambda/core/findings/recommendations.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import {
  emptyNotifyState, findingKey, planNotification, readNotifyState, withNotifyState, type NotifyState,
} from '../../lambda/core/notify-policy.js';
import { killedSection, reclaimReport, selectionSection, type ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { refusedSelection, SKIP_REASONS, type ReclaimSelection, type SkipReason } from '../../lambda/core/reclaim-selection.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { restoreState } from '../../lambda/core/state.js';
import { expectValidReport } from '../support/report-schema.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const COOLDOWN = 60;
const NODE = '127.0.0.1:6379';

const INFO = '# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\nconnected_clients:3\r\nmaxclients:10000\r\ntotal_connections_received:5\r\n';

/** A real, schema-valid report of a healthy node; tests swap in the findings they need. */
const { report: healthy } = assessAudit({
  target: 'redis://orders-cache:6379',
  samples: [[{ node: NODE, takenAtMs: T0, infoText: INFO, clientListText: 'id=1 addr=10.0.0.1:5000 name= age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 cmd=get user=default\n',
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 } }]],
  failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: T0, nowMs: T0, toolVersion: '0.1.0',
});
const { report: unreachable, state } = assessAudit({
  target: 'redis://orders-cache:6379', samples: [], failedNodes: [{ node: NODE, error: 'connect ETIMEDOUT', refusedMaxClients: false }],
  previousState: null, policy: defaultPolicy, startedAtMs: T0, nowMs: T0, toolVersion: '0.1.0',
});

function leak(sourceIp: string, severity: Finding['severity'] = 'warning'): Finding {
  return { kind: 'idle-connections', severity, subject: { sourceIp, clientName: 'checkout' }, message: `${sourceIp} holds 30 idle connections`,
    evidence: { connections: 30 }, recommendation: RECOMMENDATIONS['idle-connections'] };
}

function withFindings(findings: Finding[], base: AuditReport = healthy): AuditReport {
  const report = { ...base, findings };
  expectValidReport(report);
  return report;
}

/** Runs the policy over a sequence of (minute, report) runs, threading the state; returns each plan. */
function runs(steps: Array<[number, AuditReport]>, failureThreshold = 3, start: NotifyState = emptyNotifyState()) {
  let previous = start;
  return steps.map(([minute, report]) => {
    const plan = planNotification({ report, previous, nowMs: T0 + minute * MINUTE, cooldownMinutes: COOLDOWN, failureThreshold });
    previous = plan.next;
    return plan;
  });
}

const A = leak('10.0.0.9');
const B = leak('10.0.0.8');

describe('planNotification: findings', () => {
  it('sends when a finding at warning or above appears, marking it new', () => {
    const [plan] = runs([[0, withFindings([A])]]);
    expect(plan).toMatchObject({ send: true, reason: 'new-finding', newKeys: [findingKey(A)] });
    expect(plan?.next).toMatchObject({ lastSentAtMs: T0, fingerprint: { [findingKey(A)]: 'warning' } });
  });

  it('does not send for info findings alone', () => {
    expect(runs([[0, withFindings([{ ...A, kind: 'unnamed-clients', severity: 'info', subject: {} }])]])[0]).toMatchObject({ send: false, reason: 'none' });
  });

  it('does not send the same findings again within the cooldown', () => {
    const plans = runs([[0, withFindings([A])], [5, withFindings([A])], [59, withFindings([A])]]);
    expect(plans.map((p) => p.send)).toEqual([true, false, false]);
    expect(plans[2]?.next.lastSentAtMs).toBe(T0);
  });

  it('sends a reminder for the same findings once the cooldown has passed since the last send', () => {
    const plans = runs([[0, withFindings([A])], [30, withFindings([A])], [60, withFindings([A])], [90, withFindings([A])]]);
    expect(plans.map((p) => p.reason)).toEqual(['new-finding', 'none', 'reminder', 'none']);
    expect(plans[2]?.newKeys).toEqual([]);
  });

  it('sends at once when a finding escalates, within the cooldown', () => {
    const plans = runs([[0, withFindings([A])], [5, withFindings([{ ...A, severity: 'critical' }])]]);
    expect(plans[1]).toMatchObject({ send: true, reason: 'escalated', newKeys: [findingKey(A)] });
    expect(plans[1]?.next.fingerprint).toEqual({ [findingKey(A)]: 'critical' });
  });

  it('stays quiet when a finding calms down and comes back to the severity already sent', () => {
    const plans = runs([[0, withFindings([{ ...A, severity: 'critical' }])], [5, withFindings([A])], [10, withFindings([{ ...A, severity: 'critical' }])]]);
    expect(plans.map((p) => p.send)).toEqual([true, false, false]);
  });

  it('sends when a new finding joins known ones, marking only the new one', () => {
    const plans = runs([[0, withFindings([A])], [5, withFindings([A, B])]]);
    expect(plans[1]).toMatchObject({ send: true, reason: 'new-finding', newKeys: [findingKey(B)] });
  });

  it('forgets a finding that disappears, so that it notifies again when it comes back', () => {
    const plans = runs([[0, withFindings([A, B])], [5, withFindings([A])], [10, withFindings([A, B])]]);
    expect(plans[1]).toMatchObject({ send: false, next: { fingerprint: { [findingKey(A)]: 'warning' } } });
    expect(plans[2]).toMatchObject({ send: true, reason: 'new-finding', newKeys: [findingKey(B)] });
  });

  it('sends nothing and forgets everything when all findings are gone', () => {
    const plans = runs([[0, withFindings([A])], [5, withFindings([])], [120, withFindings([])]]);
    expect(plans.slice(1).map((p) => p.send)).toEqual([false, false]);
    expect(plans[1]?.next.fingerprint).toEqual({});
  });

  it('keys findings by kind and subject, escaping separators inside values', () => {
    expect(findingKey(A)).toBe('leak|10.0.0.9|checkout||');
    expect(findingKey({ ...A, subject: { clientName: 'a|b%c', node: NODE } })).toBe('leak||a%7Cb%25c||127.0.0.1:6379');
    expect(findingKey({ ...A, kind: 'open-transaction' })).toBe('open-transaction|10.0.0.9|checkout||');
  });

  it('keeps one key for a workload\'s leak whatever its addresses, and whether it shows as idle connections or growth', () => {
    const fleet = { ...A, subject: { workload: 'orders-api', identifiedBy: 'client-name' as const, clientName: 'orders-api' } };
    const onOnePod = { ...fleet, subject: { ...fleet.subject, sourceIp: '10.0.0.9' } };
    expect(findingKey(onOnePod)).toBe(findingKey(fleet));
    expect(findingKey({ ...fleet, kind: 'connection-growth' })).toBe(findingKey(fleet));
    const unnamed = (n: number) => ({ ...A, subject: { workload: `unnamed clients on ${n} addresses`, identifiedBy: 'address-fleet' as const } });
    expect(findingKey(unnamed(30))).toBe(findingKey(unnamed(31)));
    expect(findingKey(fleet)).not.toBe(findingKey({ ...fleet, subject: { ...fleet.subject, workload: 'billing', clientName: 'billing' } }));
  });
});

describe('planNotification: failed audits', () => {
  it('sends once when failures reach the threshold, and not again during the streak', () => {
    const plans = runs([[0, unreachable], [5, unreachable], [10, unreachable], [15, unreachable], [200, unreachable]]);
    expect(plans.map((p) => p.reason)).toEqual(['none', 'none', 'unreachable', 'none', 'none']);
    expect(plans.map((p) => p.next.consecutiveFailures)).toEqual([1, 2, 3, 4, 5]);
  });

  it('resets the streak on a successful run, so that a later streak notifies again', () => {
    const plans = runs([[0, unreachable], [5, unreachable], [10, withFindings([])], [15, unreachable], [20, unreachable]], 2);
    expect(plans.map((p) => p.reason)).toEqual(['none', 'unreachable', 'none', 'none', 'unreachable']);
    expect(plans[2]?.next).toMatchObject({ consecutiveFailures: 0, failureNotified: false });
  });

  it('does not forget findings during a failed run: they were not seen, not gone', () => {
    const plans = runs([[0, withFindings([A])], [5, unreachable], [10, withFindings([A])]], 5);
    expect(plans[1]?.next.fingerprint).toEqual({ [findingKey(A)]: 'warning' });
    expect(plans[2]?.send).toBe(false);
  });

  it('keeps the findings of nodes a partial run could not read', () => {
    const nodeFinding: Finding = { ...A, kind: 'maxclients-pressure', subject: { node: '127.0.0.2:6379' } };
    const partial: AuditReport = { ...healthy, status: 'partial', nodes: [...healthy.nodes, ...unreachable.nodes.map((n) => ({ ...n, address: '127.0.0.2:6379' }))] };
    const plans = runs([[0, withFindings([nodeFinding])], [5, withFindings([], partial)], [10, withFindings([nodeFinding])]]);
    expect(plans.map((p) => p.send)).toEqual([true, false, false]);
  });

  it('sends a critical maxclients-exhausted finding of a failed run at once, and the failure message still once at the threshold', () => {
    const exhausted: Finding = { kind: 'maxclients-exhausted', severity: 'critical', subject: { node: NODE }, message: `${NODE} refused the auditor's connection`,
      evidence: { refused: 1 }, recommendation: RECOMMENDATIONS['maxclients-exhausted'] };
    const plans = runs([[0, withFindings([exhausted], unreachable)], [5, withFindings([exhausted], unreachable)], [10, withFindings([exhausted], unreachable)]]);
    expect(plans.map((p) => p.reason)).toEqual(['new-finding', 'none', 'unreachable']);
    expect(plans[0]?.newKeys).toEqual([findingKey(exhausted)]);
    expect(plans[0]?.next.fingerprint).toEqual({ [findingKey(exhausted)]: 'critical' });
    expect(plans[2]?.next.failureNotified).toBe(true);
  });
  it('sends one message, not two, when a new finding and the failure threshold come in the same run', () => {
    const exhausted: Finding = { kind: 'maxclients-exhausted', severity: 'critical', subject: { node: NODE }, message: `${NODE} refused the auditor's connection`,
      evidence: { refused: 1 }, recommendation: RECOMMENDATIONS['maxclients-exhausted'] };
    const plans = runs([[0, withFindings([exhausted], unreachable)], [5, withFindings([exhausted], unreachable)]], 1);
    expect(plans.map((p) => p.reason)).toEqual(['new-finding', 'none']);
    expect(plans[0]?.next.failureNotified).toBe(true);
  });
});

describe('planNotification: the break-glass', () => {
  // Three leaked connections the break-glass selected on the node, and what its kills came to (reclaim-report.ts).
  const selection: ReclaimSelection = {
    refused: null, capped: 0, max: 3,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    selected: [100, 101, 102].map((id) => ({ id, addr: `10.0.0.9:${40000 + id}`, workload: 'checkout', ageSeconds: 9000 - id, idleSeconds: 8999 - id })),
  };
  const goal = { connectedClients: 9600, maxClients: 10_000, keepAtMost: 8000, needed: 1600 };
  const at = { mode: 'break-glass', node: NODE, minIdleSeconds: 3600, goal } as const;
  const withReclaim = (findings: Finding[], reclaim: ReclaimReport) => withFindings(findings, { ...healthy, reclaim });

  const killedTwo = killedSection(selection, at, { killed: [100, 101], spared: 1 });
  const allSpared = killedSection(selection, at, { killed: [], spared: 3 });
  const firstKillFailed = killedSection(selection, at, { killed: [], spared: 0, stoppedBy: 'CLIENT KILL ID 100 failed after 0 kills (NOPERM)' });
  const noCredential = selectionSection(selection, at, 'refused', 'The target has no reclaim credential.');
  const notNeeded = selectionSection(refusedSelection('Below the critical level.'), at, 'not-needed');

  it('builds the sections it tests from the real section builders', () => {
    expect([killedTwo, allSpared, firstKillFailed, noCredential, notNeeded].map((r) => [r.outcome, r.killed]))
      .toEqual([['reclaimed', 2], ['not-needed', 0], ['refused', 0], ['refused', 0], ['not-needed', 0]]);
  });

  it('sends at once when connections were killed, even within the cooldown and with nothing new', () => {
    const plans = runs([[0, withFindings([A])], [5, withReclaim([A], killedTwo)], [10, withFindings([A])]]);
    expect(plans.map((p) => [p.send, p.reason])).toEqual([[true, 'new-finding'], [true, 'reclaimed'], [false, 'none']]);
    expect(plans[1]?.newKeys).toEqual([]);
    // The message restarts the cooldown.
    expect(plans[1]?.next.lastSentAtMs).toBe(T0 + 5 * MINUTE);
    expect(plans[2]?.next.lastSentAtMs).toBe(T0 + 5 * MINUTE);
  });

  it('without the reclaim, the same run inside the cooldown stays quiet', () => {
    const plans = runs([[0, withFindings([A])], [5, withFindings([A])]]);
    expect(plans[1]).toMatchObject({ send: false, reason: 'none' });
  });

  it('says reclaimed before anything else the run would be sent for', () => {
    const [plan] = runs([[0, withReclaim([A], killedTwo)]]);
    expect(plan).toMatchObject({ send: true, reason: 'reclaimed', newKeys: [findingKey(A)] });
    expect(plan?.next.fingerprint).toEqual({ [findingKey(A)]: 'warning' });
    // And even with no finding in the report at all.
    expect(runs([[0, withFindings([A])], [1, withReclaim([], killedTwo)]])[1]).toMatchObject({ send: true, reason: 'reclaimed' });
  });

  it.each([
    ['every selected connection was spared', () => allSpared],
    ['the first kill failed', () => firstKillFailed],
    ['there was no reclaim credential', () => noCredential],
    ['it was not needed', () => notNeeded],
    ['a reclaimed section says 0 killed', () => reclaimReport({ ...killedTwo, killed: 0 })],
  ])('does not force a message when nothing was killed: %s', (_what, section) => {
    const plans = runs([[0, withFindings([A])], [5, withReclaim([A], section())]]);
    expect(plans[1]).toMatchObject({ send: false, reason: 'none', next: { lastSentAtMs: T0 } });
  });
});

describe('notify state in the audit state', () => {
  it('reads an empty notify state when there is no state or no notifications extension', () => {
    expect(readNotifyState(null)).toEqual(emptyNotifyState());
    expect(readNotifyState(state)).toEqual(emptyNotifyState());
  });

  it('round-trips through the saved state and keeps other extensions', () => {
    const notify: NotifyState = { lastSentAtMs: T0, fingerprint: { [findingKey(A)]: 'critical' }, consecutiveFailures: 2, failureNotified: true };
    const saved = withNotifyState({ ...state, extensions: { other: { kept: true } } }, notify);
    const restored = restoreState(JSON.stringify(saved), state.target).state;
    expect(readNotifyState(restored)).toEqual(notify);
    expect(restored?.extensions?.other).toEqual({ kept: true });
  });

  it('reads a damaged notifications record defensively', () => {
    const damaged = { ...state, extensions: { notifications: {
      lastSentAtMs: 'yesterday', consecutiveFailures: -3, failureNotified: 'yes',
      fingerprint: { [findingKey(A)]: 'warning', 'idle-connections|x||': 'fatal', notAKey: 'critical', [findingKey(B)]: 'info' },
    } } };
    expect(readNotifyState(damaged)).toEqual({ lastSentAtMs: null, fingerprint: { [findingKey(A)]: 'warning' }, consecutiveFailures: 0, failureNotified: false });
    expect(readNotifyState({ ...state, extensions: { notifications: [1, 2] } })).toEqual(emptyNotifyState());
  });
});
