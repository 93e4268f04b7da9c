// The benchmark harness in its smoke mode (bash bench/run.sh --smoke), as CI runs it: it must finish, print its
// tables and write results with every section's numbers. No timing is asserted: benchmarks measure, tests check.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const TREE_RESULTS = join(ROOT, 'bench', 'results.json');

interface Run { code: number; stdout: string; stderr: string }

function runSmoke(out: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', ['bench/run.sh', '--smoke', '--out', out], { cwd: ROOT, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? -1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

type Json = Record<string, unknown>;
interface Spread { median: number; min: number; max: number }
interface MethodSummary {
  method: string; skipped?: string; listingUsed?: string[]; longestCommandMs?: Spread; serverTotalMs?: Spread;
  commands?: Spread; wallMs?: Spread; proberRequests?: Spread;
}
interface LiveSection {
  skipped?: string;
  auditDurationMs: number;
  sizes: Array<{
    held: number; connectedClients: number; receivedAtStart: number; churn: { connections: number; durationMs: number };
    methods: MethodSummary[]; samples: unknown[];
  }>;
}
const finite = expect.any(Number) as unknown;

function expectPositive(value: unknown, what: string): void {
  expect(typeof value === 'number' && Number.isFinite(value) && value > 0, `${what} = ${String(value)}`).toBe(true);
}

let run: Run;
let results: Json;
let out: string;
let treeResultsMtime: number | null;

beforeAll(async () => {
  out = join(mkdtempSync(join(tmpdir(), 'rla-bench-smoke-')), 'results.smoke.json');
  treeResultsMtime = existsSync(TREE_RESULTS) ? statSync(TREE_RESULTS).mtimeMs : null;
  run = await runSmoke(out);
  results = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Json) : {};
}, 120_000);
afterAll(() => rmSync(dirname(out), { recursive: true, force: true }));

