// What runAudit tells its progress listener (RunAuditOptions.onProgress) against real servers, a single node
// and a local Redis Cluster: each node's sample as it starts, the pause before the next sample, the clients
// listed; and that a listener that throws changes nothing in the audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditProgress } from '../../lambda/audit-progress.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { runAudit, type RunAuditOptions } from '../../lambda/run-audit.js';
import { LocalCluster } from '../support/local-cluster.js';

const INTERVAL_MS = 60_000;

function options(url: string, onProgress?: (event: AuditProgress) => void): RunAuditOptions {
  return {
    target: parseTargetUrl(url), samples: 2, intervalMs: INTERVAL_MS, policy: defaultPolicy, previousState: null,
    connectTimeoutMs: 2000, commandTimeoutMs: 5000, toolVersion: 'test',
    // The pause is not waited for: the events say it was announced.
    sleep: () => Promise.resolve(),
    ...(onProgress ? { onProgress } : {}),
  };
}

/** Every event but the listings, as short text, in order. */
const steps = (events: readonly AuditProgress[]) => events.flatMap((e) =>
  e.kind === 'sample' ? [`sample ${e.sample}/${e.of} ${e.node}`] : e.kind === 'waiting' ? [`waiting ${e.sample}/${e.of} ${e.nextInMs}`] : []);

describe('progress of a single node', () => {
  let server: LocalRedisServer;
  let leak: WorkloadHandle | undefined;

  beforeAll(async () => {
    server = await startLocalRedis({ ipv6: false });
    leak = await perRequestLeak({ host: server.host, port: server.port }, '127.0.0.4', { count: 40, name: 'orders' });
  });
  afterAll(async () => {
    await leak?.stop();
    await server?.stop();
  });

  it('tells each sample, and the pause before the next with the interval', async () => {
    const events: AuditProgress[] = [];
    await runAudit(options(server.url, (e) => events.push(e)));
    const node = `127.0.0.1:${server.port}`;
    expect(steps(events)).toEqual([`sample 1/2 ${node}`, `waiting 2/2 ${INTERVAL_MS}`, `sample 2/2 ${node}`]);
  });

  it('tells the clients listed in each sample, after that sample started', async () => {
    const events: AuditProgress[] = [];
    await runAudit(options(server.url, (e) => events.push(e)));
    const secondSample = events.findIndex((e) => e.kind === 'sample' && e.sample === 2);
    const listings = events.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'listing');
    expect(listings.some(({ i }) => i < secondSample)).toBe(true);
    expect(listings.some(({ i }) => i > secondSample)).toBe(true);
    const last = listings[listings.length - 1]?.e;
    expect(last).toMatchObject({ kind: 'listing', node: `127.0.0.1:${server.port}` });
    expect(last?.kind === 'listing' && last.listed).toBeGreaterThanOrEqual(40);
  });

  it('audits the same with a listener that throws', async () => {
    const quiet = await runAudit(options(server.url));
    const loud = await runAudit(options(server.url, () => { throw new Error('a broken display'); }));
    expect(loud.error).toBeNull();
    expect(loud.report.status).toBe(quiet.report.status);
    expect(loud.report.findings.map((f) => f.kind)).toEqual(quiet.report.findings.map((f) => f.kind));
  });
});

describe('progress of a cluster', () => {
  let cluster: LocalCluster | undefined;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodeTimeoutMs: 2000, readyTimeoutMs: 15_000 });
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 20_000);

  it('tells every node\'s sample, round after round, with one pause between the rounds', async () => {
    if (cluster === undefined) throw new Error('the test cluster did not start');
    const events: AuditProgress[] = [];
    const result = await runAudit(options(`redis://127.0.0.1:${cluster.seed}`, (e) => events.push(e)));
    expect(result.error).toBeNull();
    const nodes = cluster.servers.map((s) => `127.0.0.1:${s.port}`).sort();
    const started = (sample: number) => events.flatMap((e) => (e.kind === 'sample' && e.sample === sample ? [e.node] : [])).sort();
    expect(started(1)).toEqual(nodes);
    expect(started(2)).toEqual(nodes);
    const waiting = events.filter((e) => e.kind === 'waiting');
    expect(waiting).toEqual([{ kind: 'waiting', sample: 2, of: 2, nextInMs: INTERVAL_MS }]);
    // Every sample of the first round starts before the pause, every one of the second after it.
    const pause = events.indexOf(waiting[0] as AuditProgress);
    expect(events.slice(0, pause).every((e) => e.kind !== 'sample' || e.sample === 1)).toBe(true);
    expect(events.slice(pause).every((e) => e.kind !== 'sample' || e.sample === 2)).toBe(true);
    const listed = new Set(events.flatMap((e) => (e.kind === 'listing' ? [e.node] : [])));
    expect([...listed].sort()).toEqual(nodes);
  });
});
