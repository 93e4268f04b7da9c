// Healthy fleets must raise no warning. Each population runs on a redis-server of its own and is audited
// on its own through the CLI (--json), so the proof is simply "no finding at warning or above, exit 0".
// Every address is a pod, task or Lambda environment bound to its own loopback source; real client
// libraries (ioredis, @redis/client) play most of them. What each scenario proves:
//   a. 30 pods x 3 busy connections (ioredis, a command every 50-100 ms): a large fleet is not a leak;
//   b. 40 pods x 10 idle connections (@redis/client), each used 10 times over ~4 s, then idle: 400 idle
//      connections, at most 10 per pod and none used only when opened, are pools at rest, not a leak;
//   c. a rolling deployment: 12 old pods' busy pools replaced by 12 new pods' during the samples, so the
//      count stays steady while every connection ends up new: neither growth (new members explain it)
//      nor churn (new connections are held), though new connections arrive above --churn-per-minute;
//   d. 30 Lambda-style environments each reusing one connection (@redis/client) every ~300 ms;
//   e. a cron job connecting, working and quitting (ioredis) each run, below --churn-per-minute: nothing;
//      and the same job above it: reported as connection-churn (opened and closed again), never as a leak.
// Thresholds scaled to seconds: --idle-seconds 2 --min-group-connections 20 --churn-per-minute 600,
// three samples 2 s apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { busyPool, type WorkloadTarget } from '../../cli/demo/workload.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import type { AuditReport } from '../../lambda/core/report.js';
import {
  blockAddresses, cronJob, libraryPool, podName, rollOut, startFleet, waitForClients, type Stoppable,
} from '../support/fleet.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';

const AUDIT_FLAGS = [
  '--json', '--samples', '3', '--interval', '2',
  '--idle-seconds', '2', '--min-group-connections', '20', '--churn-per-minute', '600',
];
const LEAK_KINDS: ReadonlySet<Finding['kind']> = new Set(['idle-connections', 'connection-growth']);

interface Outcome {
  readonly run: CliRun;
  readonly report: AuditReport;
}

const servers: LocalRedisServer[] = [];
const running: Stoppable[] = [];

async function newTarget(): Promise<{ server: LocalRedisServer; target: WorkloadTarget }> {
  const server = await startLocalRedis();
  servers.push(server);
  return { server, target: { host: server.host, port: server.port } };
}

async function audit(server: LocalRedisServer): Promise<Outcome> {
  const run = await cli(['audit', '--url', server.url, ...AUDIT_FLAGS]);
  return { run, report: JSON.parse(run.stdout) as AuditReport };
}

const BUSY = blockAddresses(20, 30);
async function busyPools(): Promise<Outcome> {
  const { server, target } = await newTarget();
  running.push(await startFleet(BUSY, (a, i) =>
    libraryPool(target, a, { library: 'ioredis', size: 3, pauseMs: [50, 100], name: podName('web', '6b7c8d9f5', i) })));
  await waitForClients(target, BUSY, '90 busy connections', (clients) => clients.length === 90);
  return audit(server);
}

const IDLE = blockAddresses(21, 40);
async function idlePools(): Promise<Outcome> {
  const { server, target } = await newTarget();
  running.push(await startFleet(IDLE, (a, i) =>
    libraryPool(target, a, { library: '@redis/client', size: 10, uses: 10, pauseMs: [400, 500], name: podName('catalog', '4f5d6b7c8', i) })));
  // Used for 3 s or more (age - idle >= 3, beyond the 2 s a used-once connection is allowed), then idle 2 s.
  await waitForClients(target, IDLE, '400 pool connections used, then idle for 2 s', (clients) =>
    clients.length === 400 && clients.every((c) => c.idleSeconds >= 2 && c.ageSeconds - c.idleSeconds >= 3), 20_000);
  return audit(server);
}

const OLD_PODS = blockAddresses(22, 12);
const NEW_PODS = blockAddresses(23, 12);
async function rollingDeployment(): Promise<Outcome> {
  const { server, target } = await newTarget();
  const old = await startFleet(OLD_PODS, (a, i) => busyPool(target, a, { size: 5, name: podName('checkout', '6c9f8d7b5', i) }));
  running.push(old);
  await waitForClients(target, OLD_PODS, '60 connections of the old pods', (clients) => clients.length === 60);
  // One pod replaced every 250 ms: the 12 are new 3 s into the audit's 4 s of samples.
  const rollout = rollOut(old.members, NEW_PODS, (a, i) => busyPool(target, a, { size: 5, name: podName('checkout', '7d4b9c8f6', i) }), 250);
  running.push(rollout);
  const outcome = await audit(server);
  await rollout.done;
  return outcome;
}

