// Under load: a server holding 3,000 idle connections (from 127.0.0.81-83) while `redis-benchmark -n 20000
// -c 20 -t get,set` runs on it, audited again and again by the CLI (in-process) during the benchmark. Every
// audit completes within its timeouts and lists every connection. The benchmark's throughput and latency
// are printed for docs/reliability.md (measurements, not assertions) in four phases: without the auditor;
// auditing this server without history (CLIENT LIST ID over ids 1..N) and with a state file (the known ids);
// and auditing ANOTHER server with as many connections, which costs the same CPU on this machine (the
// auditor, redis-server and redis-benchmark share two cores) but cannot stall this server: the control that
// separates CPU contention from the auditor's effect on the server.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli } from '../support/run-cli.js';
import { sleep } from '../support/wait.js';
import { openControl, serverPool } from './server-probe.js';

const SOURCES = ['127.0.0.81', '127.0.0.82', '127.0.0.83'];
const PER_SOURCE = 1000;
const BENCH_RUNS = 5;
const COMMAND_TIMEOUT_MS = 2000;

interface BenchLine { readonly rps: number; readonly avg: number; readonly p50: number; readonly p99: number; readonly max: number }
type Bench = Record<'SET' | 'GET', BenchLine>;
/** What the benchmarked server itself measured during a phase. */
interface ServerSide {
  /** CLIENT LIST commands (plain or by id) it ran, and their mean time on its main thread, microseconds. */
  readonly clientListCalls: number;
  readonly clientListMeanUs: number;
  /** The longest command it ran (LATENCY, threshold 1 ms), milliseconds; 0 when none reached 1 ms. */
  readonly longestCommandMs: number;
}
interface Phase { readonly benches: Bench[]; readonly audits: { code: number; report: AuditReport }[]; readonly server: ServerSide }

/** One `redis-benchmark -n 20000 -c 20 -t get,set --csv` run (the -q figures, machine-readable). */
function benchmark(port: number): Promise<Bench> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-n', '20000', '-c', '20', '-t', 'get,set', '--csv'];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 20_000 }, (err, stdout) => {
      if (err) return reject(err);
      const rows = stdout.trim().split('\n').slice(1).map((line) => line.split(',').map((cell) => cell.replace(/"/g, '')));
      const byName = Object.fromEntries(rows.map(([name, rps, avg, , p50, , p99, max]) =>
        [name, { rps: Number(rps), avg: Number(avg), p50: Number(p50), p99: Number(p99), max: Number(max) }]));
      resolve(byName as Bench);
    });
  });
}

