// A seed that announces far more nodes than a cluster has, some of them outside the seed's network (issue 13):
// fake RESP nodes on loopback (each answers after a short delay, and counts the connections waiting for an
// answer), closed loopback ports that refuse, and addresses elsewhere (10.255.255.1, 169.254.169.254, ...)
// that must never be contacted. The opener is wrapped by a spy that refuses any non-loopback target, so no
// traffic ever leaves this host even if the rule were broken; the spy's record is what proves the rule.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusterAudit } from '../../lambda/cluster-audit.js';
import { ConnectionBudget } from '../../lambda/connection-budget.js';
import type { CollectionMemory } from '../../lambda/core/collection-memory.js';
import { CLUSTER_CONNECTIONS_AT_ONCE, MAX_CLUSTER_NODES, MAX_CLUSTER_NODES_LINES } from '../../lambda/core/cluster-rules.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { NodeCollector } from '../../lambda/redis/node-collector.js';
import { parseTargetUrl, type RedisTarget } from '../../lambda/redis/target-url.js';
import { runAudit, type RunAuditOptions } from '../../lambda/run-audit.js';
import { expectValidReport } from '../support/report-schema.js';

/** How long every fake node takes to answer a command; the deadline test slows them down. */
let replyDelayMs = 20;
const RESPONDERS = 100; // more than CLUSTER_CONNECTIONS_AT_ONCE, so the bound has to hold nodes back
const OUTSIDE = ['10.255.255.1:6379', '192.0.2.10:6379', '[2001:db8::1]:6379', '169.254.169.254:80'];
const ANNOUNCED = 2_500; // beyond both the line bound and the node bound

/** Sockets, over every fake node, that sent a command not yet answered: nodes being opened or sampled now. */
let waiting = 0;
let peakWaiting = 0;
let clusterNodesText = '';
const servers: Server[] = [];
const sockets = new Set<Socket>();
let seedPort = 0;
const responderPorts: number[] = [];
const refusedPorts: number[] = [];

/** A Redis node in cluster mode as far as the auditor can tell, answering every command after replyDelayMs. */
function fakeNode(): Server {
  return createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    let unanswered = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let parsed = nextCommand(buffered); parsed !== null; parsed = nextCommand(buffered)) {
        buffered = buffered.slice(parsed.used);
        const reply = replyTo(parsed.args, socket);
        if (parsed.args[0]?.toUpperCase() === 'QUIT') {
          socket.end(reply);
          continue;
        }
        if (unanswered++ === 0) peakWaiting = Math.max(peakWaiting, ++waiting);
        setTimeout(() => {
          if (--unanswered === 0) waiting -= 1;
          if (!socket.destroyed) socket.write(reply);
        }, replyDelayMs);
      }
    });
  });
}

function replyTo(args: readonly string[], socket: Socket): string {
  const command = args.slice(0, 2).join(' ').toUpperCase();
  const bulk = (text: string) => `$${Buffer.byteLength(text, 'latin1')}\r\n${text}\r\n`;
  if (command.startsWith('INFO')) {
    return bulk('# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\nuptime_in_seconds:100\r\n'
      + '# Clients\r\nconnected_clients:1\r\nblocked_clients:0\r\nmaxclients:10000\r\n# Stats\r\ntotal_connections_received:5\r\nrejected_connections:0\r\n# Cluster\r\ncluster_enabled:1\r\n');
  }
  if (command === 'CLIENT LIST') {
    return bulk(`id=7 addr=${socket.remoteAddress}:${socket.remotePort} laddr=127.0.0.1:${socket.localPort} fd=8 name=redis-leak-auditor age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|list user=default redir=-1 resp=2 lib-name= lib-ver=\n`);
  }
  if (command === 'CLUSTER NODES') return bulk(clusterNodesText);
  if (command.startsWith('CONFIG GET')) return '*0\r\n';
  if (['AUTH', 'CLIENT SETNAME', 'QUIT'].some((c) => command.startsWith(c))) return '+OK\r\n';
  if (command === 'PING') return '+PONG\r\n';
  return `-ERR unknown command '${args[0] ?? ''}'\r\n`;
}

