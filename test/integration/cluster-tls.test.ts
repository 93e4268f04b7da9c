// A real local Redis Cluster over TLS, as ElastiCache cluster mode with in-transit encryption: six
// redis-server processes with TLS ports only (TLS on the cluster bus and for replication too), certificates
// from a throwaway CA made with openssl. Audited through the CLI (`rediss://` and `--tls-ca`): every node
// is read over one TLS connection of its own, the totals add up, and a leak spread over two primaries is
// found with its connections summed. Then through the Lambda path with the configuration-endpoint form
// (`rediss://<host name>`) while the nodes announce an address the certificate does not name (ElastiCache's
// case: its certificate names `*.cache.amazonaws.com`, its nodes are announced by IP): every node is audited
// through the seed's TLS server name, and the same cluster audited through an IP seed says why it cannot be.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTarget } from '../../lambda/audit-target.js';
import { loadConfig } from '../../lambda/config.js';
import type { MetricDatum } from '../../lambda/core/metrics.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { LocalCluster } from '../support/local-cluster.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls-certs.js';
import { waitForIdle } from '../support/wait.js';

const SPREAD = '127.0.0.91'; // 15 TLS connections on each of two primaries: a leak only when summed (min 20)
const FEW = '127.0.0.92'; // 10 on one primary: below the group minimum, no finding
const AUDIT = ['--json', '--idle-seconds', '2', '--min-group-connections', '20', '--connect-timeout', '2000', '--command-timeout', '2000'];

let certs: TestCertificates | undefined;
let cluster: LocalCluster | undefined;

function local(): { cluster: LocalCluster; certs: TestCertificates } {
  if (cluster === undefined || certs === undefined) throw new Error('the TLS cluster did not start');
  return { cluster, certs };
}

function reportOf(run: CliRun): AuditReport {
  const report = JSON.parse(run.stdout) as AuditReport;
  expectValidReport(report);
  return report;
}

/** Connections from `source` over TLS that ran one command and were never closed: the per-request leak. */
async function leak(port: number, source: string, count: number, name: string): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const connection = await local().cluster.connect(port, source);
    expect(await connection.command('CLIENT', 'SETNAME', name)).toBe('OK');
    expect(await connection.command('PING')).toBe('PONG');
  }
}

beforeAll(async () => {
  certs = makeTestCertificates('DNS:localhost,IP:127.0.0.1');
  // ::1 too: the last test has the nodes announce it, an address the certificate does not name.
  cluster = await LocalCluster.start({ nodeTimeoutMs: 2000, tls: certs, ipv6: true });
  const [first, second] = cluster.primaries;
  if (first === undefined || second === undefined) throw new Error('expected three primaries');
  await leak(first, SPREAD, 15, 'orders-api');
  await leak(second, SPREAD, 15, 'orders-api');
  await leak(second, FEW, 10, 'billing');
  // Idle means 2 s here; the last connections opened are idle 2 s once these are.
  await waitForIdle(() => local().cluster.command(second, 'CLIENT', 'LIST'), FEW, 10, 2);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  certs?.remove();
}, 20_000);

