// The low-stall method (CLIENT LIST ID in bounded batches) against a plain CLIENT LIST on the same server
// state: the same report, sample after sample, and picked up across runs through the state file; and how an
// audit deadline cuts a listing short. A first run on a long-lived server: test/integration/first-run-scan.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { idlePool, perRequestLeak, pubsubLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { assessAudit } from '../../lambda/core/audit.js';
import { CommandTimeoutError, DeadlineReachedError } from '../../lambda/core/errors.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { NodeCollector, type CollectorOptions } from '../../lambda/redis/node-collector.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { cli } from '../support/run-cli.js';

let server: LocalRedisServer;
const handles: WorkloadHandle[] = [];
const collectors: NodeCollector[] = [];
const timeouts = { connectTimeoutMs: 2000, commandTimeoutMs: 5000 };
const PLAIN: CollectorOptions = { listing: 'plain' };
/** A budget so small (0.1 ms) that even these few clients are listed by id, 50 ids a command at most. */
const BY_ID: CollectorOptions = { stall: { maxStallMs: 0.1, overBudget: 'info-only' }, scanOptions: { maxIdsPerCommand: 50 } };

/** One sample by a collector of its own, closed right after (so that collectors never see each other). */
async function sampleOnce(options: CollectorOptions): Promise<RawNodeSample> {
  const once = await collector(options);
  try {
    return await once.sample();
  } finally {
    await once.close();
  }
}

async function collector(options: CollectorOptions): Promise<NodeCollector> {
  const opened = await NodeCollector.open(parseTargetUrl(server.url), timeouts, options);
  collectors.push(opened);
  return opened;
}

/** The report of one sample, without what depends on the second it was taken in or on how it was read. */
function comparable(raw: RawNodeSample): unknown {
  const { report } = assessAudit({
    target: server.url, samples: [[raw]], failedNodes: [], previousState: null, policy: { ...defaultPolicy, idleSeconds: 3600, minGroupConnections: 5 },
    startedAtMs: 0, nowMs: 0, toolVersion: 'test',
  });
  const strip = (key: string, value: unknown) =>
    ['oldestAgeSeconds', 'maxIdleSeconds', 'ageSeconds', 'idleSeconds', 'ageBuckets', 'auditor', 'topIdle', 'connectedClients', 'analysedConnections', 'idle', 'young'].includes(key) ? undefined : value;
  return JSON.parse(JSON.stringify({ groups: report.groups, findings: report.findings, summary: report.summary }, strip));
}

beforeAll(async () => {
  server = await startLocalRedis();
  const target = { host: server.host, port: server.port };
  handles.push(
    await perRequestLeak(target, '127.0.0.51', { count: 120, name: 'orders' }),
    await pubsubLeak(target, '127.0.0.52', { count: 30 }),
    await idlePool(target, '::1', { size: 8, name: 'cron' }),
  );
});

afterAll(async () => {
  await Promise.allSettled(collectors.map((c) => c.close()));
  await Promise.allSettled(handles.map((h) => h.stop()));
  await server?.stop();
});

describe('listing clients by id in bounded batches', () => {
  it('yields the same report as a plain CLIENT LIST on the same server state, in several commands', async () => {
    const plain = await sampleOnce(PLAIN);
    const byId = await sampleOnce(BY_ID);
    expect(plain.collection?.method).toBe('client-list');
    expect(byId.collection?.method).toBe('client-list-by-id');
    expect(byId.collection?.clientListCommands).toBeGreaterThan(2);
    const expected = comparable(plain) as { groups: { bySourceIp: Array<{ key: string; connections: number }> } };
    expect(expected.groups.bySourceIp.map((g) => [g.key, g.connections])).toEqual([['127.0.0.51', 120], ['127.0.0.52', 30], ['::1', 8]]);
    expect(comparable(byId)).toEqual(expected);
  });

  it('finds connections opened and misses none closed since the previous sample', async () => {
    const byIdCollector = await collector(BY_ID);
    await byIdCollector.sample();
    const opened = await perRequestLeak({ host: server.host, port: server.port }, '127.0.0.53', { count: 40, name: 'late' });
    await handles.shift()?.stop(); // the 120 connections of 127.0.0.51 close
    handles.push(opened);
    const next = await byIdCollector.sample();
    await byIdCollector.close();
    const plain = await sampleOnce(PLAIN);
    expect(next.collection).toMatchObject({ method: 'client-list-by-id', reason: expect.stringMatching(/^\d+ known ids, the ids handed out since/) });
    expect(comparable(next)).toEqual(comparable(plain));
    expect(next.clientListText).toContain('name=late');
    expect(next.clientListText).not.toContain('addr=127.0.0.51');
  });
});

