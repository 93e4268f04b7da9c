// The benchmark orchestrator (`npm run bench`, `npm run bench:smoke`; started by bench/run.sh). Runs the sections,
// prints one table per section and writes every number with its medians to bench/results.json, or, with --smoke
// (tiny sizes, one or two repetitions: it only proves the harness works), to results.smoke.json in the OS temp dir.
//
//   --smoke        small and fast
//   --out PATH     where to write the results
//   --only a,b     run only these sections: parse, memory, live, reclaim, bundle (the cost estimate comes with bundle),
//                  package
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, mib, round, type Table } from './bench-util.js';
import { bundleTables, costTables, estimateCost, measureInProcessAuditMs, runBundleBench, type CostEstimate } from './bundle-bench.js';
import { memoryTables, runMemoryBench } from './memory-bench.js';
import { packageTables, runPackageBench } from './package-bench.js';
import { parseTables, runParseBench } from './parse-bench.js';
import { reclaimSummary, reclaimTables, runReclaimBench } from './reclaim-bench.js';
import { writeReadmeFigures } from './readme-figures.js';

const SECTIONS = ['parse', 'memory', 'live', 'reclaim', 'bundle', 'package'] as const;
const DEFAULT_RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
type Section = (typeof SECTIONS)[number];

interface Args {
  readonly smoke: boolean;
  readonly out: string;
  readonly only: ReadonlySet<Section>;
}

function parseArgs(argv: readonly string[]): Args {
  let smoke = false;
  let out: string | undefined;
  let only: Set<Section> = new Set(SECTIONS);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--smoke') smoke = true;
    else if (arg === '--out' && argv[i + 1]) out = resolve(argv[++i] as string);
    else if (arg === '--only' && argv[i + 1]) {
      const names = (argv[++i] as string).split(',');
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length > 0) usage(`unknown section ${unknown.join(', ')}: use ${SECTIONS.join(', ')}`);
      only = new Set(names as Section[]);
    } else usage(`unknown argument ${arg}`);
  }
  const defaultOut = smoke
    ? join(tmpdir(), 'redis-leak-auditor-bench', 'results.smoke.json')
    : DEFAULT_RESULTS;
  return { smoke, out: out ?? defaultOut, only };
}

function usage(problem: string): never {
  console.error(`bench: ${problem}\nusage: bash bench/run.sh [--smoke] [--out PATH] [--only ${SECTIONS.join(',')}]`);
  process.exit(2);
}

/** The live section's module, written separately (bench/live-server.ts); optional. */
interface LiveServerModule {
  runLiveServerBench(options: { smoke: boolean }): Promise<unknown>;
}

