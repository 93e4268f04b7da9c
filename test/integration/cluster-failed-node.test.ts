// A real local Redis Cluster (plain TCP, cluster-node-timeout 1 s) in which one replica is killed and the
// other nodes flag it `fail` in CLUSTER NODES. The auditor leaves such a node out without trying to connect
// (lambda/core/cluster-nodes.ts skipReasonOf, lambda/redis/cluster-topology.ts `skipped`): the report is
// partial, lists the node with one line saying why it was not audited, and the five other nodes are audited
// as usual. A stand-in listener on the dead node's port counts connections, to show that none is tried.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { runAudit } from '../../lambda/run-audit.js';
import { LocalCluster } from '../support/local-cluster.js';
import { sleep, waitForIdle } from '../support/wait.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';

const SPREAD = '127.0.0.93'; // 12 connections on each of two primaries: a leak (min 20) only when summed
const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 1000;
const AUDIT = ['--json', '--idle-seconds', '2', '--min-group-connections', '20',
  '--connect-timeout', String(CONNECT_TIMEOUT_MS), '--command-timeout', String(COMMAND_TIMEOUT_MS)];
const NOT_AUDITED = 'not audited: the cluster marks this node as failed (flag fail)';

let cluster: LocalCluster | undefined;
/** Client port of the killed replica. */
let failed = 0;
/** Listens on the killed replica's port in its place and counts the connections it is offered. */
let standIn: Server | undefined;
const offered: Socket[] = [];

function local(): LocalCluster {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return cluster;
}

function reportOf(run: CliRun): AuditReport {
  const report = JSON.parse(run.stdout) as AuditReport;
  expectValidReport(report);
  return report;
}

function listen(port: number): Promise<Server> {
  const server = createServer((socket) => {
    offered.push(socket);
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodeTimeoutMs: 1000 });
  const [first, second] = cluster.primaries;
  if (first === undefined || second === undefined) throw new Error('expected three primaries');
  for (const port of [first, second]) {
    for (let i = 0; i < 12; i += 1) {
      const connection = await cluster.connect(port, SPREAD);
      await connection.command('CLIENT', 'SETNAME', 'orders-api');
      await connection.command('PING');
    }
  }

  const c = cluster;
  failed = c.replicas.find((p) => p !== c.seed) ?? 0;
  const failedId = (await c.nodes(failed)).find((n) => n.myself)?.id;
  if (failed === 0 || failedId === undefined) throw new Error('expected a replica other than the seed');
  const victim = c.server(failed).process;
  const gone = new Promise((resolve) => victim.once('exit', resolve));
  victim.kill('SIGKILL');
  await Promise.race([gone, sleep(5000)]);
  if (victim.exitCode === null && victim.signalCode === null) throw new Error('the replica did not exit on SIGKILL');
  standIn = await listen(failed);

  const living = c.ports.filter((p) => p !== failed);
  await c.waitFor('every other node flags the killed replica fail', 15_000, async () => {
    const views = await Promise.all(living.map((p) => c.nodes(p)));
    return views.every((nodes) => nodes.find((n) => n.id === failedId)?.flags.includes('fail') === true);
  });
  // Idle means 2 s here; the last connections opened are idle 2 s once these are.
  await waitForIdle(() => c.command(second, 'CLIENT', 'LIST'), SPREAD, 12, 2);
}, 60_000);

afterAll(async () => {
  for (const socket of offered) socket.destroy();
  await new Promise((resolve) => (standIn ? standIn.close(resolve) : resolve(undefined)));
  await cluster?.stop();
}, 20_000);

describe('auditing a Redis Cluster with a node flagged fail', () => {
  it('leaves the failed replica out without connecting, says so in a partial report, and audits the other five (CLI)', async () => {
    const c = local();
    const living = c.ports.filter((p) => p !== failed);
    const connectsBefore = await Promise.all(living.map((p) => c.info(p, 'total_connections_received')));
    const started = performance.now();
    const result = await cli(['audit', '--url', `redis://127.0.0.1:${c.seed}`, ...AUDIT]);
    const ms = performance.now() - started;
    const connectsAfter = await Promise.all(living.map((p) => c.info(p, 'total_connections_received')));
    const r = reportOf(result);

    // Exit by findings (the spread leak), not 2; and well within one connect plus one command timeout.
    expect(result.code).toBe(1);
    expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + COMMAND_TIMEOUT_MS);
    expect(r.status).toBe('partial');
    expect(r.nodes.map((n) => n.address).sort()).toEqual(c.ports.map((p) => c.address(p)).sort());
    expect(r.nodes.find((n) => n.address === c.address(failed))).toMatchObject({
      role: null, connectedClients: null, samples: 0, clientListAvailable: false, errors: [NOT_AUDITED],
    });
    const audited = r.nodes.filter((n) => n.address !== c.address(failed));
    expect(audited.map((n) => `${n.address} ${n.role}`).sort()).toEqual([
      ...c.primaries.map((p) => `${c.address(p)} master`),
      ...c.replicas.filter((p) => p !== failed).map((p) => `${c.address(p)} slave`),
    ].sort());
    for (const node of audited) expect(node).toMatchObject({ errors: [], samples: 1, clientListAvailable: true });
    expect(r.summary.connectedClients).toBe(audited.reduce((sum, n) => sum + (n.connectedClients ?? 0), 0));
    // One connection to each living node, none offered to the failed one's port.
    expect(r.auditor.connectionsOpened).toBe(5);
    expect(connectsAfter.map((a, i) => Number(a) - Number(connectsBefore[i]))).toEqual([1, 1, 1, 1, 1]);
    expect(offered).toHaveLength(0);
    expect(r.findings.filter((f) => f.kind === 'idle-connections').map((f) => [f.subject.sourceIp, f.subject.clientName, f.evidence.connections]))
      .toEqual([[SPREAD, 'orders-api', 24]]);
    expect(result.stderr).toBe(`redis-leak-audit: 1 of 6 cluster nodes were not fully audited (${c.address(failed)}: ${NOT_AUDITED})\n`);
  });

  it('keeps the failed replica out of every sample of a two-sample run (Lambda path, cluster: true)', async () => {
    const c = local();
    const result = await runAudit({
      target: parseTargetUrl(`redis://127.0.0.1:${c.seed}`), samples: 2, intervalMs: 0, policy: { ...defaultPolicy, idleSeconds: 2, minGroupConnections: 20 },
      previousState: null, connectTimeoutMs: CONNECT_TIMEOUT_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS, toolVersion: 'test', cluster: true,
    });
    const { report: r } = result;
    expectValidReport(r);

    expect(r.status).toBe('partial');
    expect(r.nodes.map((n) => `${n.address} ${n.samples}`).sort()).toEqual(c.ports.map((p) => `${c.address(p)} ${p === failed ? 0 : 2}`).sort());
    expect(r.nodes.find((n) => n.address === c.address(failed))?.errors).toEqual([NOT_AUDITED]);
    expect(r.nodes.filter((n) => n.errors.length > 0)).toHaveLength(1);
    expect(result.error?.message).toBe(`1 of 6 cluster nodes were not fully audited (${c.address(failed)}: ${NOT_AUDITED})`);
    expect(Object.keys(result.state.collection ?? {}).sort()).toEqual(c.ports.filter((p) => p !== failed).map((p) => c.address(p)).sort());
    expect(r.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.evidence.connections)).toEqual([24]);
    expect(offered).toHaveLength(0);
  });
});