describe('across runs', () => {
  it('lists by id on the second CLI run, from the ids kept in the state file', async () => {
    // Above what one CLIENT LIST may list within the default 1 ms budget, so that the default plan batches.
    const crowd = await idlePool({ host: server.host, port: server.port }, '127.0.0.54', { size: 1100, name: 'crowd' });
    handles.push(crowd);
    const stateFile = `${server.dir}/state.json`;
    const args = ['audit', '--url', server.url, '--json', '--state-file', stateFile, '--fail-on', 'never'];
    const first = JSON.parse((await cli(args)).stdout) as AuditReport;
    const second = JSON.parse((await cli(args)).stdout) as AuditReport;
    expect(first.auditor.method).toBe('client-list-by-id');
    expect(second.auditor.method).toBe('client-list-by-id');
    expect(second.auditor.clientListCommands).toBeGreaterThan(1);
    expect(second.groups.byName.find((g) => g.key === 'crowd')?.connections).toBe(1100);
  }, 30_000);
});

describe('with an audit deadline', () => {
  it('starts no CLIENT LIST batch after the deadline, lists nothing rather than a part, and says the sample is incomplete', async () => {
    const byId = await collector(BY_ID);
    // A clock that stands still (every command keeps its whole timeout) until its eighth look, then is past the
    // deadline: it falls mid-listing whatever the machine's speed.
    let looks = 0;
    const now = () => (++looks < 8 ? 0 : 10_000);

    const sample = await byId.sample(now, { deadlineAtMs: 1_000 });

    const cut = /^listing by id was cut short by the audit deadline \(([\d,]+) ids looked up, [\d,]+ clients found, ([\d,]+) ids still to look up\)$/.exec(sample.errors[0] ?? '');
    expect(cut, `errors: ${JSON.stringify(sample.errors)}; commands: ${sample.collection?.clientListCommands}`).not.toBeNull();
    expect(Number(cut?.[1]?.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(Number(cut?.[2]?.replace(/,/g, ''))).toBeGreaterThan(0);
    // A part of the clients would undercount every workload: nothing is listed, and the report is partial.
    expect(sample.clientListText).toBeNull();
    expect(sample.incomplete).toBe(true);
    expect(assessAudit({
      target: server.url, samples: [[sample]], failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 0, toolVersion: 'test',
    }).report.status).toBe('partial');
  });

  it('samples as before when the deadline is far', async () => {
    const sample = await (await collector(BY_ID)).sample(Date.now, { deadlineAtMs: Date.now() + 60_000 });

    expect(sample.errors).toEqual([]);
    expect(sample.incomplete).toBeUndefined();
  });

  it('refuses to start a sample after the deadline', async () => {
    await expect((await collector(PLAIN)).sample(Date.now, { deadlineAtMs: Date.now() - 1 })).rejects.toThrow(DeadlineReachedError);
  });

  it('cuts a command\'s timeout to the time left before the deadline', async () => {
    const hung = await startLocalRedis();
    try {
      const opened = await NodeCollector.open(parseTargetUrl(hung.url), timeouts); // command timeout 5000 ms
      collectors.push(opened);
      hung.process.kill('SIGSTOP');
      const started = Date.now();

      const err = await opened.sample(Date.now, { deadlineAtMs: started + 300 }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect((err as Error).message).toMatch(/did not answer INFO within [1-3]\d\d ms$/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      hung.process.kill('SIGCONT');
      await Promise.allSettled(collectors.map((c) => c.close()));
      await hung.stop();
    }
  });
});
