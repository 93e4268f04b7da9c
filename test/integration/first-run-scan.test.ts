// A first run on a long-lived server: a real redis-server that has received 60,000+ connections (a reconnecting
// redis-benchmark) and holds 700 clients, old and new, listed by id from the newest ids down within the stall
// budget, with no memory of an earlier run; after CONFIG RESETSTAT; cut short by the command allowance (nothing
// listed, the scan goes on in the next samples), and with --over-budget list-all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import { assessAudit } from '../../lambda/core/audit.js';
import { listedIds } from '../../lambda/core/id-scan.js';
import { defaultPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import { NodeCollector, type CollectorOptions } from '../../lambda/redis/node-collector.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';

const run = promisify(execFile);
const timeouts = { connectTimeoutMs: 2000, commandTimeoutMs: 5000 };
const CHURN = 60_000;
let server: LocalRedisServer;
let control: RespClient;
const handles: WorkloadHandle[] = [];

/** One sample by a fresh collector (no memory of an earlier sample), closed after. */
async function sampleWith(options: CollectorOptions = {}): Promise<RawNodeSample> {
  const collector = await NodeCollector.open(parseTargetUrl(server.url), timeouts, options);
  try {
    return await collector.sample();
  } finally {
    await collector.close();
  }
}

/** The ids of every client but the auditor's, from one plain CLIENT LIST. */
async function heldIds(): Promise<number[]> {
  const text = String(await control.command('CLIENT', 'LIST'));
  return text.split('\n').filter((l) => l.startsWith('id=') && !l.includes('name=redis-leak-auditor')).map((l) => listedIds(l)[0] as number).sort((a, b) => a - b);
}

function ids(sample: RawNodeSample): number[] {
  return listedIds(sample.clientListText ?? '').filter((id) => !(sample.clientListText ?? '').includes(`id=${id} addr=${sample.auditorAddresses[0]} `)).sort((a, b) => a - b);
}

beforeAll(async () => {
  server = await startLocalRedis({ args: ['--maxclients', '2000'] });
  control = await RespClient.connect({ host: server.host, port: server.port });
  const target = { host: server.host, port: server.port };
  // Old clients first, then tens of thousands of connections opened and closed, then recent clients.
  handles.push(await idlePool(target, '127.0.0.81', { size: 500, name: 'old-pool' }));
  await run('redis-benchmark', ['-h', server.host, '-p', String(server.port), '-k', '0', '-c', '20', '-n', String(CHURN), '-t', 'ping', '-q'], { timeout: 90_000 });
  handles.push(await idlePool(target, '127.0.0.82', { size: 200, name: 'new-pool' }));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  control?.destroy();
  await server?.stop();
});

describe('a first run on a server that has received tens of thousands of connections', () => {
  it('lists every client by id within the stall budget, and says what the listing cost', async () => {
    const info = String(await control.command('INFO', 'stats'));
    expect(Number(/total_connections_received:(\d+)/.exec(info)?.[1])).toBeGreaterThan(CHURN);
    const expected = await heldIds();

    const sample = await sampleWith();

    expect(sample.collection).toMatchObject({ method: 'client-list-by-id', reason: expect.stringMatching(/^no ids from an earlier sample/) });
    expect(sample.errors).toEqual([]);
    expect(ids(sample)).toEqual(expected);
    const c = sample.collection;
    expect(c?.estimatedLongestMs).toBeGreaterThan(0);
    expect(c?.estimatedLongestMs).toBeLessThanOrEqual(defaultPolicy.maxStallMs);
    expect(c?.idsLookedUp).toBeGreaterThan(CHURN); // down to the old pool, below the churned ids
    expect(c?.clientsListed).toBe(expected.length + 1);
    const { report } = assessAudit({ target: server.url, samples: [[sample]], failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 1, toolVersion: 'test' });
    expect(report.auditor.listing).toMatchObject({ maxStallMs: 1, idsLookedUp: c?.idsLookedUp, clientsListed: expected.length + 1 });
    expect(report.auditor.listing.estimatedServerMs).toBeGreaterThan(report.auditor.listing.estimatedLongestMs);
  });

  it('finds the newest ids from its own id (HELLO) after CONFIG RESETSTAT zeroed INFO\'s counter', async () => {
    await control.command('CONFIG', 'RESETSTAT');
    const expected = await heldIds();

    const sample = await sampleWith();

    expect(sample.collection?.method).toBe('client-list-by-id');
    expect(sample.errors).toEqual([]);
    expect(ids(sample)).toEqual(expected);
  });

  it('lists nothing in a sample whose command allowance cannot finish the scan, and finishes it over the next samples', async () => {
    const expected = await heldIds();

    // How many samples it takes depends on the speed factor INFO cpu calibrates (a loaded machine shrinks the
    // batches): sample until a listing appears, within a bound, and check every deferred sample made progress.
    const collector = await NodeCollector.open(parseTargetUrl(server.url), timeouts, { scanOptions: { maxCommands: 60 } });
    const samples: RawNodeSample[] = [];
    try {
      while (samples.length < 40 && samples[samples.length - 1]?.clientListText == null) samples.push(await collector.sample());
    } finally {
      await collector.close();
    }

    const first = samples[0] as RawNodeSample;
    expect(first.clientListText).toBeNull();
    expect(first.incomplete).toBeUndefined(); // a choice within the budget, not a failure
    expect(first.collection?.deferred).toBe(true);
    expect(first.errors[0]).toMatch(/^listing by id was cut short by the 60 commands one sample may send .*: clients were not listed this sample, within the 1 ms stall budget; the ids found so far are kept, and the next samples go on from there \(--over-budget list-all lists them all at once instead\)$/);
    const report = assessAudit({ target: server.url, samples: [[first]], failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 1, toolVersion: 'test' }).report;
    expect(report.auditor.method).toBe('info-only');
    expect(report.limitations?.join(' ')).toContain('would have held the server longer than the stall budget allows');
    const done = samples.find((s) => s.clientListText !== null);
    expect(done, `collections: ${JSON.stringify(samples.map((s) => s.collection))}`).toBeDefined();
    const stillToLookUp = samples.slice(0, -1).map((s) => Number(/([\d,]+) ids still to look up/.exec(s.errors[0] ?? '')?.[1]?.replace(/,/g, '')));
    stillToLookUp.forEach((left, i) => expect(left, `sample ${i + 1} of ${JSON.stringify(stillToLookUp)}`).toBeLessThan(i === 0 ? Number.POSITIVE_INFINITY : (stillToLookUp[i - 1] as number)));
    expect(ids(done as RawNodeSample)).toEqual(expected);
  });

  it('lists them all in one CLIENT LIST when the user allows it and the scan cannot finish', async () => {
    const sample = await sampleWith({ stall: { maxStallMs: 1, overBudget: 'list-all' }, scanOptions: { maxCommands: 40 } });

    expect(sample.collection).toMatchObject({ method: 'client-list', reason: expect.stringContaining('as --over-budget list-all allows') });
    expect(ids(sample)).toEqual(await heldIds());
  });
});
