import { describe, expect, it } from 'vitest';
import type { Finding } from '../../lambda/core/findings/types.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { RECLAIM_DEFAULTS, defaultReclaimMax, selectReclaimable, type ReclaimInput } from '../../lambda/core/reclaim-selection.js';
import type { Workload } from '../../lambda/core/workloads.js';
import { checkClients } from '../support/check-clients.js';

// One primary's CLIENT LIST as Redis 7.2 prints it.
const line = (id: number, addr: string, name: string, age: number, idle: number, flags = 'N', extra: { sub?: number; multi?: number; cmd?: string } = {}) =>
  `id=${id} addr=${addr} laddr=10.0.0.1:6379 fd=${id + 8} name=${name} age=${age} idle=${idle} flags=${flags} db=0 `
  + `sub=${extra.sub ?? 0} psub=0 ssub=0 multi=${extra.multi ?? -1} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 `
  + `obl=0 oll=0 omem=0 tot-mem=1920 events=r cmd=${extra.cmd ?? 'get'} user=default redir=-1 resp=2 lib-name=ioredis lib-ver=5.4.1`;

/** 24 connections of checkout opened once per request on two pods and abandoned: ids 100-123, ages 7200 to 9500. */
const LEAKED_IDS = Array.from({ length: 24 }, (_, i) => 100 + i);
const leakLines = LEAKED_IDS.map((id, i) => {
  const age = 7200 + i * 100;
  return line(id, `10.1.0.${i % 2 === 0 ? 11 : 12}:${40000 + i}`, 'checkout@src/handlers/pay.ts:42', age, age - 1);
});
const FIXTURE = [
  // The auditor itself: by name, and by the address the collector noted.
  line(1, '10.9.9.9:50000', 'redis-leak-auditor', 2, 0, 'N', { cmd: 'client|list' }),
  line(2, '10.9.9.9:50001', '', 7200, 7199),
  // A replica's link, idle since it was opened as far as CLIENT LIST tells.
  line(3, '10.0.0.2:6379', '', 90000, 89999, 'S', { cmd: 'replconf' }),
  // A healthy pool of orders-api: long idle, but used long after it was opened (idle much less than age).
  ...Array.from({ length: 10 }, (_, i) => line(10 + i, `10.2.0.5:${41000 + i}`, 'orders-api-7f9c8d5b4-x2kq9', 86400, 5000 + i)),
  // checkout's own connections that are no leak.
  line(30, '10.1.0.11:42000', 'checkout@src/events.ts:9', 9000, 8999, 'P', { sub: 1, cmd: 'subscribe' }),
  line(31, '10.1.0.11:42001', 'checkout-7f9c8d5b4-x2kq9', 9000, 8999, 'b', { cmd: 'blpop' }),
  line(32, '10.1.0.12:42002', 'checkout-7f9c8d5b4-x2kq9', 9000, 8999, 'x', { multi: 2, cmd: 'set' }),
  line(33, '10.1.0.12:42003', 'checkout-7f9c8d5b4-x2kq9', 90000, 4000),
  line(34, '10.1.0.12:42004', 'checkout-7f9c8d5b4-x2kq9', 9000, 10),
  ...leakLines,
].join('\n');
const clients = parseClientList(FIXTURE).clients;

const checkoutLeak: Pick<Finding, 'kind' | 'subject'> = { kind: 'idle-connections', subject: { workload: 'checkout', identifiedBy: 'client-name' } };
const base: ReclaimInput = {
  clients, role: 'primary', reportStatus: 'ok', listingComplete: true,
  auditorAddresses: ['10.9.9.9:50001'], findings: [checkoutLeak], max: 100,
};
const ids = (input: ReclaimInput) => selectReclaimable(input).selected.map((c) => c.id).sort((a, b) => a - b);

