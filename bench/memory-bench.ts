// Peak memory of analysing one large CLIENT LIST reply, each measurement in a fresh Node process.
//
// The child is this file's `memoryChild`, bundled with esbuild into one plain .mjs (no tsx loader thread, whose own
// isolate would add heap and GC noise) and run with `node --expose-gc --trace-gc`. It reads the reply from a file,
// collects garbage, takes its baseline (heap and RSS, the reply held), resets the kernel's RSS high-water mark,
// analyses, and reports. Peak heap is the largest "heap used before GC" that V8 traced during the analysis, or the
// heap used at its end, whichever is larger: between two collections the heap only grows, so this is the true peak.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { assessAudit } from '../lambda/core/audit.js';
import { parseClientList } from '../lambda/core/parse-client-list.js';
import { median, mib, MIB, round, type Table } from './bench-util.js';
import { generateClientList, type ClientListFixture } from './client-list-fixture.js';
import { auditInput, scanAndAnalyse } from './parse-bench.js';

export const MEMORY_MODES = ['assessAudit', 'scanAndAnalyse', 'parseClientList'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export const MEMORY_MODE_LABELS: Record<MemoryMode, string> = {
  assessAudit: 'assessAudit (what the Lambda runs)',
  scanAndAnalyse: 'scanClientList + ClientAnalyser',
  parseClientList: 'parseClientList (keeps every record)',
};

/** What one child process measured, bytes. */
export interface MemorySample {
  /** Heap used after GC with nothing loaded yet (the process's own baseline). */
  readonly emptyHeapBytes: number;
  /** Heap used after GC with the reply text loaded: the baseline the analysis is measured from. */
  readonly baselineHeapBytes: number;
  readonly peakHeapBytes: number;
  /** How the peak was found: from --trace-gc lines, or only from the heap used at the end. */
  readonly peakSource: 'trace-gc' | 'end-of-run';
  /** Heap still used after the analysis and a GC, the result held. */
  readonly retainedHeapBytes: number;
  readonly baselineRssBytes: number;
  /** Kernel high-water mark (VmHWM) of RSS during the analysis (reset just before it where Linux allows). */
  readonly peakRssBytes: number;
  readonly rssPeakReset: boolean;
  /** v8.getHeapStatistics() after the run. */
  readonly heapSizeBytes: number;
  readonly peakMallocedBytes: number;
  readonly analysisMs: number;
  readonly gcDuringAnalysis: number;
}

export interface MemoryModeResult {
  readonly mode: MemoryMode;
  readonly label: string;
  readonly processes: number;
  readonly samples: readonly MemorySample[];
  /** Medians over the processes, MiB. */
  readonly peakHeapAboveBaselineMib: number;
  readonly peakHeapAboveEmptyMib: number;
  readonly retainedAboveBaselineMib: number;
  readonly peakRssMib: number;
  readonly peakRssAboveBaselineMib: number;
}

export interface MemoryBenchResult {
  readonly lines: number;
  readonly replyBytes: number;
  readonly targetPeakHeapAboveBaselineMib: number;
  readonly modes: readonly MemoryModeResult[];
}

export const TARGET_PEAK_HEAP_MIB = 64;
const RESULT_PREFIX = 'MEMORY_RESULT ';

function readStatusKb(field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // "5": reset the peak RSS (VmHWM) to the current RSS
    return true;
  } catch {
    return false;
  }
}

/** The child's side. argv: mode, reply file, auditor address. Prints one JSON line on stderr. */
export function memoryChild(argv: readonly string[]): void {
  const [mode, file, auditorAddress] = argv as [MemoryMode, string, string];
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memoryChild needs node --expose-gc');
  let gcCalls = 0;
  const fullGc = () => { gc(); gcCalls++; };

  fullGc();
  const emptyHeap = process.memoryUsage().heapUsed;
  const text = readFileSync(file, 'utf8');
  const fixture: ClientListFixture = { text, records: [], auditorAddress };
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  const input = auditInput(fixture, lines);
  fullGc();
  fullGc();
  const gcBeforeAnalysis = gcCalls;
  const baseline = process.memoryUsage();
  const baselineRss = readStatusKb('VmRSS');
  const rssPeakReset = resetPeakRss();

  const start = performance.now();
  let result: unknown;
  if (mode === 'assessAudit') result = assessAudit(input);
  else if (mode === 'scanAndAnalyse') result = scanAndAnalyse(fixture);
  else result = parseClientList(text);
  const analysisMs = performance.now() - start;
  const endHeap = process.memoryUsage().heapUsed;
  const peakRss = readStatusKb('VmHWM');
  const heap = getHeapStatistics();
  fullGc();
  const retained = process.memoryUsage().heapUsed;
  process.stderr.write(`${RESULT_PREFIX}${JSON.stringify({
    emptyHeap, baselineHeap: baseline.heapUsed, endHeap, retained, baselineRss, peakRss, rssPeakReset,
    heapSize: heap.total_heap_size, peakMalloced: heap.peak_malloced_memory, analysisMs, gcBeforeAnalysis,
    kept: result === undefined ? 0 : 1,
  })}\n`);
}

interface ChildReport {
  emptyHeap: number; baselineHeap: number; endHeap: number; retained: number; baselineRss: number; peakRss: number;
  rssPeakReset: boolean; heapSize: number; peakMalloced: number; analysisMs: number; gcBeforeAnalysis: number;
}

