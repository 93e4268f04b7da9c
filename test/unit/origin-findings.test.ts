// Leak findings of workloads whose connection names carry the code location that created them
// (`orders-api@src/handlers/user.ts:42`): the workload stays the service, the finding names the leaking
// line (never a healthy shared client), and names in any other form are judged exactly as before.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../lambda/core/findings/index.js';
import { RECOMMENDATIONS } from '../../lambda/core/findings/recommendations.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { MAX_ORIGINS_PER_WORKLOAD } from '../../lambda/core/workload-origins.js';
import { many } from '../support/builders.js';
import { checkClients } from '../support/check-clients.js';
import { auditClientList, clientLines, fleetWithSharedClient, USED_ONCE, USED_THEN_IDLE } from '../support/origin-client-list.js';
import { expectValidReport } from '../support/report-schema.js';

const LEAK_KINDS = new Set<Finding['kind']>(['idle-connections', 'connection-growth', 'pubsub-leak']);
const leaksOf = (report: AuditReport) => report.findings.filter((f) => LEAK_KINDS.has(f.kind));

describe('a workload whose clients are named after their origin', () => {
  const report = auditClientList(fleetWithSharedClient());

  it('stays one workload, the service, identified by its client name', () => {
    expect(report.groups.byWorkload.map((g) => [g.label, g.identifiedBy, g.connections, g.members])).toEqual([['orders-api', 'client-name', 310, 10]]);
  });

  it('is one finding whose subject names the leaking line, not the shared client', () => {
    const leaks = leaksOf(report);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]?.subject).toEqual({ workload: 'orders-api', identifiedBy: 'client-name', clientName: 'orders-api', origin: 'src/handlers/user.ts:42' });
  });

  it('gives the leaking origin its numbers and leaves the healthy one out', () => {
    const [leak] = leaksOf(report);
    expect(leak?.leakingOrigins).toEqual([{
      origin: 'src/handlers/user.ts:42', hashed: false, leakingConnections: 300, connections: 300, idleConnections: 300, usedOnceIdleConnections: 300, idleSubscribers: 0,
    }]);
    // The workload's own numbers still count every connection, the shared clients included.
    expect(leak?.evidence).toMatchObject({ connections: 310, usedOnceIdleConnections: 310, leakingOrigins: 1, leakingConnectionsAtOrigin: 300 });
  });

  it('says where the connections were opened, and the fix points at that line', () => {
    const [leak] = leaksOf(report);
    expect(leak?.message).toBe('orders-api (client name, 10 addresses, largest 10.0.1.1): 300 connections opened at src/handlers/user.ts:42 are never closed '
      + '(idle since they were opened). The workload holds 310 connections: 310 (100%) idle for 5 min or more; 310 of them used only when opened');
    expect(leak?.recommendation).toBe('Open src/handlers/user.ts:42: a client is created there per call and never closed; create one client at startup '
      + 'and share it, or close it in a finally block (`await client.quit()`).');
  });

  it('writes a report the schema accepts', () => {
    expectValidReport(report);
  });
});

describe('several origins in one workload', () => {
  const report = auditClientList([
    ...clientLines(40, { name: 'orders-api@src/handlers/user.ts:42', ...USED_ONCE }),
    ...clientLines(25, { name: 'orders-api@src/jobs/sync.ts:7', ...USED_ONCE }),
    ...clientLines(1, { name: 'orders-api@src/redis.ts:3', ...USED_THEN_IDLE }),
  ]);

  it('lists every leaking one, the largest first and as the subject, and never the healthy one', () => {
    const leaks = leaksOf(report);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]?.subject.origin).toBe('src/handlers/user.ts:42');
    expect(leaks[0]?.leakingOrigins?.map((o) => [o.origin, o.leakingConnections])).toEqual([['src/handlers/user.ts:42', 40], ['src/jobs/sync.ts:7', 25]]);
    expect(leaks[0]?.evidence.leakingOrigins).toBe(2);
  });

  it('names both in the message and the fix', () => {
    const [leak] = leaksOf(report);
    expect(leak?.message).toContain(': 40 connections opened at src/handlers/user.ts:42 and 25 at src/jobs/sync.ts:7 are never closed (idle since they were opened).');
    expect(leak?.recommendation).toMatch(/^Open src\/handlers\/user\.ts:42 and src\/jobs\/sync\.ts:7: a client is created at each per call and never closed/);
    expect(`${leak?.message} ${leak?.recommendation}`).not.toContain('src/redis.ts:3');
  });
});

