// Leaks spread over a fleet, each population on its own redis-server and audited on its own through the
// CLI (--json), every address a "pod" bound to its own loopback source. What each scenario proves:
//   1. named leaking fleet: 30 pods (orders-api-<hash>-<suffix>) with 8 to 12 used-once connections each,
//      all below the per-address threshold, are ONE leak of the workload `orders-api`, found by client name;
//      no address is reported on its own;
//   2. growing named fleet: 20 pods each adding a connection a second, each too small to count, are one
//      `connection-growth` of their workload; the new connections are held, not closed: all of them count
//      as opened and still open, and none as churn (their raw rate is above --churn-per-minute: only the
//      "opened and still open" discount keeps churn out);
//   3. unnamed fleet: 25 addresses with 4 to 6 used-once connections each and no name are one leak of the
//      address fleet, naming the largest addresses and the total;
//   4. a leak behind a single address is found as before workloads: one finding with its sourceIp.
// Thresholds scaled to seconds: --idle-seconds 2 --min-group-connections 20 --churn-per-minute 600,
// three samples 2 s apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak } from '../../cli/demo/workload.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { blockAddresses, podName, startFleet, waitForClients, type Fleet } from '../support/fleet.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';

const AUDIT_FLAGS = [
  '--json', '--samples', '3', '--interval', '2',
  '--idle-seconds', '2', '--min-group-connections', '20', '--churn-per-minute', '600',
];
const LEAK_KINDS: ReadonlySet<Finding['kind']> = new Set(['idle-connections', 'connection-growth']);

interface Outcome {
  readonly addresses: readonly string[];
  /** Connections planted per address. */
  readonly planted: ReadonlyMap<string, number>;
  readonly run: CliRun;
  readonly report: AuditReport;
}

const servers: LocalRedisServer[] = [];
const fleets: Fleet[] = [];

/** A server of its own, a fleet started on it, an optional wait, then one audit. */
async function scenario(
  addresses: readonly string[], countOf: (i: number) => number,
  startOne: (target: { host: string; port: number }, address: string, i: number, count: number) => Promise<{ stop(): Promise<void> }>,
  settled: boolean,
): Promise<Outcome> {
  const server = await startLocalRedis();
  servers.push(server);
  const target = { host: server.host, port: server.port };
  const planted = new Map(addresses.map((a, i) => [a, countOf(i)]));
  fleets.push(await startFleet(addresses, (address, i) => startOne(target, address, i, countOf(i))));
  const total = [...planted.values()].reduce((a, b) => a + b, 0);
  // A leak is seen once its connections are idle for the threshold: wait until the server says so.
  if (settled) {
    await waitForClients(target, addresses, `${total} connections idle for 2 s`, (clients) =>
      clients.length === total && clients.every((c) => c.idleSeconds >= 2));
  }
  const run = await cli(['audit', '--url', server.url, ...AUDIT_FLAGS]);
  return { addresses, planted, run, report: JSON.parse(run.stdout) as AuditReport };
}

let named: Outcome;
let growing: Outcome;
let unnamed: Outcome;
let single: Outcome;

beforeAll(async () => {
  const outcomes = await Promise.allSettled([
    scenario(blockAddresses(10, 30), (i) => 8 + ((i * 7) % 5), (t, a, i, count) =>
      perRequestLeak(t, a, { count, name: podName('orders-api', '7f9c8d5b4', i) }), true),
    // Opened at 1 a second per pod while the audit samples (8 at most per pod); the pods start 50 ms
    // apart, as pods do not run in lockstep, so new connections arrive evenly.
    scenario(blockAddresses(11, 20), () => 8, async (t, a, i, count) => {
      await new Promise((resolve) => setTimeout(resolve, i * 50));
      return perRequestLeak(t, a, { count, ratePerSecond: 1, name: podName('cart-worker', '5c6d7f8b9', i) });
    }, false),
    scenario(blockAddresses(12, 25), (i) => 4 + (i % 3), (t, a, _i, count) => perRequestLeak(t, a, { count }), true),
    scenario(['127.0.13.1'], () => 36, (t, a, _i, count) =>
      perRequestLeak(t, a, { count, name: podName('billing-api', '6f7b8c9d4', 0) }), true),
  ]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  [named, growing, unnamed, single] = outcomes.map((o) => (o as PromiseFulfilledResult<Outcome>).value) as [Outcome, Outcome, Outcome, Outcome];
}, 45_000);

afterAll(async () => {
  await Promise.allSettled(fleets.map((f) => f.stop()));
  await Promise.allSettled(servers.map((s) => s.stop()));
});

const leaks = (o: Outcome) => o.report.findings.filter((f) => LEAK_KINDS.has(f.kind));
const total = (o: Outcome) => [...o.planted.values()].reduce((a, b) => a + b, 0);
const aboutAnAddress = (o: Outcome) => o.report.findings.filter((f) => f.subject.sourceIp !== undefined && o.addresses.includes(f.subject.sourceIp));

/** The listed sources are planted addresses with their real counts, and no unlisted address holds more. */
function expectLargestAddresses(o: Outcome, listed: Finding['relatedSources']): void {
  expect(listed).toHaveLength(5);
  const shown = new Set((listed ?? []).map((s) => s.sourceIp));
  for (const source of listed ?? []) expect(source.connections).toBe(o.planted.get(source.sourceIp));
  const smallestShown = Math.min(...(listed ?? []).map((s) => s.connections));
  const largestHidden = Math.max(...[...o.planted].filter(([a]) => !shown.has(a)).map(([, n]) => n));
  expect(smallestShown).toBeGreaterThanOrEqual(largestHidden);
}

describe('a named fleet of 30 pods, each leaking 8 to 12 used-once connections', () => {
  it('is one leak of the workload orders-api, found by its client name, on all 30 addresses', () => {
    expect(named.run.code).toBe(1);
    expectValidReport(named.report);
    const found = leaks(named);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: 'idle-connections',
      severity: 'warning',
      subject: { workload: 'orders-api', identifiedBy: 'client-name', clientName: 'orders-api' },
      evidence: { members: 30, connections: total(named), usedOnceIdleConnections: total(named) },
    });
    expect(found[0]?.subject.sourceIp).toBeUndefined();
  });

  it('names the largest addresses of the fleet', () => {
    expectLargestAddresses(named, leaks(named)[0]?.relatedSources);
  });

  it('counts one suspected leak and reports no address on its own', () => {
    expect(named.report.summary.suspectedLeaks).toBe(1);
    expect(named.report.summary.largestWorkload).toMatchObject({ label: 'orders-api', members: 30, connections: total(named) });
    expect(aboutAnAddress(named)).toEqual([]);
  });
});

