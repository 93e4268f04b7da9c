// The Lambda bundle (size, cold module load) and the estimated monthly Lambda cost from a measured duration.
//
// The bundle is built as lib/redis-leak-auditor.ts has NodejsFunction build it: esbuild --bundle of
// lambda/handler.ts with --platform=node --target=node22 --minify --sourcemap (a linked index.js.map, sources
// included) and the externals of lib/lambda-bundling.ts (only the EC2 client), CommonJS output (index.js).
// Cold load: `require` of the bundle in a fresh `node` per run, as deployed (the construct does not enable the
// source map) and with --enable-source-maps for comparison, interleaved, median of 10.
import { LAMBDA_BUNDLING } from '../lib/lambda-bundling.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { assessAudit } from '../lambda/core/audit.js';
import { median, round, timeMs, type Table } from './bench-util.js';
import { generateClientList } from './client-list-fixture.js';
import { auditInput } from './parse-bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** AWS Lambda list prices used (us-east-1, arm64), stated in the output and in results.json. */
export const LAMBDA_PRICES = {
  region: 'us-east-1',
  architecture: 'arm64',
  usdPerGbSecond: 0.0000133334,
  usdPerMillionRequests: 0.2,
  billingGranularityMs: 1,
  source: 'https://aws.amazon.com/lambda/pricing/ (arm64 first tier; free tier not deducted)',
} as const;
/** The memory lib/redis-leak-auditor.ts gives the function (memorySize default). */
export const LAMBDA_MEMORY_MB = 512;
/** A month as AWS's pricing calculator counts it. */
export const HOURS_PER_MONTH = 730;

export interface ColdLoadVariant {
  readonly variant: 'as-deployed' | 'with-source-maps';
  readonly nodeOptions: string;
  /** `require(bundle)` inside the fresh process, ms. */
  readonly requireMs: readonly number[];
  /** From process start (performance.timeOrigin) to the handler loaded, ms. */
  readonly processStartToLoadedMs: readonly number[];
  readonly medianRequireMs: number;
  readonly medianProcessStartToLoadedMs: number;
}

export interface BundleResult {
  readonly esbuild: Readonly<Record<string, string | boolean | readonly string[] | Readonly<Record<string, string>>>>;
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** index.js + index.js.map gzipped: close to the zip Lambda stores (CDK zips both). */
  readonly deployedGzipBytes: number;
  /** The largest contributors to the bundle, by package (bytes of output). */
  readonly largestPackages: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  readonly coldLoad: readonly ColdLoadVariant[];
  readonly targets: { readonly bundleUnderBytes: number; readonly coldLoadUnderMs: number };
}

export interface CostSchedule {
  readonly everyMinutes: number;
  readonly invocationsPerMonth: number;
  readonly computeUsd: number;
  readonly requestUsd: number;
  readonly totalUsd: number;
}

export interface CostEstimate {
  readonly prices: typeof LAMBDA_PRICES;
  readonly memoryMb: number;
  readonly hoursPerMonth: number;
  readonly durationMs: number;
  readonly billedDurationMs: number;
  /** Where the duration comes from. */
  readonly durationSource: string;
  readonly schedules: readonly CostSchedule[];
  /** What one more second of billed duration per run adds per month at each schedule. */
  readonly usdPerExtraSecondPerRun: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

async function buildBundle(dir: string): Promise<{ outfile: string; metafile: Metafile; options: BundleResult['esbuild'] }> {
  const outfile = join(dir, 'index.js');
  // As lib/lambda-bundling.ts has NodejsFunction bundle it; NodejsFunction adds --platform=node and writes
  // index.js (CommonJS, its default format).
  const options = {
    entryPoints: ['lambda/handler.ts'], bundle: true, platform: 'node', target: LAMBDA_BUNDLING.target, format: 'cjs',
    minify: LAMBDA_BUNDLING.minify, sourcemap: LAMBDA_BUNDLING.sourceMap, sourcesContent: true, external: [...LAMBDA_BUNDLING.externalModules],
    define: { ...LAMBDA_BUNDLING.define }, banner: { js: LAMBDA_BUNDLING.banner },
  } satisfies BuildOptions;
  const result = await build({ ...options, absWorkingDir: ROOT, outfile, metafile: true, logLevel: 'error' });
  return { outfile, metafile: result.metafile, options };
}

function largestPackages(metafile: Metafile, count: number): Array<{ name: string; bytes: number }> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match ? (match[1] as string) : '(this project)';
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, count);
}

