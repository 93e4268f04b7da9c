import { describe, expect, it } from 'vitest';
import type { CheckContext, Finding } from '../../lambda/core/findings/index.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { client, many, nodeView } from '../support/builders.js';
import { checkClients, NO_HISTORY as noHistory } from '../support/check-clients.js';

const check = (clients: ClientRecord[], extra: Partial<CheckContext> = {}): Finding[] => checkClients(clients, extra);

const kinds = (findings: Finding[]) => findings.map((f) => `${f.kind}:${f.severity}:${f.subject.sourceIp ?? f.subject.workload ?? f.subject.node ?? ''}`);

const busyPool = () => many(50, { sourceIp: '10.0.0.2', name: 'api', ageSeconds: 7200, idleSeconds: 0 });
const smallIdlePool = () => many(5, { sourceIp: '10.0.0.3', name: 'cron', ageSeconds: 7200, idleSeconds: 3000 });

describe('healthy clients', () => {
  it('reports nothing for a busy pool and a small pool at rest', () => {
    expect(check([...busyPool(), ...smallIdlePool()])).toEqual([]);
  });
});

describe('idle-connections', () => {
  it('reports a source holding many idle connections, naming the per-request leak shape', () => {
    const leak = many(30, { sourceIp: '10.0.0.9', name: 'checkout', ageSeconds: 900, idleSeconds: 899 });
    const findings = check([...busyPool(), ...leak]);
    expect(kinds(findings)).toEqual(['idle-connections:warning:10.0.0.9']);
    expect(findings[0]?.subject).toEqual({ workload: 'checkout', identifiedBy: 'client-name', sourceIp: '10.0.0.9', clientName: 'checkout' });
    expect(findings[0]?.evidence).toMatchObject({ connections: 30, idleConnections: 30, usedOnceIdleConnections: 30 });
    expect(findings[0]?.message).toContain('used only when opened');
  });

  it('is critical when one source holds a quarter of maxclients idle', () => {
    const leak = many(30, { sourceIp: '10.0.0.9', idleSeconds: 900, ageSeconds: 900 });
    const findings = check(leak, { nodes: [nodeView({ counters: { connectedClients: 30, maxClients: 100 } })] });
    expect(findings.find((f) => f.kind === 'idle-connections')?.severity).toBe('critical');
  });

  it('does not count subscribers, blocked clients or open transactions as plain idle connections', () => {
    const subscribers = many(30, { sourceIp: '10.0.0.4', name: 'notifier', flags: 'P', sub: 1, idleSeconds: 900 });
    expect(kinds(check(subscribers))).toEqual(['pubsub-leak:warning:10.0.0.4']);
  });
});

describe('pubsub-leak', () => {
  it('reports many idle subscribers from one source', () => {
    const findings = check(many(12, { sourceIp: '10.0.0.4', flags: 'P', sub: 1, idleSeconds: 900, cmd: 'subscribe' }));
    expect(kinds(findings)).toEqual(['pubsub-leak:warning:10.0.0.4']);
    expect(findings[0]?.evidence.idleSubscribers).toBe(12);
  });

  it('leaves one quiet subscriber per host alone', () => {
    const quiet = ['10.0.1.1', '10.0.1.2', '10.0.1.3'].map((ip) => client({ sourceIp: ip, flags: 'P', sub: 3, idleSeconds: 5000 }));
    expect(check(quiet)).toEqual([]);
  });

  it('reports a subscriber with no subscription left even alone', () => {
    const findings = check([client({ sourceIp: '10.0.0.4', flags: 'P', sub: 0, idleSeconds: 10 })]);
    expect(kinds(findings)).toEqual(['pubsub-leak:warning:10.0.0.4']);
  });
});

describe('blocked-clients and open-transaction', () => {
  it('reports clients blocked past the idle threshold (no timeout)', () => {
    const findings = check(many(3, { sourceIp: '10.0.0.5', flags: 'b', cmd: 'blpop', idleSeconds: 600 }));
    expect(kinds(findings)).toEqual(['blocked-clients:warning:10.0.0.5']);
  });

  it('ignores blocking calls with a short timeout', () => {
    expect(check(many(3, { sourceIp: '10.0.0.5', flags: 'b', cmd: 'blpop', idleSeconds: 4 }))).toEqual([]);
  });

  it('reports connections left inside MULTI', () => {
    const findings = check(many(2, { sourceIp: '10.0.0.6', flags: 'x', multi: 1, idleSeconds: 400 }));
    expect(kinds(findings)).toEqual(['open-transaction:warning:10.0.0.6']);
  });

  it('escalates to critical when a whole group is stuck', () => {
    const findings = check(many(20, { sourceIp: '10.0.0.6', name: 'orders', flags: 'x', multi: 0, idleSeconds: 400 }));
    expect(kinds(findings)).toEqual(['open-transaction:critical:10.0.0.6']);
  });
});