describe('selectReclaimable: what it selects', () => {
  it('parses the fixture whole', () => {
    expect(parseClientList(FIXTURE).malformedLines).toBe(0);
    expect(clients).toHaveLength(3 + 10 + 5 + 24);
  });

  it('selects exactly the leaked connections, with the finding the real checks make', () => {
    const findings = checkClients(clients).filter((f) => f.kind === 'idle-connections');
    expect(findings.map((f) => f.subject.workload)).toEqual(['checkout']);
    const result = selectReclaimable({ ...base, findings });
    expect(result.refused).toBeNull();
    expect(result.selected.map((c) => c.id).sort((a, b) => a - b)).toEqual(LEAKED_IDS);
    expect(result.skipped).toEqual({
      'own-connection': 2, 'replication-link': 1, 'other-workload': 10, 'already-reclaimed': 0, subscriber: 1, blocked: 1,
      'in-multi': 1, 'not-idle-long-enough': 1, 'used-more-than-once': 1,
    });
    expect(result.capped).toBe(0);
    expect(result.selected[0]).toEqual({ id: 123, addr: '10.1.0.12:40023', workload: 'checkout', ageSeconds: 9500, idleSeconds: 9499, origin: 'src/handlers/pay.ts:42' });
  });

  it('never selects the healthy pool even when it is the one named', () => {
    const result = selectReclaimable({ ...base, findings: [], target: { workload: 'orders-api' } });
    expect(result.refused).toBeNull();
    expect(result.selected).toEqual([]);
    expect(result.skipped['used-more-than-once']).toBe(10);
  });

  it('honours minIdleSeconds', () => {
    // Leaked connections are idle 7199 to 9499 s: at least 9000 only ids 119-123 (ages 9100 to 9500, idle age - 1).
    expect(ids({ ...base, minIdleSeconds: 9000 })).toEqual([119, 120, 121, 122, 123]);
    expect(RECLAIM_DEFAULTS.minIdleSeconds).toBe(3600);
  });

  it('never acts twice on the same connection', () => {
    const result = selectReclaimable({ ...base, alreadyReclaimed: [100, 101, 102] });
    expect(result.selected.map((c) => c.id)).not.toContain(100);
    expect(result.selected).toHaveLength(21);
    expect(result.skipped['already-reclaimed']).toBe(3);
  });

  it('caps at max, keeping the oldest first', () => {
    const result = selectReclaimable({ ...base, max: 5 });
    expect(result.selected.map((c) => c.id)).toEqual([123, 122, 121, 120, 119]);
    expect(result.capped).toBe(19);
    expect(result.max).toBe(5);
  });

  it('by default takes a small share of the workload: 10% of its 29 connections here, rounded up', () => {
    const { max: _max, ...withoutMax } = base;
    const result = selectReclaimable(withoutMax);
    expect(result.max).toBe(3);
    expect(result.selected.map((c) => c.id)).toEqual([123, 122, 121]);
    expect(result.capped).toBe(21);
    expect([defaultReclaimMax(0), defaultReclaimMax(5), defaultReclaimMax(101), defaultReclaimMax(1e9)]).toEqual([1, 1, 11, 1000]);
    expect(selectReclaimable({ ...base, max: 1e6 }).max).toBe(RECLAIM_DEFAULTS.maxCeiling);
  });

  it('targets an explicit address when one workload holds it', () => {
    expect(ids({ ...base, findings: [], target: { sourceIp: '10.1.0.11' } })).toEqual(LEAKED_IDS.filter((_, i) => i % 2 === 0));
  });

  it('uses the AWS resolution the audit used: a resolved deployment is one workload, and is no client name', () => {
    const resolved = new Map<string, Workload>(['10.1.0.11', '10.1.0.12'].map((ip) => [ip, {
      kind: 'ecs-task', label: 'ECS task', id: `task-${ip}`, details: { cluster: 'prod', service: 'checkout' },
    } as Workload]));
    // The name-based finding no longer matches: these clients are the ECS service's.
    expect(ids({ ...base, resolvedSources: resolved })).toEqual([]);
    const ecs: Pick<Finding, 'kind' | 'subject'> = { kind: 'connection-growth', subject: { workload: 'ECS service checkout (cluster prod)', identifiedBy: 'aws-resource' } };
    expect(ids({ ...base, resolvedSources: resolved, findings: [ecs] })).toEqual(LEAKED_IDS);
  });
});

describe('selectReclaimable: refusals', () => {
  const refusedWith = (input: ReclaimInput, words: RegExp) => {
    const result = selectReclaimable(input);
    expect(result.refused).toMatch(words);
    expect(result.selected).toEqual([]);
    // The same input without the refusal's cause would select: the refusal is what stopped it.
    return result;
  };

  it('selects on the base input (so each refusal below is its own cause)', () => {
    expect(ids(base)).toEqual(LEAKED_IDS);
  });

  it('refuses when the audit is partial', () => {
    refusedWith({ ...base, reportStatus: 'partial' }, /partial/);
  });

  it('refuses when the listing was incomplete', () => {
    refusedWith({ ...base, listingComplete: false }, /incomplete/);
  });

  it('refuses on a replica', () => {
    refusedWith({ ...base, role: 'replica' }, /replica/);
  });

  it('refuses without a leak finding or an explicit target', () => {
    refusedWith({ ...base, findings: [] }, /No leak/);
    // Findings that are no leak do not count.
    refusedWith({ ...base, findings: [{ kind: 'pubsub-leak', subject: { workload: 'checkout', identifiedBy: 'client-name' } }] }, /No leak/);
  });

  it('refuses a workload known only by a (shared) address, unless the address is named', () => {
    const unnamed = parseClientList(LEAKED_IDS.map((id, i) => line(id, `10.3.0.7:${40000 + i}`, '', 7200 + i, 7199 + i)).join('\n')).clients
      .map((c) => ({ ...c, libName: '' }));
    const weak: Pick<Finding, 'kind' | 'subject'> = { kind: 'idle-connections', subject: { workload: '10.3.0.7', identifiedBy: 'source-address', sourceIp: '10.3.0.7' } };
    refusedWith({ ...base, clients: unnamed, findings: [weak] }, /known only by its address/);
    refusedWith({ ...base, clients: unnamed, findings: [], target: { workload: '10.3.0.7' } }, /known only by its address/);
    expect(ids({ ...base, clients: unnamed, findings: [weak], target: { sourceIp: '10.3.0.7' } })).toEqual(LEAKED_IDS);
  });

  it('refuses an address shared by several workloads', () => {
    const shared = parseClientList([
      line(1, '10.4.0.1:1', 'checkout@src/a.ts:1', 7200, 7199),
      line(2, '10.4.0.1:2', 'billing@src/a.ts:1', 7200, 7199),
    ].join('\n')).clients;
    refusedWith({ ...base, clients: shared, findings: [], target: { sourceIp: '10.4.0.1' } }, /2 workloads/);
    expect(ids({ ...base, clients: shared, findings: [], target: { sourceIp: '10.4.0.1', workload: 'billing' } })).toEqual([2]);
  });
});
