// The CLI ends as soon as its work is done (issue 16): after listing a few thousand clients (a reply of about
// a megabyte, which made ioredis's reply parser keep a 50 ms interval timer alive for seconds), nothing may
// keep the process alive once runCli has returned: no timer, no socket, no pending request. Checked on what
// Node itself reports (process.getActiveResourcesInfo) in a child process of its own, not on a stopwatch.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/cli-leftovers.ts', import.meta.url));
const SOURCES = ['127.0.0.2', '127.0.0.3'];
const PER_SOURCE = 2000;

interface ChildResult { code: number; leftovers: string[]; stdout: string; stderr: string }

let server: LocalRedisServer;
const workloads: WorkloadHandle[] = [];

beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false, args: ['--maxclients', String(SOURCES.length * PER_SOURCE + 100)] });
  const target = { host: server.host, port: server.port };
  for (const source of SOURCES) workloads.push(await perRequestLeak(target, source, { count: PER_SOURCE, name: 'big' }));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(workloads.map((w) => w.stop()));
  await server?.stop();
});

/** Runs the CLI in a child (test/support/cli-leftovers.ts) and resolves with its line once the child has exited. */
function runInChild(args: readonly string[]): Promise<ChildResult & { exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      try {
        resolve({ ...(JSON.parse(out) as ChildResult), exitCode });
      } catch {
        reject(new Error(`the child printed no result (exit ${exitCode}):\n${out.slice(0, 2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

describe('the CLI once its audit is done', () => {
  it(`leaves nothing that keeps the process alive after listing ${SOURCES.length * PER_SOURCE} clients`, async () => {
    const result = await runInChild(['audit', '--url', server.url, '--json']);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as AuditReport;
    expect(report.summary.connectedClients).toBeGreaterThanOrEqual(SOURCES.length * PER_SOURCE);
    expect(result.leftovers).toEqual([]);
    expect(result.exitCode).toBe(0); // the child's own code: it ended by itself, and printed its line
  });

  it('leaves nothing alive after several samples with a pause between them', async () => {
    const result = await runInChild(['audit', '--url', server.url, '--json', '--samples', '2', '--interval', '0.2']);
    expect((JSON.parse(result.stdout) as AuditReport).history.samplesThisRun).toBe(2);
    expect(result.leftovers).toEqual([]);
  });
});