const LOAD_SCRIPT = [
  "const { performance } = require('node:perf_hooks');",
  'const start = performance.now();',
  'const mod = require(process.env.BENCH_BUNDLE);',
  'const loaded = performance.now();',
  "if (typeof mod.handler !== 'function') { console.error('no handler export'); process.exit(3); }",
  'process.stdout.write(JSON.stringify({ requireMs: loaded - start, sinceStartMs: loaded }));',
].join('\n');

function coldLoadOnce(bundle: string, nodeOptions: string): { requireMs: number; sinceStartMs: number } {
  // The Lambda runtime resolves the bundle's externals (the EC2 client) through NODE_PATH, from its own copy
  // of the SDK; here the project's node_modules plays that part.
  const env: Record<string, string | undefined> = {
    ...process.env, BENCH_BUNDLE: bundle, AWS_REGION: 'us-east-1', NODE_OPTIONS: nodeOptions, NODE_PATH: join(ROOT, 'node_modules'),
  };
  const child = spawnSync(process.execPath, ['-e', LOAD_SCRIPT], { env, encoding: 'utf8', timeout: 30_000 });
  if (child.status !== 0) throw new Error(`loading the bundle failed (status ${child.status}): ${child.stderr.slice(0, 1000)}`);
  return JSON.parse(child.stdout) as { requireMs: number; sinceStartMs: number };
}

export interface BundleBenchOptions {
  readonly smoke: boolean;
}