describe('server-wide checks', () => {
  it('reports maxclients pressure at the warning share and critical near the limit', () => {
    const at = (connected: number) => check([], { nodes: [nodeView({ counters: { connectedClients: connected, maxClients: 100 } })] });
    expect(kinds(at(79))).toEqual([]);
    expect(kinds(at(80))).toEqual(['maxclients-pressure:warning:127.0.0.1:6379']);
    expect(kinds(at(96))).toEqual(['maxclients-pressure:critical:127.0.0.1:6379']);
    expect(kinds(at(100))).toEqual(['maxclients-exhausted:critical:127.0.0.1:6379']);
  });

  it('reports the auditor refused by a full server as maxclients-exhausted', () => {
    const findings = check([], { analysis: null, nodes: [nodeView({ refusedMaxClients: true, failed: true })] });
    expect(kinds(findings)).toEqual(['maxclients-exhausted:critical:127.0.0.1:6379']);
  });

  it('reports rejected connections since the last sample as critical', () => {
    const findings = check([], { window: { ...noHistory, rejectedInWindow: 4, windowSeconds: 60 } });
    expect(kinds(findings)).toEqual(['rejected-connections:critical:127.0.0.1:6379']);
  });

  it('mentions lifetime rejections only as info without history', () => {
    const findings = check([], { nodes: [nodeView({ counters: { rejectedConnections: 3 } })] });
    expect(kinds(findings)).toEqual(['rejected-connections:info:127.0.0.1:6379']);
  });

  it('reports timeout 0 as info', () => {
    const findings = check([], { nodes: [nodeView({ config: { timeoutSeconds: 0, maxClients: null, tcpKeepaliveSeconds: 300 } })] });
    expect(kinds(findings)).toEqual(['no-idle-timeout:info:127.0.0.1:6379']);
  });

  it('suggests names when most connections are unnamed', () => {
    const findings = check(many(25, { sourceIp: '10.0.0.7', idleSeconds: 1 }));
    expect(kinds(findings)).toEqual(['unnamed-clients:info:']);
  });

  it('says when CLIENT LIST was refused', () => {
    const findings = check([], { analysis: null, nodes: [nodeView({ clientListAvailable: false })] });
    expect(kinds(findings)).toEqual(['client-list-unavailable:info:127.0.0.1:6379']);
  });
});

describe('trend checks', () => {
  it('reports churn above the threshold and names the workload of the connections caught in flight', () => {
    const young = many(6, { sourceIp: '10.0.0.8', ageSeconds: 0 });
    const findings = check([...busyPool(), ...young], { window: { ...noHistory, newConnectionsPerMinute: 600, windowSeconds: 60 } });
    expect(kinds(findings)).toEqual(['connection-churn:warning:10.0.0.8']);
    expect(findings[0]?.relatedSources).toEqual([{ sourceIp: '10.0.0.8', connections: 6 }]);
  });

  it('names no subject for churn on the evidence of a connection or two caught in flight', () => {
    const findings = check([...busyPool(), ...many(1, { sourceIp: '10.0.0.8', ageSeconds: 0 })], { window: { ...noHistory, newConnectionsPerMinute: 600, windowSeconds: 60 } });
    expect(findings.map((f) => [f.kind, f.subject])).toEqual([['connection-churn', {}]]);
  });

  it('does not report churn at or below the threshold', () => {
    expect(check(busyPool(), { window: { ...noHistory, newConnectionsPerMinute: 100, windowSeconds: 60 } })).toEqual([]);
  });

  it('reports growth as critical when maxclients would be reached within the hour', () => {
    const growth = [{ key: 'name:jobs', first: 20, last: 60, firstMembers: 1, lastMembers: 1, unexplained: 40, samples: 3, windowSeconds: 120, perMinute: 20 }];
    const busy = many(60, { sourceIp: '10.0.0.9', name: 'jobs', ageSeconds: 100, idleSeconds: 0 });
    const findings = check(busy, { growth, nodes: [nodeView({ counters: { connectedClients: 500, maxClients: 1000 } })] });
    expect(kinds(findings)).toEqual(['connection-growth:critical:10.0.0.9']);
    expect(findings[0]?.evidence.minutesToMaxclients).toBe(25);
  });
});
