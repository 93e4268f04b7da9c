// Every leak pattern played from its own loopback "host" next to healthy ones, audited through the CLI
// against a real redis-server: each pattern is found with the right kind and subject, the healthy
// sources draw no warning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import {
  blockingPopNoTimeout, busyPool, connectPerRequestChurn, idlePool, openTransaction, perRequestLeak, pubsubLeak,
  type WorkloadHandle,
} from '../../cli/demo/workload.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { expectValidReport } from '../support/report-schema.js';
import { waitForIdle } from '../support/wait.js';

const LEAK = '127.0.0.12';
const PUBSUB = '127.0.0.13';
const BLOCKED = '127.0.0.14';
const MULTI = '127.0.0.15';
const CHURN = '127.0.0.16';
const BUSY = '127.0.0.17';
const IDLE_POOL = '::1';

let server: LocalRedisServer;
const handles: WorkloadHandle[] = [];
let run: CliRun;
let report: AuditReport;

const bySource = (kind: Finding['kind'], source: string) =>
  report.findings.filter((f) => f.kind === kind && f.subject.sourceIp === source);

beforeAll(async () => {
  server = await startLocalRedis();
  const target = { host: server.host, port: server.port };
  handles.push(
    await perRequestLeak(target, LEAK, { count: 36, ratePerSecond: 9, name: 'orders-api' }),
    await pubsubLeak(target, PUBSUB, { count: 9 }),
    await blockingPopNoTimeout(target, BLOCKED, { count: 2 }),
    await openTransaction(target, MULTI, { count: 2 }),
    await connectPerRequestChurn(target, CHURN, { ratePerSecond: 40, durationMs: 10_000 }),
    await busyPool(target, BUSY, { size: 15, name: 'web' }),
    await idlePool(target, IDLE_POOL, { size: 3, name: 'cron' }),
  );
  // Idle means 2 s here: a busy pool in this same process would need its event loop stalled that long to look idle.
  // The subscribers and the transactions (opened before them) are idle 2 s once the transactions are.
  await waitForIdle(target, MULTI, 2, 2);
  run = await cli([
    'audit', '--url', server.url, '--json',
    '--samples', '3', '--interval', '1.5',
    '--idle-seconds', '2', '--min-group-connections', '8', '--churn-per-minute', '300',
  ]);
  report = JSON.parse(run.stdout) as AuditReport;
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  await server?.stop();
});

describe('an audit of a server with every leak pattern beside healthy pools', () => {
  it('exits 1 (findings at warning or above) and prints only the report JSON on stdout', () => {
    expect(run.code).toBe(1);
    expect(run.stdout.trimStart().startsWith('{')).toBe(true);
    expectValidReport(report);
  });

  it('finds the connection-per-request leak once, named by its client name, with its growth and idle connections as evidence', () => {
    const findings = report.findings.filter((f) => f.subject.sourceIp === LEAK && (f.kind === 'connection-growth' || f.kind === 'idle-connections'));
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.kind).toBe('connection-growth');
    expect(finding?.subject).toEqual({ workload: 'orders-api', identifiedBy: 'client-name', sourceIp: LEAK, clientName: 'orders-api' });
    expect(finding?.evidence.lastConnections).toBeGreaterThan(finding?.evidence.firstConnections ?? Infinity);
    expect(finding?.evidence.usedOnceIdleConnections).toBeGreaterThanOrEqual(8);
  });

  it('finds the subscribers left open', () => {
    expect(bySource('pubsub-leak', PUBSUB).map((f) => f.severity)).toEqual(['warning']);
  });

  it('finds the blocking pops with no timeout', () => {
    expect(bySource('blocked-clients', BLOCKED)[0]?.evidence.blockedClients).toBe(2);
  });

  it('finds the transactions left open', () => {
    expect(bySource('open-transaction', MULTI)[0]?.evidence.openTransactions).toBe(2);
  });

  it('reports the churn with a rate near what the workload made', () => {
    const churn = report.findings.find((f) => f.kind === 'connection-churn');
    expect(churn?.severity).toBe('warning');
    // 40/s from the churn source plus the leak opening 9/s: about 2,900 a minute, bounded loosely for a busy machine.
    expect(report.summary.newConnectionsPerMinute).toBeGreaterThan(1000);
    expect(report.summary.newConnectionsPerMinute).toBeLessThan(4000);
  });

  it('raises no warning about the busy pool or the small pool at rest', () => {
    const healthy = report.findings.filter((f) => f.severity !== 'info' && (f.subject.sourceIp === BUSY || f.subject.sourceIp === IDLE_POOL));
    expect(healthy).toEqual([]);
  });

  it('groups the IPv6 source as ::1 and leaves out the auditor itself', () => {
    expect(report.groups.bySourceIp.find((g) => g.key === IDLE_POOL)?.connections).toBe(3);
    expect(report.groups.byName.some((g) => g.key === 'redis-leak-auditor')).toBe(false);
    expect(report.auditor.excludedConnections).toBe(1);
  });
});