export async function runBundleBench(options: BundleBenchOptions): Promise<BundleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rla-bundle-bench-'));
  try {
    const { outfile, metafile, options: esbuildOptions } = await buildBundle(dir);
    const js = readFileSync(outfile);
    const map = readFileSync(`${outfile}.map`);
    const runs = options.smoke ? 2 : 10;
    const variants = [
      // As deployed: the construct ships the map but does not enable it (lib/lambda-bundling.ts).
      { variant: 'as-deployed', nodeOptions: '' },
      { variant: 'with-source-maps', nodeOptions: '--enable-source-maps' },
    ] as const;
    const samples = variants.map(() => ({ requireMs: [] as number[], sinceStartMs: [] as number[] }));
    for (let i = 0; i < runs; i++) {
      variants.forEach((v, k) => {
        const run = coldLoadOnce(outfile, v.nodeOptions);
        samples[k]?.requireMs.push(round(run.requireMs, 1));
        samples[k]?.sinceStartMs.push(round(run.sinceStartMs, 1));
      });
    }
    return {
      esbuild: esbuildOptions,
      bundleBytes: statSync(outfile).size,
      gzipBytes: gzipSync(js, { level: 9 }).length,
      sourceMapBytes: map.length,
      deployedGzipBytes: gzipSync(js, { level: 9 }).length + gzipSync(map, { level: 9 }).length,
      largestPackages: largestPackages(metafile, 8),
      coldLoad: variants.map((v, k): ColdLoadVariant => {
        const s = samples[k] ?? { requireMs: [], sinceStartMs: [] };
        return {
          ...v, requireMs: s.requireMs, processStartToLoadedMs: s.sinceStartMs,
          medianRequireMs: round(median(s.requireMs), 1), medianProcessStartToLoadedMs: round(median(s.sinceStartMs), 1),
        };
      }),
      targets: { bundleUnderBytes: 2 * 1024 * 1024, coldLoadUnderMs: 300 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Duration of one in-process assessAudit of a 10k-line reply: median of a few warm runs (one in smoke mode). */
export function measureInProcessAuditMs(smoke: boolean): { durationMs: number; samplesMs: number[]; lines: number } {
  const lines = 10_000;
  const input = auditInput(generateClientList({ lines }));
  assessAudit(input); // warm-up
  const samplesMs: number[] = [];
  for (let i = 0; i < (smoke ? 1 : 5); i++) {
    samplesMs.push(round(timeMs(() => assessAudit(input)), 2));
  }
  return { durationMs: median(samplesMs), samplesMs, lines };
}

export function estimateCost(durationMs: number, durationSource: string): CostEstimate {
  const billedDurationMs = Math.max(1, Math.ceil(durationMs / LAMBDA_PRICES.billingGranularityMs) * LAMBDA_PRICES.billingGranularityMs);
  const gb = LAMBDA_MEMORY_MB / 1024;
  const perMonth = (everyMinutes: number) => (HOURS_PER_MONTH * 60) / everyMinutes;
  const schedules = [1, 5].map((everyMinutes): CostSchedule => {
    const invocationsPerMonth = perMonth(everyMinutes);
    const computeUsd = invocationsPerMonth * (billedDurationMs / 1000) * gb * LAMBDA_PRICES.usdPerGbSecond;
    const requestUsd = (invocationsPerMonth / 1e6) * LAMBDA_PRICES.usdPerMillionRequests;
    return { everyMinutes, invocationsPerMonth, computeUsd: round(computeUsd, 5), requestUsd: round(requestUsd, 5), totalUsd: round(computeUsd + requestUsd, 5) };
  });
  return {
    prices: LAMBDA_PRICES, memoryMb: LAMBDA_MEMORY_MB, hoursPerMonth: HOURS_PER_MONTH, durationMs: round(durationMs, 2), billedDurationMs, durationSource,
    schedules,
    usdPerExtraSecondPerRun: Object.fromEntries([1, 5].map((m) => [`every${m}min`, round(perMonth(m) * gb * LAMBDA_PRICES.usdPerGbSecond, 4)])),
    notes: [
      'one target per invocation; Lambda charges only (CloudWatch metrics and logs, S3, SNS, VPC endpoints are billed separately)',
      'free tier not deducted; a month is 730 hours',
    ],
  };
}

export function bundleTables(bundle: BundleResult): Table[] {
  const kib = (bytes: number) => round(bytes / 1024, 0);
  return [
    {
      title: 'Lambda bundle (esbuild as NodejsFunction: minify, sourcemap, node22, cjs, everything bundled)',
      headers: ['measure', 'value', 'target'],
      rows: [
        ['index.js (KiB)', kib(bundle.bundleBytes), `< ${kib(bundle.targets.bundleUnderBytes)}`],
        ['index.js gzip -9 (KiB)', kib(bundle.gzipBytes), ''],
        ['index.js.map (KiB)', kib(bundle.sourceMapBytes), ''],
        ['js + map gzip -9, ~ deployed zip (KiB)', kib(bundle.deployedGzipBytes), ''],
        ...bundle.coldLoad.flatMap((v) => [
          [`cold require, ${v.variant} (median ms of ${v.requireMs.length})`, v.medianRequireMs, `< ${bundle.targets.coldLoadUnderMs}`],
          [`  process start to handler loaded, ${v.variant} (ms)`, v.medianProcessStartToLoadedMs, ''],
        ] as Array<Array<string | number>>),
      ],
      notes: [`largest packages in the bundle (KiB): ${bundle.largestPackages.map((p) => `${p.name} ${kib(p.bytes)}`).join(', ')}`],
    },
  ];
}

export function costTables(cost: CostEstimate): Table[] {
  return [{
    title: `Estimated monthly Lambda cost per target (arm64, ${cost.memoryMb} MB, ${cost.prices.region})`,
    headers: ['schedule', 'invocations/month', 'compute USD', 'requests USD', 'total USD'],
    rows: cost.schedules.map((s) => [`every ${s.everyMinutes} min`, s.invocationsPerMonth, s.computeUsd, s.requestUsd, s.totalUsd]),
    notes: [
      `duration ${cost.durationMs} ms (billed ${cost.billedDurationMs} ms), from ${cost.durationSource}`,
      `prices: $${cost.prices.usdPerGbSecond} per GB-s, $${cost.prices.usdPerMillionRequests} per million requests (${cost.prices.source})`,
      `each extra second per run adds $${cost.usdPerExtraSecondPerRun.every1min}/month at 1 min, $${cost.usdPerExtraSecondPerRun.every5min} at 5 min`,
      ...cost.notes,
    ],
  }];
}