describe('a named fleet of 20 pods, each adding a connection a second', () => {
  it('is one connection-growth of its workload, on the same 20 addresses throughout', () => {
    expect(growing.run.code).toBe(1);
    expectValidReport(growing.report);
    const found = leaks(growing);
    expect(found.map((f) => [f.kind, f.subject.workload, f.subject.identifiedBy])).toEqual([['connection-growth', 'cart-worker', 'client-name']]);
    const evidence = found[0]?.evidence ?? {};
    expect(evidence).toMatchObject({ members: 20, firstMembers: 20, lastMembers: 20, samples: 3 });
    expect(evidence.growthBeyondNewMembers).toBeGreaterThanOrEqual(20);
    expect(found[0]?.relatedSources).toHaveLength(5);
  });

  it('holds no address past the per-address thresholds, and none is reported on its own', () => {
    const ours = growing.report.groups.bySourceIp.filter((g) => growing.addresses.includes(g.key));
    expect(ours).toHaveLength(20);
    expect(Math.max(...ours.map((g) => g.connections))).toBeLessThan(20);
    expect(aboutAnAddress(growing)).toEqual([]);
  });

  it('counts every connection opened during the samples as opened and still open: none was closed', () => {
    const evidence = leaks(growing)[0]?.evidence ?? {};
    expect(evidence.growth).toBeGreaterThan(0);
    // Nothing was closed, so each connection the samples saw arrive is one opened in the window and still open.
    expect(evidence.openedInWindowStillOpen).toBeGreaterThanOrEqual(evidence.growth ?? Infinity);
  });

  it('is not churn: new connections arrive faster than the churn threshold, but none was closed', () => {
    expect(growing.report.summary.newConnectionsPerMinute).toBeGreaterThan(600);
    expect(growing.report.findings.filter((f) => f.kind === 'connection-churn')).toEqual([]);
  });
});

describe('an unnamed fleet of 25 addresses, each leaking 4 to 6 used-once connections', () => {
  it('is one leak of the address fleet, with the total and all 25 addresses', () => {
    expect(unnamed.run.code).toBe(1);
    expectValidReport(unnamed.report);
    const found = leaks(unnamed);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: 'idle-connections',
      subject: { workload: 'unnamed clients on 25 addresses', identifiedBy: 'address-fleet' },
      evidence: { members: 25, connections: total(unnamed), usedOnceIdleConnections: total(unnamed) },
    });
    expect(unnamed.report.summary.suspectedLeaks).toBe(1);
  });

  it('names the largest addresses, and reports none of them on its own', () => {
    expectLargestAddresses(unnamed, leaks(unnamed)[0]?.relatedSources);
    expect(aboutAnAddress(unnamed)).toEqual([]);
  });
});

describe('a named workload leaking 36 used-once connections from a single address', () => {
  it('is found as before: one leak finding with its source address', () => {
    expect(single.run.code).toBe(1);
    expectValidReport(single.report);
    const found = leaks(single);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: 'idle-connections',
      severity: 'warning',
      subject: { workload: 'billing-api', identifiedBy: 'client-name', sourceIp: '127.0.13.1', clientName: 'billing-api' },
      evidence: { members: 1, connections: 36, maxIdleOnOneMember: 36, usedOnceIdleConnections: 36 },
    });
    expect(found[0]?.relatedSources).toBeUndefined();
    expect(single.report.summary.suspectedLeaks).toBe(1);
  });
});
