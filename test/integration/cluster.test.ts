// A real local Redis Cluster (three primaries, three replicas, created by `redis-cli --cluster create`)
// audited through the CLI: every node is read over one connection of its own, the totals add up over the
// nodes, a leak spread over two primaries is found with its connections summed, and a replica that stops
// answering gives a partial report with that node's error instead of failing the run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis } from '../../cli/demo/local-redis-server.js';
import { auditTarget } from '../../lambda/audit-target.js';
import { loadConfig } from '../../lambda/config.js';
import type { MetricDatum } from '../../lambda/core/metrics.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import type { AuditState } from '../../lambda/core/state.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { runAudit } from '../../lambda/run-audit.js';
import { LocalCluster } from '../support/local-cluster.js';
import { waitForIdle } from '../support/wait.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { expectValidReport } from '../support/report-schema.js';

const SPREAD = '127.0.0.81'; // 15 connections on each of two primaries: a leak only when summed (min 20)
const SINGLE = '127.0.0.82'; // 25 connections on one primary
const AUDIT = ['--json', '--idle-seconds', '2', '--min-group-connections', '20', '--connect-timeout', '1000', '--command-timeout', '1000'];

let started: LocalCluster | undefined;

/** The test cluster (three primaries, three replicas, node timeout 2 s), with a probe connection per node. */
function cluster(): LocalCluster {
  if (started === undefined) throw new Error('the test cluster did not start');
  return started;
}

const servers = () => cluster().servers;
const primaries = () => cluster().primaries;
const replicas = () => cluster().replicas;
const info = (port: number, field: string) => cluster().info(port, field);
const seedUrl = () => `redis://127.0.0.1:${cluster().seed}`;
const report = (r: CliRun) => JSON.parse(r.stdout) as AuditReport;

/** Connections from source that ran one command and were never closed: the per-request leak, minus the keys (a cluster node answers MOVED for most). */
async function leak(port: number, source: string, count: number, name: string): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const client = await cluster().connect(port, source);
    await client.command('CLIENT', 'SETNAME', name);
    await client.command('PING');
  }
}

beforeAll(async () => {
  started = await LocalCluster.start({ nodeTimeoutMs: 2000, readyTimeoutMs: 15_000 });
  const [first, second] = primaries();
  if (first === undefined || second === undefined) throw new Error('expected three primaries');
  await leak(first, SPREAD, 15, 'orders-api');
  await leak(second, SPREAD, 15, 'orders-api');
  await leak(second, SINGLE, 25, 'billing');
  // Idle means 2 s here; the last connections opened are idle 2 s once these are.
  await waitForIdle(() => cluster().command(second, 'CLIENT', 'LIST'), SINGLE, 25, 2);
}, 40_000);

afterAll(async () => {
  await started?.stop();
}, 20_000);

