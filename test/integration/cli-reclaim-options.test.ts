// `redis-leak-audit reclaim`'s narrowing and guards against real servers (issue 19), beside cli-reclaim.test.ts:
//   - --source: only connections from that address are killed, even when their workload leaks from two; an
//     address-only workload is refused unless its address is named with --source (the operator vouches that the
//     address is one program); an address holding two workloads is refused until --workload narrows it;
//   - --max: at most N kills, the oldest first, the rest counted as capped;
//   - a partial audit (the deadline stops the sampling) and an incomplete listing (malformed CLIENT LIST lines, from
//     hostile_server.py's malformed-lines mode) are refused, and no CLIENT KILL is sent.
// Loopback sources 127.0.0.41 to .46; bounded: at most 27 workload clients per server, a second or two of idle time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { startHostileServer, type HostileServer } from '../reliability/hostile/hostile-server.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { waitFor, waitForIdle } from '../support/wait.js';

/** --max 100: without it a run closes 10% of the workload's connections (at least one). */
const FLAGS = ['--json', '--fail-on', 'never', '--min-idle', '1', '--idle-seconds', '1', '--min-group-connections', '5', '--max', '100'];
const TEXT_FLAGS = FLAGS.filter((f) => f !== '--json');

type ReclaimRun = AuditReport & { readonly reclaim: ReclaimReport };

const servers: LocalRedisServer[] = [];
const workloads: WorkloadHandle[] = [];
const clients: RespClient[] = [];

async function open(target: { host: string; port: number }): Promise<RespClient> {
  const client = await RespClient.connect({ host: target.host, port: target.port });
  clients.push(client);
  return client;
}

/** The clients from the given sources (not the control or auditor connections, both from 127.0.0.1), by id. */
async function clientsFrom(control: RespClient, sources: ReadonlySet<string>): Promise<Map<number, ClientRecord>> {
  const listed = parseClientList(String(await control.command('CLIENT', 'LIST'))).clients;
  return new Map(listed.filter((c) => sources.has(c.sourceIp)).map((c) => [c.id, c]));
}

const idsFrom = (clientsById: ReadonlyMap<number, ClientRecord>, source: string) =>
  sorted([...clientsById.values()].filter((c) => c.sourceIp === source).map((c) => c.id));

function parsed(run: CliRun): ReclaimRun {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as ReclaimRun;
}

const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

afterAll(async () => {
  await Promise.allSettled(workloads.map((w) => w.stop()));
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await Promise.allSettled(servers.map((s) => s.stop()));
});

