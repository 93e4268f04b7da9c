// `redis-leak-audit reclaim` against a real redis-server (issue 19): a leaking workload (12 connections used once
// and left idle) beside a healthy pool (6 connections used again after opening, then idle), a subscriber and a
// blocked client of the leaking workload's own name, and a replica attached to the primary (its replication link
// is on the primary's CLIENT LIST). The dry run kills nothing; --apply kills exactly the leaked ids, one CLIENT
// KILL ID each, and nothing else the auditor sends is a write (MONITOR, INFO commandstats); the replication link
// is never selected and survives with its id; a second run finds nothing left; the replica itself is refused.
// Bounded: 20 clients, one replica, a few seconds of real idle time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { blockingPopNoTimeout, idlePool, perRequestLeak, pubsubLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { sleep, waitFor, waitForIdle } from '../support/wait.js';

const LEAK = { source: '127.0.0.31', name: 'orders-leaky', count: 12 };
const POOL = { source: '127.0.0.32', name: 'orders-pool', size: 6 };
const SUB = '127.0.0.33';
const BLOCKED = '127.0.0.34';
const WORKLOAD_SOURCES = new Set([LEAK.source, POOL.source, SUB, BLOCKED]);
const FLAGS = ['--json', '--fail-on', 'never', '--min-idle', '1', '--idle-seconds', '1', '--min-group-connections', '5', '--max', '100'];
/** What the audit may send (test/reliability/read-only.test.ts's list), and reclaim's one write besides. */
const READ_ONLY = new Set(['client|list', 'client|setname', 'client|setinfo', 'info', 'ping', 'auth', 'config|get', 'quit', 'hello']);
const WITH_SUBCOMMAND = new Set(['client', 'config', 'cluster']);

type ReclaimRun = AuditReport & { readonly reclaim: ReclaimReport };

const servers: LocalRedisServer[] = [];
const workloads: WorkloadHandle[] = [];
const clients: RespClient[] = [];
let server: LocalRedisServer;
let replica: LocalRedisServer;
let control: RespClient;
/** A connection to the replica (from 127.0.0.1). */
let replicaProbe: RespClient;
/** The replica's connection on the primary (flags S), as listed once the replica is in sync. */
let replicaLink: ClientRecord;

async function open(target: { host: string; port: number }, localAddress?: string): Promise<RespClient> {
  const client = await RespClient.connect({ host: target.host, port: target.port, ...(localAddress ? { localAddress } : {}) });
  clients.push(client);
  return client;
}

/** The workloads' clients (not the control, MONITOR or auditor connections), by id. */
async function workloadClients(from: RespClient = control): Promise<Map<number, ClientRecord>> {
  const listed = parseClientList(String(await from.command('CLIENT', 'LIST'))).clients;
  return new Map(listed.filter((c) => WORKLOAD_SOURCES.has(c.sourceIp)).map((c) => [c.id, c]));
}

function parsed(run: CliRun): ReclaimRun {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as ReclaimRun;
}

const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