describe('auditing a Redis Cluster over TLS', () => {
  it('lists all six nodes with their roles over one TLS connection each, no node errors, and totals that add up (--cluster)', async () => {
    const { cluster: c, certs: tls } = local();
    const ports = c.ports;
    const connectsBefore = await Promise.all(ports.map((p) => c.info(p, 'total_connections_received')));
    const clientsBefore = await Promise.all(ports.map((p) => c.info(p, 'connected_clients')));
    const result = await cli(['audit', '--url', `rediss://127.0.0.1:${c.seed}`, '--tls-ca', tls.caFile, '--cluster', ...AUDIT]);
    const connectsAfter = await Promise.all(ports.map((p) => c.info(p, 'total_connections_received')));
    const r = reportOf(result);

    expect(result.stderr).toBe('');
    expect(r.status).toBe('ok');
    expect(r.target).toBe(`rediss://127.0.0.1:${c.seed}`);
    expect(r.nodes.map((n) => `${n.address} ${n.role}`).sort()).toEqual([
      ...c.primaries.map((p) => `${c.address(p)} master`),
      ...c.replicas.map((p) => `${c.address(p)} slave`),
    ].sort());
    expect(r.nodes[0]?.address).toBe(c.address(c.seed));
    for (const node of r.nodes) {
      expect(node).toMatchObject({ errors: [], samples: 1, clientListAvailable: true, version: '7.0.15' });
    }
    // Each node's count is what the node itself said just before (the probe included) plus the auditor.
    expect(r.nodes.map((n) => `${n.address} ${n.connectedClients}`).sort())
      .toEqual(ports.map((p, i) => `${c.address(p)} ${Number(clientsBefore[i]) + 1}`).sort());
    expect(r.summary.connectedClients).toBe(r.nodes.reduce((sum, n) => sum + (n.connectedClients ?? 0), 0));
    expect(r.summary.connectedClients).toBe(clientsBefore.reduce((sum, n) => sum + Number(n) + 1, 0));
    // Exactly one TLS connection per node, and none left behind.
    expect(r.auditor.connectionsOpened).toBe(6);
    expect(connectsAfter.map((a, i) => Number(a) - Number(connectsBefore[i]))).toEqual([1, 1, 1, 1, 1, 1]);
    const leftover = await Promise.all(ports.map(async (p) => String(await c.command(p, 'CLIENT', 'LIST'))));
    expect(leftover.filter((list) => list.includes('name=redis-leak-auditor'))).toEqual([]);
  });

  it('finds the leak spread over two primaries as one idle-connections finding with the summed count (cluster detected without --cluster)', async () => {
    const { cluster: c, certs: tls } = local();
    const result = await cli(['audit', '--url', `rediss://127.0.0.1:${c.seed}`, '--tls-ca', tls.caFile, ...AUDIT]);
    const r = reportOf(result);

    expect(result.code).toBe(1);
    expect(r.status).toBe('ok');
    expect(r.nodes).toHaveLength(6);
    expect(r.groups.bySourceIp.find((g) => g.key === SPREAD)?.connections).toBe(30);
    expect(r.groups.bySourceIp.find((g) => g.key === FEW)?.connections).toBe(10);
    const idle = r.findings.filter((f) => f.kind === 'idle-connections');
    expect(idle.map((f) => [f.subject.sourceIp, f.subject.clientName, f.evidence.connections])).toEqual([[SPREAD, 'orders-api', 30]]);
    expect(r.summary.suspectedLeaks).toBe(1);
  });

  it('audits every node through the seed\'s TLS server name when the nodes announce an address the certificate does not name (Lambda, rediss://localhost)', async () => {
    const { cluster: c, certs: tls } = local();
    // ElastiCache's case: the certificate names the host (here localhost and 127.0.0.1), the nodes are
    // announced by an address it does not name (here ::1, on which they listen too).
    await Promise.all(c.ports.map((p) => c.command(p, 'CONFIG', 'SET', 'cluster-announce-ip', '::1')));
    await c.waitFor('every node announces ::1', 15_000, async () => {
      const views = await Promise.all(c.ports.map((p) => c.nodes(p)));
      return views.every((nodes) => nodes.length === 6 && nodes.every((n) => n.ip === '::1'));
    });
    await c.waitUntilReady(15_000);
    const announced = (port: number) => `[::1]:${port}`;

    const url = `rediss://localhost:${c.seed}`;
    const config = loadConfig({
      AUDIT_TARGETS: JSON.stringify([{ name: 'tls-cluster', url, cluster: true }]),
      REPORT_BUCKET: 'audit-reports-123', AWS_REGION: 'eu-west-1', CONNECT_TIMEOUT_MS: '2000', COMMAND_TIMEOUT_MS: '2000',
      IDLE_SECONDS: '2', MIN_GROUP_CONNECTIONS: '20',
    });
    const target = config.targets[0];
    if (target === undefined) throw new Error('expected one target');
    const saved: AuditReport[] = [];
    const published: MetricDatum[] = [];
    const warnings: unknown[] = [];
    const outcome = await auditTarget(config, target, {
      store: {
        loadState: () => Promise.resolve(null),
        saveState: () => Promise.resolve(),
        saveReport: (_, report) => {
          saved.push(report);
          return Promise.resolve({ key: 'k', latestKey: 'l', htmlKey: null, consoleUrl: 'https://console', jsonConsoleUrl: 'https://console', presignedUrl: null, presignedExpiresAt: null });
        },
      },
      metrics: { publish: (data) => Promise.resolve(void published.push(...data)) },
      notifier: null,
      logger: { info: () => undefined, warn: (...args) => void warnings.push(args), error: (...args) => void warnings.push(args) },
      // The Lambda trusts the system CAs (ElastiCache's are public); this CA is the test's own.
      connectable: (t) => Promise.resolve(parseTargetUrl(t.url, { tlsCaFile: tls.caFile })),
      toolVersion: 'test',
    });

    expect(warnings).toEqual([]);
    expect(outcome).toMatchObject({ status: 'ok', suspectedLeaks: 1, deliveryFailures: [] });
    const r = saved[0];
    expectValidReport(r);
    expect(r?.nodes.map((n) => `${n.address} ${n.role}`).sort()).toEqual([
      ...c.primaries.map((p) => `${announced(p)} master`),
      ...c.replicas.map((p) => `${announced(p)} slave`),
    ].sort());
    expect(r?.nodes.flatMap((n) => n.errors)).toEqual([]);
    expect(r?.findings.filter((f) => f.kind === 'idle-connections').map((f) => [f.subject.sourceIp, f.evidence.connections])).toEqual([[SPREAD, 30]]);
    const perNode = published.filter((d) => d.name === 'ConnectedClients' && d.dimensions.Node !== undefined);
    expect(perNode.map((d) => d.dimensions.Node).sort()).toEqual(c.ports.map(announced).sort());

    // The same cluster through an IP seed: no server name to keep, so each other node's certificate is
    // checked against ::1 and refused, one line per node; the seed itself is still audited.
    const byIp = await cli(['audit', '--url', `rediss://127.0.0.1:${c.seed}`, '--tls-ca', tls.caFile, ...AUDIT]);
    const partial = reportOf(byIp);
    expect(byIp.code).not.toBe(2);
    expect(partial.status).toBe('partial');
    expect(partial.nodes.filter((n) => n.errors.length === 0).map((n) => n.address)).toEqual([announced(c.seed)]);
    const others = partial.nodes.filter((n) => n.address !== announced(c.seed));
    expect(others.map((n) => n.address).sort()).toEqual(c.ports.filter((p) => p !== c.seed).map(announced).sort());
    for (const node of others) {
      expect(node.errors).toEqual([expect.stringMatching(new RegExp(`^TLS handshake with rediss://\\[::1\\]:${node.address.split(':').pop()} failed: .*ERR_TLS_CERT_ALTNAME_INVALID`))]);
    }
    expect(byIp.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: 5 of 6 cluster nodes were not fully audited \(.*certificate/)]);
  });
});