describe('reclaim --source', () => {
  // One workload by name leaking from two hosts; two unnamed leaks (known only by their addresses); one address
  // with two named workloads (a leak and a small pool, both used once and idle).
  const NAMED = { name: 'billing-leaky', sources: ['127.0.0.41', '127.0.0.42'] as const, count: 5 };
  const UNNAMED = ['127.0.0.43', '127.0.0.44'] as const;
  const SHARED = { source: '127.0.0.45', leak: 'svc-a', pool: 'svc-b', count: 5, poolSize: 2 };
  const SOURCES = new Set<string>([...NAMED.sources, ...UNNAMED, SHARED.source]);
  const TOTAL = NAMED.sources.length * NAMED.count + UNNAMED.length * 5 + SHARED.count + SHARED.poolSize; // 27
  let server: LocalRedisServer;
  let control: RespClient;
  const listed = () => clientsFrom(control, SOURCES);

  beforeAll(async () => {
    server = await startLocalRedis();
    servers.push(server);
    control = await open(server);
    const target = { host: server.host, port: server.port };
    for (const source of NAMED.sources) workloads.push(await perRequestLeak(target, source, { count: NAMED.count, name: NAMED.name }));
    for (const source of UNNAMED) workloads.push(await perRequestLeak(target, source, { count: 5 }));
    workloads.push(await perRequestLeak(target, SHARED.source, { count: SHARED.count, name: SHARED.leak }));
    workloads.push(await idlePool(target, SHARED.source, { size: SHARED.poolSize, name: SHARED.pool }));
    for (const source of SOURCES) {
      const expected = source === SHARED.source ? SHARED.count + SHARED.poolSize : 5;
      await waitForIdle(() => control.command('CLIENT', 'LIST'), source, expected, 1);
    }
  }, 20_000);

  it('without --source, a leak known only by its address refuses the run; --workload ADDRESS alone too', async () => {
    const before = await listed();

    const byFinding = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply'])).reclaim;
    const byLabel = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--workload', UNNAMED[0]])).reclaim;

    expect(byFinding).toMatchObject({ outcome: 'refused', selected: [], killed: 0 });
    expect(byFinding.reason).toMatch(/^The workload .+ is known only by its address, which may be shared by several programs: name the address with --source/);
    expect(byLabel).toMatchObject({
      outcome: 'refused', selected: [], killed: 0,
      reason: `The workload ${UNNAMED[0]} is known only by its address, which may be shared by several programs: name the address with --source to reclaim its connections.`,
    });
    expect(before.size).toBe(TOTAL);
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
  }, 15_000);

  it('--source IP --apply kills only that address\'s connections of a workload that leaks from two', async () => {
    const [from, other] = NAMED.sources;
    const before = await listed();
    const fromIds = idsFrom(before, from);
    const otherIds = idsFrom(before, other);

    // By name, the workload's connections on both addresses would be selected: --source is what narrows.
    const named = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--workload', NAMED.name])).reclaim;
    const run = await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--source', from]);
    const out = parsed(run).reclaim;
    const after = await listed();

    expect(named).toMatchObject({ outcome: 'dry-run', killed: 0 });
    expect(sorted(named.selected.map((c) => c.id))).toEqual(sorted([...fromIds, ...otherIds]));
    expect(run.code).toBe(0);
    expect(out).toMatchObject({ outcome: 'reclaimed', reason: null, killed: NAMED.count, spared: 0, capped: 0 });
    expect(sorted(out.selected.map((c) => c.id))).toEqual(fromIds);
    expect(new Set(out.selected.map((c) => c.workload))).toEqual(new Set([NAMED.name]));
    // Every other listed connection is another workload: the 22 others here, the control connection from 127.0.0.1.
    expect(out.skipped['other-workload']).toBe(TOTAL - NAMED.count + 1);
    // Before: 27; after: 22, the 5 from the other address among them, same ids.
    expect(before.size).toBe(TOTAL);
    expect(fromIds).toHaveLength(NAMED.count);
    expect(after.size).toBe(TOTAL - NAMED.count);
    expect(idsFrom(after, from)).toEqual([]);
    expect(idsFrom(after, other)).toEqual(otherIds);
    expect(sorted(after.keys())).toEqual(sorted([...before.keys()].filter((id) => !fromIds.includes(id))));
  }, 15_000);

  it('--source IP vouches for an address-only workload: its connections are killed, the other address\'s stay', async () => {
    const [from, other] = UNNAMED;
    const before = await listed();
    const fromIds = idsFrom(before, from);

    const out = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--source', from])).reclaim;
    const after = await listed();

    expect(out).toMatchObject({ outcome: 'reclaimed', reason: null, killed: 5, spared: 0 });
    expect(sorted(out.selected.map((c) => c.id))).toEqual(fromIds);
    expect(new Set(out.selected.map((c) => c.workload))).toEqual(new Set([from]));
    // Before: 22; after: 17.
    expect(before.size).toBe(TOTAL - NAMED.count);
    expect(after.size).toBe(TOTAL - NAMED.count - 5);
    expect(idsFrom(after, from)).toEqual([]);
    expect(idsFrom(after, other)).toEqual(idsFrom(before, other));
    expect(sorted(after.keys())).toEqual(sorted([...before.keys()].filter((id) => !fromIds.includes(id))));
  }, 15_000);

  it('--source IP of an address holding two workloads is refused; with --workload it kills that one only', async () => {
    const before = await listed();
    const shared = [...before.values()].filter((c) => c.sourceIp === SHARED.source);
    const leakIds = sorted(shared.filter((c) => c.name === SHARED.leak).map((c) => c.id));
    const poolIds = sorted(shared.filter((c) => c.name === SHARED.pool).map((c) => c.id));

    const refused = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--source', SHARED.source])).reclaim;
    const between = await listed();
    const narrowed = parsed(await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--source', SHARED.source, '--workload', SHARED.leak])).reclaim;
    const after = await listed();

    expect(refused).toMatchObject({
      outcome: 'refused', selected: [], killed: 0,
      reason: `The address ${SHARED.source} holds connections of 2 workloads: name the one to reclaim with --workload.`,
    });
    expect(sorted(between.keys())).toEqual(sorted(before.keys()));
    expect(narrowed).toMatchObject({ outcome: 'reclaimed', reason: null, killed: SHARED.count });
    expect(sorted(narrowed.selected.map((c) => c.id))).toEqual(leakIds);
    // Before: 17 (7 on the shared address); after: 12, the pool's 2 still there.
    expect(before.size).toBe(TOTAL - NAMED.count - 5);
    expect(leakIds).toHaveLength(SHARED.count);
    expect(poolIds).toHaveLength(SHARED.poolSize);
    expect(after.size).toBe(before.size - SHARED.count);
    expect(idsFrom(after, SHARED.source)).toEqual(poolIds);
  }, 15_000);
});

describe('reclaim --max, and a partial audit', () => {
  const LEAK = { source: '127.0.0.46', name: 'cap-leaky', count: 12 };
  const MAX = 5;
  let server: LocalRedisServer;
  let control: RespClient;
  const listed = () => clientsFrom(control, new Set([LEAK.source]));

  beforeAll(async () => {
    server = await startLocalRedis();
    servers.push(server);
    control = await open(server);
    // Opened over about 1.5 s (8 a second): ages differ, the oldest have the lowest ids.
    workloads.push(await perRequestLeak({ host: server.host, port: server.port }, LEAK.source, { count: LEAK.count, name: LEAK.name, ratePerSecond: 8 }));
    await waitFor(listed, (l) => l.size === LEAK.count, { what: `${LEAK.count} connections from ${LEAK.source}` });
    await waitForIdle(() => control.command('CLIENT', 'LIST'), LEAK.source, LEAK.count, 1);
  }, 20_000);

  it('refuses on a partial audit (the deadline stopped the sampling after 1 of 2 samples) and kills nothing', async () => {
    const before = await listed();

    // The next sample would start after the deadline: the run stops after the first, partial, with the leak seen.
    const run = await cli(['reclaim', '--url', server.url, ...FLAGS, '--apply', '--samples', '2', '--interval', '5', '--deadline-seconds', '1']);
    const out = JSON.parse(run.stdout) as ReclaimRun;
    const after = await listed();

    expect(run.stderr).toContain('the audit deadline was reached after 1 of 2 samples');
    expect(out.status).toBe('partial');
    expect(out.findings.some((f) => f.kind === 'idle-connections' && f.subject.workload === LEAK.name)).toBe(true);
    expect(out.reclaim).toMatchObject({
      outcome: 'refused', reason: 'The audit is partial: reclaiming acts only on a complete audit.', selected: [], killed: 0,
    });
    // Before and after: the 12 leaked, same ids.
    expect(before.size).toBe(LEAK.count);
    expect(sorted(after.keys())).toEqual(sorted(before.keys()));
  }, 15_000);

  it(`--max ${MAX}: the dry run and --apply select the ${MAX} oldest, the text says the rest are left open by the cap`, async () => {
    const before = await listed();
    const all = sorted(before.keys());
    const oldest = all.slice(0, MAX);
    // Oldest first as the server counts age; ids break ties, and a lower id was opened earlier.
    const byAge = [...before.values()].sort((a, b) => b.ageSeconds - a.ageSeconds || a.id - b.id).map((c) => c.id);
    expect(byAge.slice(0, MAX)).toEqual(oldest);

    const flags = [...FLAGS.filter((f, i) => f !== '--max' && FLAGS[i - 1] !== '--max'), '--max', String(MAX)];
    const text = await cli(['reclaim', '--url', server.url, ...flags.filter((f) => f !== '--json')]);
    const run = await cli(['reclaim', '--url', server.url, ...flags, '--apply']);
    const out = parsed(run).reclaim;
    const after = await listed();

    expect(text.stdout).toContain(`would close ${MAX} idle connections of ${LEAK.name}; nothing was killed`);
    expect(text.stdout).toContain(`at most ${MAX} per run (${LEAK.count - MAX} more left open: the per-run cap)`);
    expect(run.code).toBe(0);
    expect(out).toMatchObject({ outcome: 'reclaimed', reason: null, killed: MAX, spared: 0, max: MAX, capped: LEAK.count - MAX });
    expect(out.selected.map((c) => c.id)).toEqual(oldest);
    // Before: 12; after: the 7 newest, same ids.
    expect(before.size).toBe(LEAK.count);
    expect(after.size).toBe(LEAK.count - MAX);
    expect(sorted(after.keys())).toEqual(all.slice(MAX));
  }, 15_000);
});

describe('reclaim on an incomplete listing (hostile_server.py malformed-lines)', () => {
  let hostile: HostileServer;

  beforeAll(async () => {
    hostile = await startHostileServer('malformed-lines', { lifetimeSeconds: 60 });
  }, 20_000);

  afterAll(async () => {
    await hostile?.stop();
  });

  it('refuses with the incomplete-listing reason and sends no CLIENT KILL', async () => {
    const run = await cli(['reclaim', '--url', hostile.url, ...FLAGS, '--apply']);
    const out = parsed(run);
    const text = await cli(['reclaim', '--url', hostile.url, ...TEXT_FLAGS, '--apply']);
    const commands = await waitFor(async () => hostile.commands(), (c) => c.filter((line) => line === 'QUIT').length >= 2,
      { what: 'both runs\' QUIT in the commands the hostile server received' });

    // The audit itself is complete (one clean sample) and finds the leak: only the two unreadable lines are wrong.
    expect(out.status).toBe('ok');
    expect(out.nodes[0]?.malformedClientListLines).toBe(2);
    expect(out.nodes[0]?.errors.join(' ')).toContain('2 malformed CLIENT LIST lines skipped');
    expect(out.findings.some((f) => f.kind === 'idle-connections' && f.subject.workload === 'orders-leaky')).toBe(true);
    expect(out.reclaim).toMatchObject({
      outcome: 'refused', reason: "The node's client listing was incomplete: reclaiming acts only on a complete listing.", selected: [], killed: 0,
    });
    expect(text.stdout).toContain("Reclaim did not act: The node's client listing was incomplete: reclaiming acts only on a complete listing. Nothing was killed.");
    expect(commands).toContain('CLIENT LIST');
    expect(commands.filter((c) => c.startsWith('CLIENT KILL'))).toEqual([]);
  }, 20_000);
});
