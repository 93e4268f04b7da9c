// Issue 13, continued (see hostile-server.test.ts): replies of the wrong shape or content (nil, swapped, escapes,
// absurd counters, 1 MB names) through the built CLI, and the bundled Lambda auditing a hostile server beside a
// healthy redis-server: the healthy target's report is still delivered and the invocation does not die.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { buildLambdaBundle, type LambdaBundle } from '../support/lambda-bundle.js';
import { runMeasured, type MeasuredRun } from '../support/child-rss.js';
import { auditOnce, itIsBoundedAndHonest } from './hostile/expectations.js';
import { startHostileServer, type HostileMode, type HostileServer } from './hostile/hostile-server.js';

describe('CLIENT LIST answered $-1 (nil) while INFO counts 5 clients', () => {
  itIsBoundedAndHonest(auditOnce('nil-list'));
});

describe('INFO answered with CLIENT LIST text, CLIENT LIST with INFO text', () => {
  itIsBoundedAndHonest(auditOnce('swapped'));
});

describe('ANSI and OSC escapes and U+202E in INFO fields, error replies and client names', () => {
  describe('--json', () => itIsBoundedAndHonest(auditOnce('escape')));
  describe('the text report', () => itIsBoundedAndHonest(auditOnce('escape', [], false)));
});

describe('CLIENT LIST refused with an error message that carries escapes', () => {
  describe('--json', () => itIsBoundedAndHonest(auditOnce('escape-error')));
  describe('the text report', () => itIsBoundedAndHonest(auditOnce('escape-error', [], false)));
});

describe('absurd INFO: maxclients:0, negative and NaN counters (CONFIG GET says maxclients 10000)', () => {
  const run = auditOnce('absurd');
  itIsBoundedAndHonest(run);

  it('reports no negative, NaN or zero maxclients figure as if it were read', () => {
    if (run.audit.run.code === 2) return; // not audited: nothing was reported as read
    expect(run.audit.report, 'a JSON report on stdout').not.toBeNull();
    const summary = (run.audit.report?.summary ?? {}) as Record<string, unknown>;
    for (const key of ['connectedClients', 'maxClients', 'utilization', 'rejectedConnections', 'blockedClients']) {
      const value = summary[key];
      if (value === null || value === undefined) continue;
      expect(typeof value === 'number' && Number.isFinite(value) && value >= 0, `${key}: ${String(value)}`).toBe(true);
    }
    expect(summary.maxClients).not.toBe(0);
  });
});

describe('8 clients whose names are 1 MB each', () => {
  itIsBoundedAndHonest(auditOnce('long-names'));
});

// --- The bundled Lambda ------------------------------------------------------------------------------------
const RUNNER = fileURLToPath(new URL('../support/bundle/hostile-run.mjs', import.meta.url));
/** The Lambda's memory (lib/redis-leak-auditor.ts, memorySize default): above it the function is killed. */
const LAMBDA_MEMORY_MB = 512;
/**
 * What the fake context says remains of the invocation: the handler keeps 15 s of it for delivery
 * (DELIVERY_RESERVE_MS, lambda/core/deadline.ts), and each target's audit gets AUDIT_DEADLINE_SECONDS.
 */
const REMAINING_MS = 30_000;
const AUDIT_DEADLINE_SECONDS = 8;

interface StoredReport { status?: string; target?: string; nodes?: Array<{ errors?: string[] }>; summary?: { analysedConnections?: number } }
interface LambdaRun { run: MeasuredRun; output: { result: { targets: Array<{ target: string; status: string }> }; stored: Record<string, string> } | null }

let healthy: LocalRedisServer;
let bundle: LambdaBundle;

beforeAll(async () => {
  healthy = await startLocalRedis();
  bundle = await buildLambdaBundle('rla-hostile-bundle');
}, 60_000);

afterAll(async () => {
  bundle?.remove();
  await healthy?.stop();
});

async function invokeBundle(hostile: HostileServer): Promise<LambdaRun> {
  const targets = JSON.stringify([{ name: 'hostile', url: hostile.url }, { name: 'healthy', url: healthy.url }]);
  const run = await runMeasured(process.execPath, [RUNNER, bundle.file, targets, String(REMAINING_MS)], {
    timeoutMs: REMAINING_MS + 10_000, maxRssKb: 2 * LAMBDA_MEMORY_MB * 1024,
    env: { PATH: process.env.PATH ?? '', AUDIT_DEADLINE_SECONDS: String(AUDIT_DEADLINE_SECONDS) },
  });
  const line = run.stdout.toString('utf8').split('\n').filter((l) => l.startsWith('{"result"')).pop();
  return { run, output: line ? (JSON.parse(line) as LambdaRun['output']) : null };
}

describe.each<HostileMode>(['huge-array-header', 'fast-huge-list'])('the bundled Lambda auditing a hostile server (%s) and a healthy one', (mode) => {
  const lambda = {} as { hostile: HostileServer; invocation: LambdaRun };
  beforeAll(async () => {
    lambda.hostile = await startHostileServer(mode);
    lambda.invocation = await invokeBundle(lambda.hostile);
  }, 60_000);
  afterAll(async () => {
    await lambda.hostile?.stop();
  });

  it('returns from the invocation instead of dying, within the time the context gave it', () => {
    const { run, output } = lambda.invocation;
    expect(output, `exit ${run.code} (signal ${run.signal}, killed for ${run.killedFor}); stderr: ${run.stderr.toString('utf8').slice(-800)}`).not.toBeNull();
    expect(run.code).toBe(0);
    expect(run.wallMs).toBeLessThan(REMAINING_MS);
  });

  it(`stays under the Lambda's ${LAMBDA_MEMORY_MB} MB`, () => {
    expect(lambda.invocation.run.killedFor).toBeNull();
    expect(lambda.invocation.run.peakRssKb).toBeLessThan(LAMBDA_MEMORY_MB * 1024);
  });

  it('still delivers the healthy target\'s full report to S3', () => {
    const stored = lambda.invocation.output?.stored['/audit-reports-test/reports/healthy/latest.json'];
    expect(stored, 'no report stored for the healthy target').toBeDefined();
    const report = JSON.parse(stored ?? '{}') as StoredReport;
    const errors = report.nodes?.flatMap((n) => n.errors ?? []) ?? [];
    expect(report, `node errors: ${JSON.stringify(errors).slice(0, 400)}`).toMatchObject({ target: healthy.url, status: 'ok' });
    expect(errors).toEqual([]);
    expect(lambda.invocation.output?.result.targets).toContainEqual(expect.objectContaining({ target: 'healthy', status: 'ok' }));
  });

  it('reports the hostile target as not fully read (failed or partial), not ok', () => {
    const outcome = lambda.invocation.output?.result.targets.find((t) => t.target === 'hostile');
    expect(outcome?.status).toMatch(/^(failed|partial)$/);
  });
});