/** `cmdstat_client|list` as calls and total microseconds. */
async function clientListStats(control: RespClient): Promise<{ calls: number; usec: number }> {
  const m = /^cmdstat_client\|list:calls=(\d+),usec=(\d+)/m.exec(String(await control.command('INFO', 'commandstats')));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

/** The max of LATENCY's `command` event (commands of 1 ms or more) since the last LATENCY RESET. */
async function longestCommandMs(control: RespClient): Promise<number> {
  const events = (await control.command('LATENCY', 'LATEST')) as unknown[][];
  return Number(events.find((event) => event[0] === 'command')?.[3] ?? 0);
}

/** Benchmarks BENCH_RUNS times; with `audit`, the auditor runs back to back (20 ms apart) the whole time. */
async function phase(port: number, audit?: () => Promise<{ code: number; report: AuditReport }>): Promise<Phase> {
  await control.command('LATENCY', 'RESET');
  const statsBefore = await clientListStats(control);
  const benches: Bench[] = [];
  const audits: Phase['audits'] = [];
  let running = true;
  const auditing = (async () => {
    while (audit && running) {
      audits.push(await audit());
      await sleep(20);
    }
  })();
  try {
    for (let i = 0; i < BENCH_RUNS; i += 1) benches.push(await benchmark(port));
  } finally {
    running = false;
    await auditing;
  }
  const statsAfter = await clientListStats(control);
  const calls = statsAfter.calls - statsBefore.calls;
  const server = {
    clientListCalls: calls,
    clientListMeanUs: calls === 0 ? 0 : Math.round((statsAfter.usec - statsBefore.usec) / calls),
    longestCommandMs: await longestCommandMs(control),
  };
  return { benches, audits, server };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function describePhase(name: string, p: Phase): string {
  const figures = (['SET', 'GET'] as const).map((test) => {
    const lines = p.benches.map((b) => b[test]);
    return `${test} ${Math.round(median(lines.map((l) => l.rps)))} req/s, p50 ${median(lines.map((l) => l.p50))} ms, `
      + `p99 ${median(lines.map((l) => l.p99))} ms, max ${Math.max(...lines.map((l) => l.max))} ms`;
  });
  const longest = p.audits.map((a) => a.report.auditor.longestClientListMs);
  const audits = p.audits.length === 0 ? '' : `; ${p.audits.length} audits (${[...new Set(p.audits.map((a) => a.report.auditor.method))].join(', ')}), `
    + `longest CLIENT LIST median ${median(longest)} ms, max ${Math.max(...longest)} ms, audit duration median ${median(p.audits.map((a) => a.report.auditor.durationMs))} ms`;
  const measured = `; server: ${p.server.clientListCalls} CLIENT LIST commands of ${p.server.clientListMeanUs} us on average, `
    + `longest command ${p.server.longestCommandMs === 0 ? 'under 1' : p.server.longestCommandMs} ms`;
  return `${name}: ${figures.join('; ')}${audits}${measured}`;
}

const servers = serverPool();
let server: LocalRedisServer;
const pools: WorkloadHandle[] = [];
let other: LocalRedisServer;
let control: RespClient;
let baseline: Phase;
let fresh: Phase;
let remembered: Phase;
let elsewhere: Phase;

beforeAll(async () => {
  // The server records every command of 1 ms or more (LATENCY): its own measure of the longest stall.
  [server, other] = await Promise.all([servers.start({ args: ['--latency-monitor-threshold', '1'] }), servers.start()]);
  control = await openControl(server);
  for (const target of [server, other]) {
    for (const source of SOURCES) pools.push(await idlePool({ host: target.host, port: target.port }, source, { size: PER_SOURCE }));
  }
  const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-load-')), 'state.json');
  const audit = async (url: string, extra: string[] = []) => {
    const run = await cli(['audit', '--url', url, '--json', '--fail-on', 'never', '--command-timeout', String(COMMAND_TIMEOUT_MS), ...extra]);
    return { code: run.code, report: JSON.parse(run.stdout) as AuditReport };
  };
  baseline = await phase(server.port);
  fresh = await phase(server.port, () => audit(server.url));
  remembered = await phase(server.port, () => audit(server.url, ['--state-file', stateFile]));
  elsewhere = await phase(server.port, () => audit(other.url));
  console.log([
    `${SOURCES.length * PER_SOURCE} idle connections, redis-benchmark -n 20000 -c 20 -t get,set, ${BENCH_RUNS} runs per phase (median; max of max):`,
    describePhase('without the auditor', baseline),
    describePhase('auditing this server back to back, no history', fresh),
    describePhase('auditing this server back to back, --state-file', remembered),
    describePhase('auditing the other server back to back (CPU contention only)', elsewhere),
  ].join('\n'));
}, 150_000); // 3,000 connections and five benchmark phases: minutes on a loaded 2-core machine
afterAll(async () => {
  await control?.close();
  await Promise.allSettled(pools.map((pool) => pool.stop()));
  await servers.stopAll();
});

describe('audits of a server with 3,000 idle connections during redis-benchmark', () => {
  it('all complete within their timeouts, with no node error', () => {
    const audits = [...fresh.audits, ...remembered.audits, ...elsewhere.audits];

    expect([fresh, remembered, elsewhere].map((p) => p.audits.length > 0)).toEqual([true, true, true]);
    expect(audits.filter((a) => a.code === 2 || a.report.status !== 'ok' || a.report.nodes[0]?.errors.length !== 0)).toEqual([]);
  });

  it('each list every idle connection of the three sources', () => {
    for (const { report } of [...fresh.audits, ...remembered.audits, ...elsewhere.audits]) {
      const counts = SOURCES.map((source) => report.groups.bySourceIp.find((g) => g.key === source)?.connections);
      expect(counts).toEqual(SOURCES.map(() => PER_SOURCE));
    }
  });

  it('leave the benchmark running to its end in every run', () => {
    for (const p of [baseline, fresh, remembered, elsewhere]) expect(p.benches.map((b) => b.SET.rps > 0 && b.GET.rps > 0)).toEqual(p.benches.map(() => true));
  });
});