/** `1795687810.612651 [0 127.0.0.1:38352] "CLIENT" "SETNAME" "x"` -> the sender and the ACL name of the command. */
function monitorLine(line: string): { addr: string; command: string } {
  const m = /^\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  const args = [...(m?.[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => (a[1] ?? '').toLowerCase());
  const command = WITH_SUBCOMMAND.has(args[0] ?? '') && args[1] !== undefined ? `${args[0]}|${args[1]}` : (args[0] ?? '');
  return { addr: m?.[1] ?? '', command };
}

/** The primary's replication links (flags S: a replica's connection), by id. */
async function replicationLinks(): Promise<Map<number, ClientRecord>> {
  const listed = parseClientList(String(await control.command('CLIENT', 'LIST'))).clients;
  return new Map(listed.filter((c) => c.flags.includes('S')).map((c) => [c.id, c]));
}

/** INFO commandstats as `client|kill` -> calls + rejected calls. */
async function commandStats(from: RespClient): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const m of String(await from.command('INFO', 'commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)(?:.*?rejected_calls=(\d+))?/gm)) {
    stats.set(m[1] ?? '', Number(m[2]) + Number(m[3] ?? 0));
  }
  return stats;
}

beforeAll(async () => {
  // No diskless-sync delay (5 s by default): the replica is in sync within the pool's 3 s below.
  server = await startLocalRedis({ args: ['--repl-diskless-sync-delay', '0'] });
  servers.push(server);
  control = await open(server);
  replica = await startLocalRedis({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
  servers.push(replica);
  const target = { host: server.host, port: server.port };
  // The healthy pool is opened first and used again 3 s later: older than the used-once slack (2 s) between
  // its opening and its last command, so it is idle but not abandoned.
  const pool = await Promise.all(Array.from({ length: POOL.size }, () => open(target, POOL.source)));
  for (const c of pool) await c.command('CLIENT', 'SETNAME', POOL.name);
  workloads.push(await perRequestLeak(target, LEAK.source, { count: LEAK.count, name: LEAK.name }));
  workloads.push(await pubsubLeak(target, SUB, { count: 1, name: LEAK.name }));
  workloads.push(await blockingPopNoTimeout(target, BLOCKED, { count: 1, name: LEAK.name }));
  await sleep(3100); // real time on the server: the pool's second use must come after the slack
  for (const c of pool) await c.command('GET', 'rla:reclaim:pool');
  await waitForIdle(() => control.command('CLIENT', 'LIST'), POOL.source, POOL.size, 1);
  await waitForIdle(() => control.command('CLIENT', 'LIST'), LEAK.source, LEAK.count, 1);
  // The replica in sync (its link up), then its one connection on the primary: flags S, from 127.0.0.1.
  replicaProbe = await open(replica);
  await waitFor(async () => String(await replicaProbe.command('INFO', 'replication')), (info) => /^master_link_status:up\r?$/m.test(info),
    { what: 'the replica in sync with the primary', timeoutMs: 10_000 });
  const links = await waitFor(replicationLinks, (l) => l.size === 1, { what: "the replica's connection in the primary's CLIENT LIST" });
  replicaLink = [...links.values()][0] as ClientRecord;
  expect(replicaLink.sourceIp).toBe('127.0.0.1');
}, 25_000);

afterAll(async () => {
  await Promise.allSettled(workloads.map((w) => w.stop()));
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await Promise.allSettled(servers.map((s) => s.stop()));
});

describe('redis-leak-audit reclaim on a primary', () => {
  let leakedIds: number[];

  it('dry run: lists exactly the leaked connections and kills nothing', async () => {
    const before = await workloadClients();
    leakedIds = sorted([...before.values()].filter((c) => c.sourceIp === LEAK.source).map((c) => c.id));
    expect(leakedIds).toHaveLength(LEAK.count);

    const run = await cli(['reclaim', '--url', server.url, ...FLAGS]);
    const out = parsed(run);
    const after = await workloadClients();

    expect(run.code).toBe(0);
    expect(out.reclaim).toMatchObject({ outcome: 'dry-run', reason: null, killed: 0, capped: 0 });
    expect(sorted(out.reclaim.selected.map((c) => c.id))).toEqual(leakedIds);
    expect(new Set(out.reclaim.selected.map((c) => c.workload))).toEqual(new Set([LEAK.name]));
    expect(out.reclaim.selected.map((c) => c.id)).not.toContain(replicaLink.id);
    // The audit reports the idle pool too (idle-connections), so it is a target: skipped as used more than once.
    // The replica's connection is in the listing the selection walks: skipped as a replication link (before any
    // workload is looked at, so the control connection is still the one other-workload).
    expect(out.reclaim.skipped).toMatchObject({
      subscriber: 1, blocked: 1, 'used-more-than-once': POOL.size, 'other-workload': 1, 'replication-link': 1,
    });
    expect(sorted(after.keys())).toEqual(sorted(before.keys()));
    expect(after.size).toBe(LEAK.count + POOL.size + 2);
    expect([...(await replicationLinks()).keys()]).toEqual([replicaLink.id]);
  }, 15_000);

  it('prints the dry run as text, per workload with the skip counts', async () => {
    const run = await cli(['reclaim', '--url', server.url, ...FLAGS.filter((f) => f !== '--json')]);

    expect(run.stdout).toContain('Reclaim (dry run; nothing was killed, --apply kills):');
    expect(run.stdout).toContain(`would close ${LEAK.count} idle connections of ${LEAK.name}; nothing was killed`);
    expect(run.stdout).toMatch(new RegExp(`per workload:\\n.*\\n +${LEAK.name} +- +${LEAK.count}\\n`));
    expect(run.stdout).toMatch(/skipped: .*subscriber 1, blocked 1/);
    expect((await workloadClients()).size).toBe(LEAK.count + POOL.size + 2);
  }, 15_000);

  it('--apply: kills exactly the leaked ids, one CLIENT KILL ID each and no other write (MONITOR, commandstats)', async () => {
    const before = await workloadClients();
    const linksBefore = await replicationLinks();
    const lines: string[] = [];
    const monitor = await open(server);
    monitor.onPush = (value) => lines.push(String(value));
    await monitor.command('MONITOR');
    const statsBefore = await commandStats(control);

    const run = await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply']);
    const out = parsed(run);
    const statsAfter = await commandStats(control);
    await control.command('ECHO', 'rla-reclaim-end');
    await waitFor(async () => lines, (l) => l.some((line) => line.includes('rla-reclaim-end')), { what: 'the end marker in MONITOR' });
    await monitor.destroy();
    const after = await workloadClients();
    const linksAfter = await replicationLinks();

    expect(run.code).toBe(0);
    expect(out.reclaim).toMatchObject({ outcome: 'reclaimed', reason: null, killed: LEAK.count, spared: 0 });
    expect(sorted(out.reclaim.selected.map((c) => c.id))).toEqual(leakedIds);
    expect(out.reclaim.skipped['replication-link']).toBe(1);
    // The replication link survives: the same one connection, same id and address, before and after.
    expect([...linksBefore.keys()]).toEqual([replicaLink.id]);
    expect([...linksAfter.values()].map((c) => [c.id, c.addr])).toEqual([[replicaLink.id, replicaLink.addr]]);
    expect(String(await replicaProbe.command('INFO', 'replication'))).toMatch(/^master_link_status:up\r?$/m);
    // Before: 12 leaked + 6 pool + subscriber + blocked = 20; after: the 8 that are not the leak.
    expect(before.size).toBe(20);
    expect(after.size).toBe(8);
    expect(sorted(after.keys())).toEqual(sorted([...before.keys()].filter((id) => !leakedIds.includes(id))));
    expect([...after.values()].filter((c) => c.sourceIp === LEAK.source)).toEqual([]);
    expect([...after.values()].filter((c) => c.sourceIp === POOL.source)).toHaveLength(POOL.size);
    expect([...after.values()].filter((c) => c.sourceIp === SUB || c.sourceIp === BLOCKED).map((c) => c.flags).sort()).toEqual(['P', 'b']);
    // The perRequestLeak workload does not reconnect: its connections are gone for good.
    expect(workloads[0]?.connections()).toBe(0);

    // MONITOR leaves admin commands (CLIENT KILL, CLIENT LIST) out: what it shows from the auditor is read-only.
    // (Neither the control connection nor the replica's link is the auditor.)
    const controlAddr = `${String(control.local.address)}:${String(control.local.port)}`;
    const auditor = lines.map(monitorLine)
      .filter((l) => l.addr !== controlAddr && l.addr !== replicaLink.addr && l.command !== 'monitor' && l.command !== '');
    expect(auditor.length).toBeGreaterThan(0);
    expect(auditor.filter((l) => !READ_ONLY.has(l.command))).toEqual([]);
    // commandstats counts every command: the only write is client|kill, once per selected id. The replica sends
    // REPLCONF ACK once a second on its link (its own, the link's id is unchanged above): not the auditor's.
    const ran = [...statsAfter].map(([name, n]) => [name, n - (statsBefore.get(name) ?? 0) - (name === 'info' ? 1 : 0)] as const)
      .filter(([name, n]) => n > 0 && name !== 'replconf');
    expect(ran.filter(([name]) => !READ_ONLY.has(name) && name !== 'client|kill' && name !== 'monitor')).toEqual([]);
    expect(new Map(ran).get('client|kill')).toBe(LEAK.count);
  }, 15_000);

  it('a second --apply finds nothing left to reclaim and kills nothing', async () => {
    const before = await workloadClients();

    const byFinding = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply'])).reclaim;
    const named = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--workload', LEAK.name])).reclaim;

    expect(byFinding).toMatchObject({ outcome: 'not-needed', selected: [], killed: 0 });
    // Only the pool is still reported; the leaky workload's subscriber and blocked client (and the test's control
    // connection) are other workloads now.
    expect(byFinding.skipped).toMatchObject({ 'used-more-than-once': POOL.size, 'other-workload': 3 });
    expect(named).toMatchObject({ outcome: 'not-needed', reason: "None of the workload's connections may be closed (1 subscriber, 1 blocked).", selected: [], killed: 0 });
    expect(named.skipped).toMatchObject({ subscriber: 1, blocked: 1 });
    expect(sorted((await workloadClients()).keys())).toEqual(sorted(before.keys()));
  }, 15_000);
});

describe('redis-leak-audit reclaim on a replica', () => {
  it('refuses, says why, and kills nothing', async () => {
    // The replica attached to the primary in beforeAll.
    const probe = replicaProbe;
    const target = { host: replica.host, port: replica.port };
    // Read-only on a replica: GET is what a leak on a read replica does.
    workloads.push(await idlePool(target, LEAK.source, { size: 6, name: 'replica-leaky' }));
    await waitForIdle(() => probe.command('CLIENT', 'LIST'), LEAK.source, 6, 1);
    const before = await workloadClients(probe);

    const run = await cli(['reclaim', '--url', replica.url, ...FLAGS, '--apply']);
    const out = parsed(run);
    const text = await cli(['reclaim', '--url', replica.url, ...FLAGS.filter((f) => f !== '--json'), '--apply']);

    expect(out.findings.some((f) => f.kind === 'idle-connections')).toBe(true);
    expect(out.reclaim).toMatchObject({ outcome: 'refused', reason: 'The node is a replica: reclaiming acts only on a primary.', selected: [], killed: 0 });
    expect(text.stdout).toContain('Reclaim did not act: The node is a replica: reclaiming acts only on a primary. Nothing was killed.');
    expect(sorted((await workloadClients(probe)).keys())).toEqual(sorted(before.keys()));
    expect(before.size).toBe(6);
  }, 15_000);
});
