// Leaks judged per workload: fleets of small members, healthy fleets, one leak one finding, churn apart.
import { describe, expect, it } from 'vitest';
import { type CheckContext, type Finding } from '../../lambda/core/findings/index.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { countSuspectedLeaks } from '../../lambda/core/report.js';
import { many } from '../support/builders.js';
import { checkClients } from '../support/check-clients.js';

const check = (clients: ClientRecord[], extra: Partial<CheckContext> = {}, youngSeconds?: number): Finding[] =>
  checkClients(clients, extra, youngSeconds).filter((f) => f.severity !== 'info');

/** count clients on each of `members` addresses 10.1.x.y, named per pod when a name is given. */
function fleet(members: number, count: number, shape: Partial<ClientRecord>, name?: string): ClientRecord[] {
  return Array.from({ length: members }, (_, i) => many(count, {
    ...shape,
    sourceIp: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    ...(name === undefined ? {} : { name: `${name}-7f9c8d5b4-${'bcdfghjklmnpqrstvwxz'.slice(i % 15, (i % 15) + 5)}` }),
  })).flat();
}

const usedOnce = { ageSeconds: 900, idleSeconds: 899 };
const usedThenIdle = { ageSeconds: 7200, idleSeconds: 900 };

describe('a leak spread over a fleet', () => {
  it('is one finding for the workload, summed over its addresses, naming the largest', () => {
    const findings = check(fleet(30, 12, usedOnce, 'orders-api'));
    expect(findings).toHaveLength(1);
    const [leak] = findings;
    expect(leak).toMatchObject({ kind: 'idle-connections', severity: 'warning', subject: { workload: 'orders-api', identifiedBy: 'client-name', clientName: 'orders-api' } });
    expect(leak?.subject.sourceIp).toBeUndefined();
    expect(leak?.evidence).toMatchObject({ connections: 360, members: 30, usedOnceIdleConnections: 360 });
    expect(leak?.relatedSources).toHaveLength(5);
    expect(leak?.message).toMatch(/^orders-api \(client name, 30 addresses, largest 10\.1\.0\.\d+\) holds 360 connections/);
  });

  it('is found for unnamed clients too, as the fleet of addresses, with its total', () => {
    const findings = check(fleet(25, 5, usedOnce));
    expect(findings.map((f) => f.subject)).toEqual([{ workload: 'unnamed clients on 25 addresses', identifiedBy: 'address-fleet' }]);
    expect(findings[0]?.evidence).toMatchObject({ connections: 125, members: 25, usedOnceIdleConnections: 125 });
  });

  it('leaves out of the address fleet an address already reported on its own', () => {
    const big = many(40, { sourceIp: '10.2.0.1', ...usedOnce });
    const healthy = fleet(30, 1, { ageSeconds: 7200, idleSeconds: 1 });
    const findings = check([...big, ...healthy]);
    expect(findings.map((f) => f.subject.workload)).toEqual(['10.2.0.1']);
  });

  it('is still found on one big address, as before workloads', () => {
    const findings = check(many(40, { sourceIp: '10.2.0.1', name: 'checkout', ...usedThenIdle }));
    expect(findings.map((f) => [f.kind, f.subject.sourceIp])).toEqual([['idle-connections', '10.2.0.1']]);
  });
});

describe('healthy fleets', () => {
  it('raise nothing: 40 pods with steady idle pools of 10 that were used', () => {
    expect(check(fleet(40, 10, usedThenIdle, 'api'))).toEqual([]);
  });

  it('raise nothing: 30 environments each holding the one connection they opened (unnamed, used once)', () => {
    expect(check(fleet(30, 1, usedOnce))).toEqual([]);
    expect(check(fleet(30, 1, usedOnce, 'fn'))).toEqual([]);
  });

  it('raise nothing: a subscriber per pod, quiet', () => {
    expect(check(fleet(40, 1, { ...usedThenIdle, flags: 'P', sub: 1, cmd: 'subscribe' }, 'events'))).toEqual([]);
  });

  it('report subscribers left behind on every pod', () => {
    const findings = check(fleet(20, 3, { ...usedThenIdle, flags: 'P', sub: 1, cmd: 'subscribe' }, 'events'));
    expect(findings.map((f) => [f.kind, f.subject.workload, f.evidence.idleSubscribers])).toEqual([['pubsub-leak', 'events', 60]]);
  });
});

describe('one leak, one finding, the right diagnosis', () => {
  const window = { newConnectionsPerMinute: 600, rejectedInWindow: 0, windowSeconds: 60, baselineResets: 0 };

  it('reports connections opened and still open as the leak, not as churn', () => {
    const held = fleet(20, 30, { ageSeconds: 30, idleSeconds: 29 }, 'jobs');
    const growth = [{ key: 'name:jobs', first: 0 + 1, last: 600, firstMembers: 20, lastMembers: 20, unexplained: 599, samples: 2, windowSeconds: 60, perMinute: 599 }];
    const findings = check(held, { window, growth }, 60);
    expect(findings.map((f) => f.kind)).toEqual(['connection-growth']);
    expect(findings[0]?.evidence).toMatchObject({ openedInWindowStillOpen: 600, members: 20 });
    expect(findings[0]?.recommendation).toMatch(/not closing them/);
  });

  it('reports connections opened and closed again as churn, with the pooling advice', () => {
    const findings = check(fleet(5, 2, { ageSeconds: 7200, idleSeconds: 0 }, 'web'), { window }, 60);
    expect(findings.map((f) => [f.kind, f.evidence.closedAgainPerMinute])).toEqual([['connection-churn', 600]]);
    expect(findings[0]?.recommendation).toMatch(/not pooling/);
  });

  it('names as the churn\'s source the workload whose connections are caught in flight, never a leaking one', () => {
    const leaking = many(30, { sourceIp: '10.3.0.9', name: 'checkout', ageSeconds: 1, idleSeconds: 1 });
    const growth = [{ key: 'name:checkout', first: 10, last: 30, firstMembers: 1, lastMembers: 1, unexplained: 20, samples: 2, windowSeconds: 60, perMinute: 20 }];
    const churner = many(3, { sourceIp: '10.3.0.7', name: 'reports', ageSeconds: 0, idleSeconds: 0 });
    const findings = check([...leaking, ...churner], { window: { ...window, newConnectionsPerMinute: 3000 }, growth }, 60);
    const churn = findings.find((f) => f.kind === 'connection-churn');
    expect(churn?.subject).toEqual({ workload: 'reports', identifiedBy: 'client-name' });
    expect(churn?.relatedSources).toEqual([{ sourceIp: '10.3.0.7', connections: 3 }]);
    expect(findings.find((f) => f.kind === 'connection-growth')?.subject.workload).toBe('checkout');
  });

  it('counts leaking workloads, not findings', () => {
    const leak = many(30, { sourceIp: '10.3.0.1', name: 'billing', ...usedOnce });
    const stuck = many(2, { sourceIp: '10.3.0.1', name: 'billing', ...usedOnce, multi: 1 });
    const findings = check([...leak, ...stuck]);
    expect(findings.map((f) => f.kind).sort()).toEqual(['idle-connections', 'open-transaction']);
    expect(countSuspectedLeaks(findings)).toBe(1);
  });
});