const LAMBDAS = blockAddresses(24, 30);
async function lambdaEnvironments(): Promise<Outcome> {
  const { server, target } = await newTarget();
  running.push(await startFleet(LAMBDAS, (a) => libraryPool(target, a, { library: '@redis/client', size: 1, pauseMs: [250, 350] })));
  await waitForClients(target, LAMBDAS, '30 environments connected', (clients) => clients.length === 30);
  return audit(server);
}

/** A cron job on each address, one run every everyMs: connect, SET, GET, INCR, QUIT. */
async function cron(block: number, addresses: number, everyMs: number): Promise<Outcome> {
  const { server, target } = await newTarget();
  running.push(await startFleet(blockAddresses(block, addresses), async (a) => cronJob(target, a, { library: 'ioredis', everyMs })));
  return audit(server);
}

let busy: Outcome;
let idle: Outcome;
let rolling: Outcome;
let lambdas: Outcome;
let cronBelow: Outcome;
let cronAbove: Outcome;

beforeAll(async () => {
  const outcomes = await Promise.allSettled([
    busyPools(), idlePools(), rollingDeployment(), lambdaEnvironments(),
    cron(25, 3, 600), // 5 runs a second in all: 300 a minute
    cron(26, 4, 200), // 20 runs a second in all: 1,200 a minute
  ]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const values = outcomes.map((o) => (o as PromiseFulfilledResult<Outcome>).value);
  [busy, idle, rolling, lambdas, cronBelow, cronAbove] = values as [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];
}, 45_000);

afterAll(async () => {
  await Promise.allSettled(running.map((r) => r.stop()));
  await Promise.allSettled(servers.map((s) => s.stop()));
});

const warnings = (o: Outcome) => o.report.findings.filter((f) => f.severity !== 'info');
const workload = (o: Outcome, label: string) => o.report.groups.byWorkload.find((g) => g.label === label);

/** The audit passed: a valid report, exit 0, nothing at warning or above, no suspected leak. */
function expectHealthy(o: Outcome): void {
  expectValidReport(o.report);
  expect(warnings(o)).toEqual([]);
  expect(o.run.code).toBe(0);
  expect(o.report.summary.suspectedLeaks).toBe(0);
}

describe('healthy fleets', () => {
  it('30 pods with 3 busy connections each raise no warning', () => {
    expectHealthy(busy);
    expect(workload(busy, 'web')).toMatchObject({ identifiedBy: 'client-name', members: 30, connections: 90 });
  });

  it('40 pods with 10 idle pool connections each, all used before, raise no warning', () => {
    expectHealthy(idle);
    // 400 idle connections, yet at most 10 per pod and none used only when opened.
    expect(workload(idle, 'catalog')).toMatchObject({ members: 40, connections: 400, idlePlain: 400, usedOnceIdle: 0, maxMemberIdle: 10 });
  });

  it('a rolling deployment that replaces every pod during the samples raises no warning', () => {
    expectHealthy(rolling);
    const checkout = workload(rolling, 'checkout');
    expect(checkout?.connections).toBeGreaterThanOrEqual(60);
    expect(checkout?.connections).toBeLessThanOrEqual(65);
    // New connections arrived faster than the churn threshold: they were held, not churned.
    expect(rolling.report.summary.newConnectionsPerMinute).toBeGreaterThan(600);
  });

  it('30 Lambda environments each reusing one connection raise no warning', () => {
    expectHealthy(lambdas);
    const ours = lambdas.report.groups.bySourceIp.filter((g) => LAMBDAS.includes(g.key));
    expect(ours.map((g) => g.connections)).toEqual(LAMBDAS.map(() => 1));
  });

  it('a cron job that connects, works and quits each run, below the churn threshold, raises no warning', () => {
    expectHealthy(cronBelow);
    expect(cronBelow.report.summary.newConnectionsPerMinute).toBeGreaterThan(150);
  });
});

describe('a cron job that connects, works and quits each run, above the churn threshold', () => {
  it('is reported as connection churn, opened and closed again', () => {
    expectValidReport(cronAbove.report);
    expect(cronAbove.run.code).toBe(1);
    expect(warnings(cronAbove).map((f) => [f.kind, f.severity])).toEqual([['connection-churn', 'warning']]);
    expect(warnings(cronAbove)[0]?.evidence.closedAgainPerMinute).toBeGreaterThan(600);
  });

  it('is not reported as a leak', () => {
    expect(cronAbove.report.findings.filter((f) => LEAK_KINDS.has(f.kind))).toEqual([]);
    expect(cronAbove.report.summary.suspectedLeaks).toBe(0);
  });
});