describe('bash bench/run.sh --smoke', () => {
  it('exits 0 with no failed section', () => {
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    expect(results.failedSections).toEqual([]);
  });

  it('prints one table per section and the path of the results', () => {
    expect(run.stdout).toContain('== CLIENT LIST parse + analysis');
    expect(run.stdout).toContain('== Peak memory analysing');
    expect(run.stdout).toContain('== Lambda bundle');
    expect(run.stdout).toContain('== Estimated monthly Lambda cost per target');
    expect(run.stdout).toMatch(/== Live redis-server/);
    expect(run.stdout).toContain(`results written to ${out}`);
  });

  it('writes the machine, the node version and the date', () => {
    expect(results).toMatchObject({ schemaVersion: 1, mode: 'smoke', node: { version: process.version } });
    expect(results.machine).toMatchObject({ cpus: finite, cpuModel: expect.any(String) });
    expect(Number.isNaN(Date.parse(String(results.date)))).toBe(false);
  });

  it('records a median per contender and size for parsing plus analysis', () => {
    const parse = (results.sections as Json).parse as { sizes: Array<{ lines: number; medianMs: Json; linesPerSecond: Json; speedupVsNodeRedis: Json }> };
    expect(parse.sizes.length).toBeGreaterThan(0);
    for (const size of parse.sizes) {
      for (const contender of ['ours', 'oursPipeline', 'oursParseOnly', 'nodeRedis', 'naive']) {
        expectPositive(size.medianMs[contender], `${size.lines} lines ${contender} median`);
        expectPositive(size.linesPerSecond[contender], `${size.lines} lines ${contender} lines/s`);
      }
      expectPositive(size.speedupVsNodeRedis.ours, 'speedup');
    }
  });

  it('records peak heap and RSS for each analysis, each from a fresh process', () => {
    const memory = (results.sections as Json).memory as { modes: Array<{ mode: string; peakHeapAboveBaselineMib: number; peakRssMib: number; samples: unknown[] }> };
    expect(memory.modes.map((m) => m.mode)).toEqual(['assessAudit', 'scanAndAnalyse', 'parseClientList']);
    for (const mode of memory.modes) {
      expect(mode.peakHeapAboveBaselineMib).toBeGreaterThanOrEqual(0);
      expectPositive(mode.peakRssMib, `${mode.mode} peak RSS`);
      expect(mode.samples.length).toBeGreaterThan(0);
    }
  });

  it('records the bundle size, its cold load and the cost with the prices used', () => {
    const sections = results.sections as Json;
    const bundle = sections.bundle as { bundleBytes: number; gzipBytes: number; coldLoad: Array<{ medianRequireMs: number }> };
    expectPositive(bundle.bundleBytes, 'bundle bytes');
    expectPositive(bundle.gzipBytes, 'gzip bytes');
    for (const variant of bundle.coldLoad) expectPositive(variant.medianRequireMs, 'cold require');
    const cost = sections.cost as { prices: Json; durationSource: string; schedules: Array<{ everyMinutes: number; totalUsd: number }> };
    expect(cost.prices).toMatchObject({ usdPerGbSecond: 0.0000133334, usdPerMillionRequests: 0.2, architecture: 'arm64' });
    expect(cost.durationSource.length).toBeGreaterThan(0);
    expect(cost.schedules.map((s) => s.everyMinutes)).toEqual([1, 5]);
    for (const schedule of cost.schedules) expectPositive(schedule.totalUsd, `cost every ${schedule.everyMinutes} min`);
  });

  it('runs the live section, or says why it was skipped', () => {
    const live = (results.sections as Json).liveServer as Json;
    expect(live).toBeDefined();
    expect(live.error).toBeUndefined();
  });

  it('measures every listing method on a live server with held connections and churn behind them', () => {
    const live = (results.sections as Json).liveServer as LiveSection;
    if (live.skipped !== undefined) return;
    expect(run.stdout).toContain('== Live redis-server: setup');
    const [size] = live.sizes;
    expect(size).toBeDefined();
    if (size === undefined) return;
    expect(size.connectedClients).toBeGreaterThanOrEqual(size.held);
    expect(size.receivedAtStart).toBeGreaterThan(size.held + size.churn.connections - 1);
    expectPositive(size.churn.durationMs, 'churn duration');
    const methods = new Map(size.methods.map((m) => [m.method, m]));
    expect([...methods.keys()]).toEqual(['plain', 'byIdFirst', 'byIdSteady', 'byIdSteadyAfterChurn', 'exporter', 'idle']);
    for (const name of ['plain', 'byIdFirst', 'byIdSteady', 'byIdSteadyAfterChurn']) {
      const method = methods.get(name) as MethodSummary;
      expectPositive(method.longestCommandMs?.median, `${name} longest command`);
      expectPositive(method.serverTotalMs?.median, `${name} server time`);
      expectPositive(method.commands?.median, `${name} commands`);
      expectPositive(method.wallMs?.median, `${name} wall ms`);
      expectPositive(method.proberRequests?.median, `${name} prober requests`);
    }
    expect(methods.get('plain')?.listingUsed).toEqual(['plain']);
    expect(methods.get('idle')?.commands?.median).toBe(0);
    const exporter = methods.get('exporter') as MethodSummary;
    if (exporter.skipped === undefined) expectPositive(exporter.commands?.median, 'exporter CLIENT LIST commands');
    expect(size.samples.length).toBe(size.methods.filter((m) => m.skipped === undefined).length);
  });

  it('gives the cost section the duration of a real end-to-end audit', () => {
    const live = (results.sections as Json).liveServer as LiveSection;
    if (live.skipped !== undefined) return;
    expectPositive(live.auditDurationMs, 'auditDurationMs');
    const cost = (results.sections as Json).cost as { durationMs: number; durationSource: string };
    expect(cost.durationMs).toBeCloseTo(live.auditDurationMs, 1);
    expect(cost.durationSource).toContain('runAudit');
  });

  it('leaves the working tree alone: smoke results go to the temp dir only', () => {
    expect(existsSync(join(ROOT, 'bench', 'results.smoke.json'))).toBe(false);
    expect(existsSync(TREE_RESULTS) ? statSync(TREE_RESULTS).mtimeMs : null).toBe(treeResultsMtime);
  });
});