describe('auditing a Redis Cluster', () => {
  it('lists all six nodes with their roles, once per node, and totals that add up (with --cluster)', async () => {
    const before = await Promise.all(servers().map((s) => info(s.port, 'total_connections_received')));
    const result = await cli(['audit', '--url', seedUrl(), '--cluster', ...AUDIT]);
    const after = await Promise.all(servers().map((s) => info(s.port, 'total_connections_received')));
    const r = report(result);
    expectValidReport(r);
    expect(r.status).toBe('ok');
    expect(r.nodes.map((n) => n.address).sort()).toEqual(servers().map((s) => `127.0.0.1:${s.port}`).sort());
    expect(r.nodes.filter((n) => n.role === 'master').map((n) => n.address).sort()).toEqual(primaries().map((p) => `127.0.0.1:${p}`).sort());
    expect(r.nodes.filter((n) => n.role === 'slave').map((n) => n.address).sort()).toEqual(replicas().map((p) => `127.0.0.1:${p}`).sort());
    expect(r.summary.connectedClients).toBe(r.nodes.reduce((sum, n) => sum + (n.connectedClients ?? 0), 0));
    // Exactly one connection per node, and none left behind.
    expect(r.auditor.connectionsOpened).toBe(6);
    expect(after.map((a, i) => Number(a) - Number(before[i]))).toEqual([1, 1, 1, 1, 1, 1]);
    const leftover = await Promise.all(servers().map(async (s) => String(await cluster().command(s.port, 'CLIENT', 'LIST'))));
    expect(leftover.filter((list) => list.includes('name=redis-leak-auditor'))).toEqual([]);
  });

  it('finds a leak spread over two primaries with its connections summed, and one on a single primary', async () => {
    const result = await cli(['audit', '--url', seedUrl(), '--cluster', ...AUDIT]);
    const r = report(result);
    expect(result.code).toBe(1);
    expect(r.groups.bySourceIp.find((g) => g.key === SPREAD)?.connections).toBe(30);
    expect(r.groups.bySourceIp.find((g) => g.key === SINGLE)?.connections).toBe(25);
    const idle = r.findings.filter((f) => f.kind === 'idle-connections');
    expect(idle.map((f) => [f.subject.sourceIp, f.subject.clientName, f.evidence.connections]).sort()).toEqual([
      [SPREAD, 'orders-api', 30],
      [SINGLE, 'billing', 25],
    ].sort());
  });

  it('detects the cluster from the seed\'s INFO without --cluster, from any node', async () => {
    const replica = replicas()[0] ?? 0;
    const result = await cli(['audit', '--url', `redis://127.0.0.1:${replica}`, ...AUDIT]);
    const r = report(result);
    expect(r.status).toBe('ok');
    expect(r.nodes).toHaveLength(6);
    expect(r.nodes[0]).toMatchObject({ address: `127.0.0.1:${replica}`, role: 'slave' });
    expect(r.groups.bySourceIp.find((g) => g.key === SPREAD)?.connections).toBe(30);
  });

  it('audits a server that is not in cluster mode alone under --cluster, and says so', async () => {
    const standalone = await startLocalRedis({ ipv6: false });
    try {
      const result = await cli(['audit', '--url', standalone.url, '--cluster', ...AUDIT]);
      const r = report(result);
      expect(result.code).toBe(0);
      expect(r.nodes).toHaveLength(1);
      expect(r.nodes[0]?.errors).toEqual([expect.stringContaining('is not in cluster mode (cluster_enabled:0): audited as a single node')]);
    } finally {
      await standalone.stop();
    }
  });

  it('runs a Lambda cluster target: the report lists every node and the metrics carry a Node dimension', async () => {
    const config = loadConfig({
      AUDIT_TARGETS: JSON.stringify([{ name: 'local-cluster', url: seedUrl(), cluster: true }]),
      REPORT_BUCKET: 'audit-reports-123', AWS_REGION: 'eu-west-1', CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '1000',
      IDLE_SECONDS: '2', MIN_GROUP_CONNECTIONS: '20',
    });
    const saved: AuditReport[] = [];
    const published: MetricDatum[] = [];
    let state: AuditState | undefined;
    const target = config.targets[0];
    if (target === undefined) throw new Error('expected one target');
    const outcome = await auditTarget(config, target, {
      store: {
        loadState: () => Promise.resolve(null),
        saveState: (_, next) => Promise.resolve(void (state = next)),
        saveReport: (_, r) => {
          saved.push(r);
          return Promise.resolve({ key: 'k', latestKey: 'l', htmlKey: null, consoleUrl: 'https://console', jsonConsoleUrl: 'https://console', presignedUrl: null, presignedExpiresAt: null });
        },
      },
      metrics: { publish: (data) => Promise.resolve(void published.push(...data)) },
      notifier: null,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      connectable: (t) => Promise.resolve(parseTargetUrl(t.url)),
      toolVersion: 'test',
    });
    expect(outcome).toMatchObject({ status: 'ok', suspectedLeaks: 2, deliveryFailures: [] });
    expect(saved[0]?.nodes).toHaveLength(6);
    const perNode = published.filter((d) => d.name === 'ConnectedClients' && d.dimensions.Node !== undefined);
    expect(perNode.map((d) => d.dimensions.Node).sort()).toEqual(servers().map((s) => `127.0.0.1:${s.port}`).sort());
    // The listing memory of every node goes back into the state, keyed by the node.
    expect(Object.keys(state?.collection ?? {}).sort()).toEqual(servers().map((s) => `127.0.0.1:${s.port}`).sort());
  });

  it('keeps the first sample of a replica that stops between samples, with its error, and samples the others twice', async () => {
    const stopped = servers().find((s) => s.port === replicas()[2]);
    if (stopped === undefined) throw new Error('expected three replicas');
    let result: Awaited<ReturnType<typeof runAudit>>;
    try {
      result = await runAudit({
        target: parseTargetUrl(seedUrl()), samples: 2, intervalMs: 0, policy: { ...defaultPolicy, idleSeconds: 2 }, previousState: null,
        connectTimeoutMs: 1000, commandTimeoutMs: 1000, toolVersion: 'test',
        sleep: () => Promise.resolve(void stopped.process.kill('SIGSTOP')),
      });
    } finally {
      stopped.process.kill('SIGCONT');
    }
    const { report: r } = result;
    expect(r.status).toBe('partial');
    expect(r.nodes.map((n) => [n.address, n.samples]).sort()).toEqual(servers().map((s) => [`127.0.0.1:${s.port}`, s === stopped ? 1 : 2]).sort());
    const entry = r.nodes.find((n) => n.address === `127.0.0.1:${stopped.port}`);
    expect(entry?.role).toBe('slave');
    expect(entry?.errors).toEqual([expect.stringMatching(/^sampling stopped early: .*did not answer INFO/)]);
    expect(result.error?.message).toContain(`127.0.0.1:${stopped.port}`);
  });

  it('reports a replica that stops answering with its error, and the other nodes\' findings (partial, exit by findings)', async () => {
    const stopped = servers().find((s) => s.port === replicas()[1]);
    if (stopped === undefined) throw new Error('expected three replicas');
    await cluster().waitUntilReady(10_000); // the replica paused by the test before may still be flagged
    stopped.process.kill('SIGSTOP');
    let result: CliRun;
    try {
      result = await cli(['audit', '--url', seedUrl(), ...AUDIT]);
    } finally {
      stopped.process.kill('SIGCONT');
    }
    const r = report(result);
    expectValidReport(r);
    expect(r.status).toBe('partial');
    expect(result.code).toBe(1);
    expect(r.nodes).toHaveLength(6);
    const entry = r.nodes.find((n) => n.address === `127.0.0.1:${stopped.port}`);
    expect(entry?.errors.join(' ')).toMatch(new RegExp(`127\\.0\\.0\\.1:${stopped.port}.*(did not answer|fail)`));
    expect(r.nodes.filter((n) => n.errors.length === 0)).toHaveLength(5);
    expect(r.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.subject.sourceIp).sort()).toEqual([SPREAD, SINGLE].sort());
    expect(result.stderr).toContain(`127.0.0.1:${stopped.port}`);
  });
});
