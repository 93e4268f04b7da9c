// --state-file between runs: churn and rejected connections across runs, a restart resetting the
// baseline, a damaged state file costing only the history.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { fillUp } from '../support/fill-up.js';
import { cli, type CliClock } from '../support/run-cli.js';
import { expectValidReport } from '../support/report-schema.js';
import { fastClock } from '../support/wait.js';

const servers: LocalRedisServer[] = [];
const handles: WorkloadHandle[] = [];
afterEach(async () => {
  await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
});

async function server(args: string[] = [], port?: number): Promise<LocalRedisServer> {
  const started = await startLocalRedis({ args, ...(port ? { port } : {}) });
  servers.push(started);
  return started;
}

async function auditWithState(url: string, stateFile: string, extra: string[] = [], clock: CliClock = {}): Promise<AuditReport> {
  const run = await cli(['audit', '--url', url, '--json', '--state-file', stateFile, '--fail-on', 'never', ...extra], {}, clock);
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as AuditReport;
  expectValidReport(report);
  return report;
}

/** The next run, as if it ran `ms` later: a rate needs a second between samples, which no server measures here. */
const later = (ms: number): CliClock => fastClock(ms);

describe('history between runs (--state-file)', () => {
  it('has no churn figure on the first run and one on the second', async () => {
    const redis = await server();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-state-')), 'state.json');
    const first = await auditWithState(redis.url, stateFile);
    expect(first.summary.newConnectionsPerMinute).toBeNull();
    handles.push(await perRequestLeak({ host: redis.host, port: redis.port }, '127.0.0.21', { count: 30 }));
    const second = await auditWithState(redis.url, stateFile, ['--min-group-connections', '10'], later(1200));
    expect(second.history).toMatchObject({ source: 'state', samplesInState: 1, samplesThisRun: 1 });
    // 30 connections in about 1.2 s of the auditor's clock: well over a thousand a minute, the auditor's own connection not counted.
    expect(second.summary.newConnectionsPerMinute).toBeGreaterThan(600);
    expect(second.findings.map((f) => f.kind)).toContain('connection-growth');
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as { samples: unknown[] }).samples).toHaveLength(2);
  });

  it('counts the auditor alone as no churn at all', async () => {
    const redis = await server();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-state-')), 'state.json');
    await auditWithState(redis.url, stateFile);
    const second = await auditWithState(redis.url, stateFile, [], later(1100));
    expect(second.summary.newConnectionsPerMinute).toBe(0);
  });

  it('resets the baseline when the server restarted between runs: no negative or absurd rate', async () => {
    const redis = await server();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-state-')), 'state.json');
    handles.push(await perRequestLeak({ host: redis.host, port: redis.port }, '127.0.0.22', { count: 40 }));
    await auditWithState(redis.url, stateFile);
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await redis.stop();
    servers.splice(0);
    const restarted = await server([], redis.port);
    const after = await auditWithState(restarted.url, stateFile, [], later(1100));
    expect(after.summary.newConnectionsPerMinute).toBeNull();
    expect(after.history.baselineResets).toBe(1);
    expect(after.findings.filter((f) => f.kind === 'connection-churn' || f.kind === 'connection-growth')).toEqual([]);
  });

  it('reports connections rejected since the last run as critical', async () => {
    const redis = await server(['--maxclients', '4']);
    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-state-')), 'state.json');
    await auditWithState(redis.url, stateFile);
    // The connection fillUp() sees refused is counted in rejected_connections; one is freed for the auditor.
    const held = await fillUp(redis);
    await held.pop()?.close();
    const after = await auditWithState(redis.url, stateFile, [], later(1100));
    await Promise.all(held.map((c) => c.close()));
    expect(after.summary.rejectedSinceLastAudit).toBeGreaterThanOrEqual(1);
    expect(after.findings.find((f) => f.kind === 'rejected-connections')?.severity).toBe('critical');
  });

  it('starts history afresh, with a warning, when the state file is damaged', async () => {
    const redis = await server();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-state-')), 'state.json');
    writeFileSync(stateFile, '{"schemaVersion":1,"samples":[tru');
    const report = await auditWithState(redis.url, stateFile);
    expect(report.history.warnings).toEqual(['the state is not valid JSON; history starts again from this run']);
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as { samples: unknown[] }).samples).toHaveLength(1);
  });
});

describe('a server at maxclients', () => {
  it('reports maxclients-exhausted as critical when it refuses the auditor, and exits 1', async () => {
    const redis = await server(['--maxclients', '4']);
    const held = await fillUp(redis);
    const run = await cli(['audit', '--url', redis.url, '--json']);
    await Promise.all(held.map((c) => c.close()));
    const report = JSON.parse(run.stdout) as AuditReport;
    expectValidReport(report);
    expect(run.code).toBe(1);
    expect(report.status).toBe('failed');
    expect(report.findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['maxclients-exhausted:critical']);
    expect(run.stderr).toMatch(/maxclients/);
  });
});