describe('a hashed origin', () => {
  const [leak] = leaksOf(auditClientList(clientLines(30, { name: 'orders-api@#1a2b3c4d', ...USED_ONCE })));

  it('is the subject, marked as hashed', () => {
    expect(leak?.subject.origin).toBe('#1a2b3c4d');
    expect(leak?.leakingOrigins?.map((o) => [o.origin, o.hashed])).toEqual([['#1a2b3c4d', true]]);
  });

  it('is said to be hashed, and how to map it', () => {
    expect(leak?.message).toContain('30 connections opened at hashed origin #1a2b3c4d are never closed');
    expect(leak?.recommendation).toMatch(/^Open the line behind hashed origin #1a2b3c4d: a client is created there per call/);
    expect(leak?.recommendation).toContain("The service's own origin tracking maps the hash to its file and line.");
  });
});

describe('names in any other form', () => {
  it('are judged exactly as before: `celery@worker-7` is the workload celery, with the usual finding', () => {
    const withHost = auditClientList(clientLines(30, { name: 'celery@worker-7', ...USED_ONCE }));
    const plainName = auditClientList(clientLines(30, { name: 'celery', ...USED_ONCE }));
    const [leak] = leaksOf(withHost);
    expect(leak?.subject).toEqual({ workload: 'celery', identifiedBy: 'client-name', sourceIp: '10.0.0.21', clientName: 'celery' });
    expect(leak?.leakingOrigins).toBeUndefined();
    expect(Object.keys(leak?.evidence ?? {})).not.toContain('leakingOrigins');
    expect(leak?.recommendation).toBe(RECOMMENDATIONS['idle-connections']);
    expect(leak?.message).toMatch(/Connections are opened and not closed$/);
    expect(leaksOf(withHost)).toEqual(leaksOf(plainName));
  });
});

describe('the rule for a leaking origin follows the finding', () => {
  it('uses the idle wording when an idle pool on one address makes the leak', () => {
    const [leak] = leaksOf(auditClientList([
      ...clientLines(25, { name: 'billing@src/db/pool.ts:10', ...USED_THEN_IDLE }),
      ...clientLines(1, { name: 'billing@src/redis.ts:3', ...USED_THEN_IDLE }),
    ]));
    expect(leak?.leakingOrigins?.map((o) => o.origin)).toEqual(['src/db/pool.ts:10']);
    expect(leak?.message).toContain('25 connections opened at src/db/pool.ts:10 are never closed (idle for 5 min or more)');
    expect(leak?.recommendation).toMatch(/^Open src\/db\/pool\.ts:10: connections created there stay open and idle/);
  });

  it('traces subscribers left open to their origin, not to the shared subscriber', () => {
    const subscriber = { ...USED_THEN_IDLE, flags: 'P', sub: 1 };
    const report = auditClientList([
      ...clientLines(12, { name: 'events@src/events/listen.ts:12', ...subscriber }),
      ...clientLines(1, { name: 'events@src/events/bus.ts:3', ...subscriber }),
    ]);
    const [leak] = report.findings.filter((f) => f.kind === 'pubsub-leak');
    expect(leak?.subject.origin).toBe('src/events/listen.ts:12');
    expect(leak?.leakingOrigins?.map((o) => [o.origin, o.leakingConnections, o.idleSubscribers])).toEqual([['src/events/listen.ts:12', 12, 12]]);
    expect(leak?.message).toContain(': 12 subscriber connections opened at src/events/listen.ts:12 are never closed (idle, or with no subscription left). The workload holds 13 subscriber connections');
    expect(leak?.recommendation).toMatch(/^Open src\/events\/listen\.ts:12: a subscriber connection is created there and never closed/);
  });

  it('names the origin of connections still held by a growing workload that are not idle yet', () => {
    const growth = [{ key: 'name:jobs', first: 2, last: 41, firstMembers: 1, lastMembers: 1, unexplained: 39, samples: 2, windowSeconds: 60, perMinute: 39 }];
    const findings = checkClients([
      ...many(40, { name: 'jobs@src/worker.ts:9', sourceIp: '10.0.3.1', ageSeconds: 30, idleSeconds: 0 }),
      ...many(1, { name: 'jobs@src/redis.ts:3', sourceIp: '10.0.3.1', ageSeconds: 30, idleSeconds: 0 }),
    ], { growth });
    const [leak] = findings.filter((f) => f.kind === 'connection-growth');
    expect(leak?.subject.origin).toBe('src/worker.ts:9');
    expect(leak?.leakingOrigins?.map((o) => o.origin)).toEqual(['src/worker.ts:9']);
    expect(leak?.message).toContain('40 connections opened at src/worker.ts:9 are never closed (opened during the comparison window and still open)');
  });
});

describe('the bound on origins per workload', () => {
  const healthy = (n: number) => Array.from({ length: n }, (_, i) => clientLines(1, { name: `orders-api@src/route${i}.ts:1`, ...USED_THEN_IDLE })).flat();
  const leaking = clientLines(30, { name: 'orders-api@src/handlers/user.ts:42', ...USED_ONCE });

  it('still finds a leak past it, without naming a line, and says why', () => {
    const report = auditClientList([...healthy(MAX_ORIGINS_PER_WORKLOAD), ...leaking]);
    const [leak] = leaksOf(report);
    expect(leak?.kind).toBe('idle-connections');
    expect(leak?.subject.origin).toBeUndefined();
    expect(leak?.leakingOrigins).toBeUndefined();
    expect(report.limitations?.some((l) => l.includes(`more distinct code locations`) && l.includes(`${MAX_ORIGINS_PER_WORKLOAD} per workload`))).toBe(true);
  });

  it('is not mentioned, and the line is named, below it', () => {
    const report = auditClientList([...healthy(MAX_ORIGINS_PER_WORKLOAD - 1), ...leaking]);
    expect(leaksOf(report)[0]?.subject.origin).toBe('src/handlers/user.ts:42');
    expect(report.limitations ?? []).not.toContainEqual(expect.stringContaining('code locations'));
  });
});