/** The first number found under `key` anywhere in the live result (it may nest it). */
function findNumber(value: unknown, key: string, depth = 0): number | undefined {
  if (value === null || typeof value !== 'object' || depth > 6) return undefined;
  const record = value as Record<string, unknown>;
  const own = record[key];
  if (typeof own === 'number' && Number.isFinite(own)) return own;
  for (const child of Object.values(record)) {
    const found = findNumber(child, key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isTable(value: unknown): value is Table {
  const t = value as Partial<Table> | null;
  return typeof t === 'object' && t !== null && typeof t.title === 'string' && Array.isArray(t.headers) && Array.isArray(t.rows);
}

/** The live section's own tables when it gives them (`tables` or `table`), else its numbers flattened. */
function liveTables(result: unknown): Table[] {
  const r = result as { tables?: unknown; table?: unknown } | null;
  if (Array.isArray(r?.tables) && r.tables.every(isTable)) return r.tables;
  if (isTable(r?.table)) return [r.table];
  const rows: Array<[string, string | number]> = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') rows.push([path, typeof value === 'boolean' ? String(value) : value]);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) rows.push([path, value.join(', ')]);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(result, '');
  return [{ title: 'Live redis-server: server-side cost of one audit', headers: ['measure', 'value'], rows }];
}

async function loadLiveModule(): Promise<LiveServerModule | null> {
  const source = new URL('./live-server.ts', import.meta.url);
  if (!existsSync(source)) return null;
  // A variable specifier: the module is optional, and absent modules must not fail the type check.
  const specifier = pathToFileURL(fileURLToPath(source)).href;
  const mod = (await import(specifier)) as Partial<LiveServerModule>;
  if (typeof mod.runLiveServerBench !== 'function') throw new Error('bench/live-server.ts does not export runLiveServerBench(options)');
  return mod as LiveServerModule;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const cpu = cpus();
  const results: Record<string, unknown> = {
    schemaVersion: 1,
    mode: args.smoke ? 'smoke' : 'full',
    date: started.toISOString(),
    machine: {
      cpuModel: cpu[0]?.model ?? 'unknown', cpus: cpu.length, totalMemoryMib: mib(totalmem()), platform: process.platform,
      arch: process.arch, kernel: release(), loadAverageAtStart: loadavg().map((l) => round(l, 2)),
    },
    node: { version: process.version, v8: process.versions.v8 },
    sections: {} as Record<string, unknown>,
    summary: {} as Record<string, unknown>,
  };
  const sections = results.sections as Record<string, unknown>;
  const summary = results.summary as Record<string, unknown>;
  const failures: string[] = [];
  const print = (tables: readonly Table[]) => { for (const table of tables) console.log(`\n${formatTable(table)}`); };

  async function section<T>(name: string, run: () => T | Promise<T>, tables: (result: T) => Table[]): Promise<T | undefined> {
    const start = performance.now();
    try {
      const result = await run();
      sections[name] = result;
      print(tables(result));
      console.log(`   (${name}: ${round((performance.now() - start) / 1000, 1)} s)`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sections[name] = { error: message };
      failures.push(name);
      console.error(`\nFAILED: bench section ${name}: ${message}`);
      return undefined;
    }
  }

  console.log(`redis-leak-auditor bench (${args.smoke ? 'smoke' : 'full'}), node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? '?'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  if (args.only.has('parse')) {
    const parse = await section('parse', () => runParseBench({ smoke: args.smoke }), parseTables);
    const largest = parse?.sizes[parse.sizes.length - 1];
    if (largest) {
      summary.parse = {
        lines: largest.lines, oursMs: largest.medianMs.ours, oursPipelineMs: largest.medianMs.oursPipeline, nodeRedisMs: largest.medianMs.nodeRedis,
        naiveMs: largest.medianMs.naive, speedupVsNodeRedis: largest.speedupVsNodeRedis.ours, pipelineSpeedupVsNodeRedis: largest.speedupVsNodeRedis.oursPipeline,
        speedupVsNodeRedisByMin: round(largest.minMs.nodeRedis / largest.minMs.ours, 2),
        target: 'ours at least 2x faster than node-redis at 65k lines',
      };
    }
  }

  if (args.only.has('memory')) {
    const memory = await section('memory', () => runMemoryBench({ smoke: args.smoke }), memoryTables);
    const audit = memory?.modes.find((m) => m.mode === 'assessAudit');
    if (memory && audit) {
      summary.memory = {
        lines: memory.lines, peakHeapAboveBaselineMib: audit.peakHeapAboveBaselineMib, peakHeapInclReplyMib: audit.peakHeapAboveEmptyMib,
        peakRssMib: audit.peakRssMib, peakRssAboveBaselineMib: audit.peakRssAboveBaselineMib, targetMib: memory.targetPeakHeapAboveBaselineMib,
      };
    }
  }

  let liveDurationMs: number | undefined;
  let liveDurationSource = '';
  if (args.only.has('live')) {
    let live: LiveServerModule | null = null;
    try {
      live = await loadLiveModule();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sections.liveServer = { error: `could not load bench/live-server.ts: ${message}` };
      failures.push('liveServer');
      console.error(`\nFAILED: bench section liveServer: could not load bench/live-server.ts: ${message}`);
    }
    if (live) {
      const module = live;
      const result = await section('liveServer', () => module.runLiveServerBench({ smoke: args.smoke }), liveTables);
      liveDurationMs = findNumber(result, 'auditDurationMs');
      const { auditDurationSource: source, summary: liveSummary } = (result ?? {}) as { auditDurationSource?: unknown; summary?: unknown };
      if (liveSummary !== undefined) summary.liveServer = liveSummary;
      if (liveDurationMs !== undefined) liveDurationSource = typeof source === 'string' ? `the live section: ${source}` : 'the live section (auditDurationMs)';
    } else if (!('liveServer' in sections)) {
      sections.liveServer = { skipped: 'bench/live-server.ts is not present' };
      console.log('\n== Live redis-server section skipped: bench/live-server.ts is not present');
    }
  }

  if (args.only.has('reclaim')) {
    // What the kill step of reclaiming (issue 19) costs the audited server: killSelected beside a plain listing,
    // one blanket CLIENT KILL and the idle control (bench/reclaim-bench.ts).
    const reclaim = await section('reclaim', () => runReclaimBench({ smoke: args.smoke }), reclaimTables);
    if (reclaim) summary.reclaim = reclaimSummary(reclaim);
  }

  if (args.only.has('bundle')) {
    const bundle = await section('bundle', () => runBundleBench({ smoke: args.smoke }), bundleTables);
    if (bundle) {
      const deployed = bundle.coldLoad.find((c) => c.variant === 'as-deployed');
      summary.bundle = {
        bundleKib: round(bundle.bundleBytes / 1024, 0), gzipKib: round(bundle.gzipBytes / 1024, 0),
        coldRequireMedianMs: deployed?.medianRequireMs, targets: bundle.targets,
      };
    }
    const cost = await section<CostEstimate>('cost', () => {
      if (liveDurationMs !== undefined) return estimateCost(liveDurationMs, liveDurationSource);
      const measured = measureInProcessAuditMs(args.smoke);
      return estimateCost(measured.durationMs,
        `one in-process assessAudit of ${measured.lines.toLocaleString('en-US')} lines (warm median of ${measured.samplesMs.length}; no network, no AWS calls)`);
    }, costTables);
    if (cost) summary.cost = { durationMs: cost.durationMs, durationSource: cost.durationSource, prices: cost.prices, schedules: cost.schedules };
  }

  if (args.only.has('package')) {
    if (args.smoke) {
      sections.package = { skipped: 'smoke: npm pack builds the whole package' };
    } else {
      const packed = await section('package', runPackageBench, packageTables);
      if (packed) summary.package = { packedKib: round(packed.packedBytes / 1024, 0), unpackedKib: round(packed.unpackedBytes / 1024, 0), files: packed.files };
    }
  }

  results.finishedAt = new Date().toISOString();
  (results.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map((l) => round(l, 2));
  results.failedSections = failures;
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults written to ${args.out}`);
  if (args.out === DEFAULT_RESULTS && failures.length === 0) {
    // The README's figures come from this file and nowhere else (bench/readme-figures.ts).
    writeReadmeFigures(args.out, fileURLToPath(new URL('../README.md', import.meta.url)));
    console.log('README.md: figures written from these results');
  }
  if (failures.length > 0) {
    console.error(`bench: ${failures.length} section(s) failed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