/** One RESP array of bulk strings from the front of `text`, or null until it is complete. */
function nextCommand(text: string): { args: string[]; used: number } | null {
  const header = /^\*(\d+)\r\n/.exec(text);
  if (header === null) return null;
  let at = header[0].length;
  const args: string[] = [];
  for (let i = 0; i < Number(header[1]); i += 1) {
    const len = /^\$(\d+)\r\n/.exec(text.slice(at));
    if (len === null) return null;
    at += len[0].length;
    if (text.length < at + Number(len[1]) + 2) return null;
    args.push(text.slice(at, at + Number(len[1])));
    at += Number(len[1]) + 2;
  }
  return { args, used: at };
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** A loopback port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const line = (i: number, address: string, flags = 'master') => `${i.toString(16).padStart(40, '0')} ${address}@1 ${flags} - 0 0 1 connected`;

/** The seed first, then the `others` addresses, padded with never-listening loopback addresses up to `total`. */
function announce(others: readonly string[], total: number): string {
  const lines = [line(0, `127.0.0.1:${seedPort}`, 'myself,master'), ...others.map((a, i) => line(i + 1, a))];
  for (let i = lines.length; i < total; i += 1) lines.push(line(i, `127.0.0.3:${1024 + i}`));
  return lines.join('\n');
}

/** NodeCollector.open, recording every attempt and how many are in flight; it refuses any non-loopback target. */
function openerSpy() {
  const spy = { attempted: [] as string[], opening: 0, peakOpening: 0, openNode: async (t: RedisTarget, o: RunAuditOptions, c: { memory: CollectionMemory | null }) => {
    spy.attempted.push(`${t.host}:${t.port}`);
    // Never let a broken rule send traffic off this host: only loopback is really opened.
    if (!['127.0.0.1', '::1'].includes(t.host)) throw new Error(`attempted ${t.host}`);
    spy.peakOpening = Math.max(spy.peakOpening, ++spy.opening);
    try {
      return await NodeCollector.open(t, o, c);
    } finally {
      spy.opening -= 1;
    }
  } };
  return spy;
}

/** runAudit's cluster path, with the seed opened here and the opener given (runAudit takes no opener). */
async function auditThroughSeed(opts: RunAuditOptions, openNode: ReturnType<typeof openerSpy>['openNode']) {
  const seed = await NodeCollector.open(opts.target, opts);
  const firstSample = await seed.sample();
  return runClusterAudit({ options: opts, seed, firstSample, startedAtMs: Date.now(), now: Date.now, sleep: () => Promise.resolve(), openNode });
}

function options(target: RedisTarget, samples = 2): RunAuditOptions {
  return {
    target, samples, intervalMs: 10, policy: defaultPolicy, previousState: null,
    connectTimeoutMs: 1000, commandTimeoutMs: 1000, toolVersion: 'test',
  };
}

beforeAll(async () => {
  const seed = fakeNode();
  servers.push(seed);
  seedPort = await listen(seed);
  for (let i = 0; i < RESPONDERS; i += 1) {
    const server = fakeNode();
    servers.push(server);
    responderPorts.push(await listen(server));
  }
  // Distinct ports: the kernel may hand out a port it just freed again.
  const taken = new Set([seedPort, ...responderPorts]);
  while (refusedPorts.length < MAX_CLUSTER_NODES - 1 - RESPONDERS) {
    const port = await closedPort();
    if (!taken.has(port)) refusedPorts.push(port);
    taken.add(port);
  }
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('a seed announcing thousands of nodes, some outside its network', () => {
  it(`contacts at most ${MAX_CLUSTER_NODES} loopback nodes, ${CLUSTER_CONNECTIONS_AT_ONCE} at a time, never the others, and ends with a partial report`, async () => {
    const responders = responderPorts.map((p) => `127.0.0.1:${p}`);
    const refused = refusedPorts.map((p) => `127.0.0.1:${p}`);
    clusterNodesText = announce([...OUTSIDE, ...responders, ...refused], ANNOUNCED);
    const target = parseTargetUrl(`redis://auditor:s3cret@127.0.0.1:${seedPort}`);
    const spy = openerSpy();
    peakWaiting = 0;
    const startedAtMs = Date.now();
    const result = await auditThroughSeed(options(target), spy.openNode);
    const elapsedMs = Date.now() - startedAtMs;
    const r = result.report;
    const { attempted, peakOpening } = spy;

    expect(attempted.sort()).toEqual([...responders, ...refused].sort());
    expect(peakOpening).toBe(CLUSTER_CONNECTIONS_AT_ONCE);
    expect(peakWaiting).toBeLessThanOrEqual(CLUSTER_CONNECTIONS_AT_ONCE);
    expect(peakWaiting).toBeGreaterThanOrEqual(CLUSTER_CONNECTIONS_AT_ONCE / 2); // still parallel
    expect(elapsedMs).toBeLessThan(15_000);
    expectValidReport(r);
    expect(r.status).toBe('partial');
    expect(r.nodes.filter((n) => n.errors.length === 0 && n.samples === 2)).toHaveLength(1 + RESPONDERS);
    for (const address of OUTSIDE) {
      expect(r.nodes.find((n) => n.address === address)?.errors).toEqual([expect.stringMatching(
        new RegExp(`^${address.replace(/[[\].]/g, '\\$&')} is outside the seed's network loopback \\(127\\.0\\.0\\.0/8, ::1\\): not contacted, credentials not sent \\(allow it with --cluster-allow`),
      )]);
    }
    expect(r.nodes.filter((n) => refused.includes(n.address)).every((n) => n.samples === 0 && n.errors.length === 1)).toBe(true);
    const rest = ANNOUNCED - 1 - OUTSIDE.length - (MAX_CLUSTER_NODES - 1);
    expect(r.nodes.find((n) => n.address === `(${rest} more nodes)`)?.errors).toEqual([
      `not audited: ${MAX_CLUSTER_NODES_LINES - OUTSIDE.length - MAX_CLUSTER_NODES} beyond the bound of ${MAX_CLUSTER_NODES} nodes a run (primaries are audited first); `
      + `${ANNOUNCED - MAX_CLUSTER_NODES_LINES} announced after the first ${MAX_CLUSTER_NODES_LINES} CLUSTER NODES lines (not read)`,
    ]);
    expect(r.nodes).toHaveLength(1 + RESPONDERS + refused.length + OUTSIDE.length + 1);
    expect(result.error?.message).toMatch(new RegExp(`^${ANNOUNCED - 1 - RESPONDERS} of ${ANNOUNCED} cluster nodes were not fully audited`));
  });

  it('stops contacting nodes at the audit deadline: the run ends soon after it, with the rest reported as not contacted', async () => {
    // CLUSTER NODES takes one delay, each node's AUTH and CLIENT SETNAME two: the deadline falls after the first
    // wave of opens started and before it ends.
    replyDelayMs = 300;
    try {
      clusterNodesText = announce([...OUTSIDE, ...responderPorts.map((p) => `127.0.0.1:${p}`), ...refusedPorts.map((p) => `127.0.0.1:${p}`)], ANNOUNCED);
      const target = parseTargetUrl(`redis://auditor:s3cret@127.0.0.1:${seedPort}`);
      const seedOpts = options(target);
      const spy = openerSpy();
      // The seed's own open and first sample (three commands) come first: the deadline counts from after them.
      const seed = await NodeCollector.open(target, seedOpts);
      const firstSample = await seed.sample();
      const deadlineAtMs = Date.now() + 2 * replyDelayMs;
      const result = await runClusterAudit({ options: { ...seedOpts, deadlineAtMs }, seed, firstSample, startedAtMs: Date.now(), now: Date.now, sleep: () => Promise.resolve(), openNode: spy.openNode });
      const overrunMs = Date.now() - deadlineAtMs;

      expect(spy.attempted).toHaveLength(CLUSTER_CONNECTIONS_AT_ONCE);
      expect(overrunMs).toBeLessThan(2 * replyDelayMs + 1000); // the wave in flight, then closing
      expect(result.report.status).toBe('partial');
      const errors = result.report.nodes.flatMap((n) => n.errors);
      expect(errors.filter((e) => /^the audit deadline was reached before 127\.0\.0\.1:\d+ was contacted$/.test(e))).toHaveLength(MAX_CLUSTER_NODES - 1 - CLUSTER_CONNECTIONS_AT_ONCE);
      expect(errors.filter((e) => e === 'the audit deadline was reached before this node\'s sample')).toHaveLength(CLUSTER_CONNECTIONS_AT_ONCE);
    } finally {
      replyDelayMs = 20;
    }
  });

  it('holds no more node connections than the process budget shared by clusters audited together, and gives them all back', async () => {
    clusterNodesText = announce(responderPorts.map((p) => `127.0.0.1:${p}`), 1 + RESPONDERS);
    const budget = new ConnectionBudget(30);
    expect(budget.tryAcquire()).toBe(true); // another cluster of the same invocation holds one already
    const target = parseTargetUrl(`redis://127.0.0.1:${seedPort}`);
    const opts = options(target);
    const seed = await NodeCollector.open(target, opts);
    const firstSample = await seed.sample();
    const spy = openerSpy();
    const result = await runClusterAudit({ options: opts, seed, firstSample, startedAtMs: Date.now(), now: Date.now, sleep: () => Promise.resolve(), openNode: spy.openNode, budget });

    expect(spy.attempted).toHaveLength(29);
    expect(result.report.status).toBe('partial');
    const refused = result.report.nodes.flatMap((n) => n.errors).filter((e) => e.includes('this process already holds 30 node connections'));
    expect(refused).toHaveLength(RESPONDERS - 29);
    expect(budget.inUse).toBe(1); // this run gave back every connection it took
  });

  it(`opens and samples the nodes of a loopback cluster ${CLUSTER_CONNECTIONS_AT_ONCE} at a time through runAudit, and audits them all`, async () => {
    clusterNodesText = announce(responderPorts.map((p) => `127.0.0.1:${p}`), 1 + RESPONDERS);
    peakWaiting = 0;
    const result = await runAudit(options(parseTargetUrl(`redis://127.0.0.1:${seedPort}`), 3));

    expect(result.error).toBeNull();
    expect(result.report.status).toBe('ok');
    expect(result.report.nodes.map((n) => n.samples)).toEqual(new Array<number>(1 + RESPONDERS).fill(3));
    expect(peakWaiting).toBeLessThanOrEqual(CLUSTER_CONNECTIONS_AT_ONCE);
    expect(peakWaiting).toBeGreaterThanOrEqual(CLUSTER_CONNECTIONS_AT_ONCE / 2);
  });
});