/** V8's --trace-gc line: `... Scavenge 4.1 (5.5) -> 3.9 (5.5) MB, ... allocation failure;` (sizes in MiB). */
const TRACE_GC = /: [^:]*? ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB,/;

/** Largest heap-before-GC during the analysis: between the child's last forced GC before it and the one after. */
export function peakFromTrace(trace: string, forcedBefore: number): { peakBytes: number; collections: number } | null {
  let forced = 0;
  let peak = 0;
  let collections = 0;
  for (const line of trace.split('\n')) {
    const match = TRACE_GC.exec(line);
    if (!match) continue;
    const testing = line.includes('testing');
    if (forced === forcedBefore) {
      peak = Math.max(peak, Number(match[1]) * MIB);
      if (testing) return { peakBytes: peak, collections };
      collections++;
    }
    if (testing) forced++;
  }
  return null;
}

async function buildChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'memory-child.mjs');
  const root = fileURLToPath(new URL('..', import.meta.url));
  await build({
    stdin: { contents: "import { memoryChild } from './bench/memory-bench.ts';\nmemoryChild(process.argv.slice(2));\n", resolveDir: root, loader: 'ts', sourcefile: 'memory-child.ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error',
    // The child never runs the parent's code; node-redis and esbuild stay out of the bundle.
    external: ['esbuild', '@redis/client/*'],
  });
  return outfile;
}

function runChild(script: string, mode: MemoryMode, file: string, auditorAddress: string): MemorySample {
  const child = spawnSync(process.execPath, ['--expose-gc', '--trace-gc', script, mode, file, auditorAddress], {
    encoding: 'utf8', maxBuffer: 64 * MIB, timeout: 120_000,
  });
  const line = child.stderr.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !line) throw new Error(`memory child (${mode}) failed with status ${child.status}: ${child.stderr.slice(0, 2000)}`);
  const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildReport;
  const traced = peakFromTrace(child.stdout, r.gcBeforeAnalysis);
  return {
    emptyHeapBytes: r.emptyHeap,
    baselineHeapBytes: r.baselineHeap,
    peakHeapBytes: Math.max(r.endHeap, traced?.peakBytes ?? 0),
    peakSource: traced ? 'trace-gc' : 'end-of-run',
    retainedHeapBytes: r.retained,
    baselineRssBytes: r.baselineRss,
    peakRssBytes: r.peakRss,
    rssPeakReset: r.rssPeakReset,
    heapSizeBytes: r.heapSize,
    peakMallocedBytes: r.peakMalloced,
    analysisMs: round(r.analysisMs, 1),
    gcDuringAnalysis: traced?.collections ?? -1,
  };
}

export interface MemoryBenchOptions {
  readonly smoke: boolean;
}

export async function runMemoryBench(options: MemoryBenchOptions): Promise<MemoryBenchResult> {
  const lines = options.smoke ? 1_000 : 65_000;
  const processes = options.smoke ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'rla-memory-bench-'));
  try {
    const fixture = generateClientList({ lines });
    const file = join(dir, `client-list-${lines}.txt`);
    writeFileSync(file, fixture.text);
    const script = await buildChild(dir);
    const samples = new Map<MemoryMode, MemorySample[]>(MEMORY_MODES.map((m) => [m, []]));
    // Interleaved: one process of each mode per round.
    for (let i = 0; i < processes; i++) {
      for (const mode of MEMORY_MODES) samples.get(mode)?.push(runChild(script, mode, file, fixture.auditorAddress));
    }
    const modes = MEMORY_MODES.map((mode): MemoryModeResult => {
      const s = samples.get(mode) ?? [];
      const med = (f: (x: MemorySample) => number) => mib(median(s.map(f)));
      return {
        mode, label: MEMORY_MODE_LABELS[mode], processes: s.length, samples: s,
        peakHeapAboveBaselineMib: med((x) => x.peakHeapBytes - x.baselineHeapBytes),
        peakHeapAboveEmptyMib: med((x) => x.peakHeapBytes - x.emptyHeapBytes),
        retainedAboveBaselineMib: med((x) => x.retainedHeapBytes - x.baselineHeapBytes),
        peakRssMib: med((x) => x.peakRssBytes),
        peakRssAboveBaselineMib: med((x) => x.peakRssBytes - x.baselineRssBytes),
      };
    });
    return { lines, replyBytes: fixture.text.length, targetPeakHeapAboveBaselineMib: TARGET_PEAK_HEAP_MIB, modes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function memoryTables(result: MemoryBenchResult): Table[] {
  const first = result.modes[0]?.samples[0];
  return [{
    title: `Peak memory analysing ${result.lines.toLocaleString('en-US')} clients (fresh process each, median, MiB)`,
    headers: ['analysis', 'processes', 'peak heap above baseline', 'incl. reply text', 'retained', 'peak RSS', 'RSS above baseline'],
    rows: result.modes.map((m) => [m.label, m.processes, m.peakHeapAboveBaselineMib, m.peakHeapAboveEmptyMib, m.retainedAboveBaselineMib, m.peakRssMib, m.peakRssAboveBaselineMib]),
    notes: [
      `baseline: heap used after GC with the ${mib(result.replyBytes)} MiB reply text already loaded; "incl. reply text" counts it too`,
      `target: peak heap under ${result.targetPeakHeapAboveBaselineMib} MiB above baseline; peak from --trace-gc (heap before each GC) and the heap at the end`,
      `peak RSS: kernel VmHWM ${first?.rssPeakReset === false ? '(could not be reset: includes loading the reply)' : 'reset just before the analysis'}`,
    ],
  }];
}
