// The README's measured figures, written from bench/results.json and nowhere else: the block between the markers
// in README.md is generated (`npm run bench:readme`, and by every full `npm run bench`), and
// test/unit/readme-figures.test.ts fails when it differs from what the results file says.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SizeResult } from './live-server.js';
import type { Spread } from './live-tables.js';

export const START = '<!-- bench:figures:start (generated from bench/results.json by `npm run bench:readme`: do not edit) -->';
export const END = '<!-- bench:figures:end -->';

type Size = Pick<SizeResult, 'held' | 'receivedAtStart' | 'receivedAtEnd' | 'redisVersion' | 'methods'>;
export interface BenchResults {
  readonly date: string;
  readonly machine: { readonly cpuModel: string; readonly cpus: number; readonly totalMemoryMib: number; readonly loadAverageAtStart: readonly number[]; readonly loadAverageAtEnd?: readonly number[] };
  readonly node: { readonly version: string };
  readonly sections: {
    readonly liveServer?: { readonly sizes: readonly Size[]; readonly repetitions: number; readonly pinning: string; readonly exporterVersion: string | null };
  };
  readonly summary: {
    readonly parse?: { readonly lines: number; readonly oursMs: number; readonly nodeRedisMs: number; readonly speedupVsNodeRedis: number; readonly speedupVsNodeRedisByMin: number };
    readonly memory?: { readonly lines: number; readonly peakHeapAboveBaselineMib: number; readonly peakHeapInclReplyMib: number };
    readonly cost?: { readonly durationMs: number; readonly durationSource: string };
  };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** "0.62 (0.55-0.71)": the median and the range of the repetitions. */
function cell(value: Spread | undefined, unit = ''): string {
  if (value === undefined) return '-';
  const f = (n: number) => (Number.isInteger(n) ? count(n) : n >= 100 ? count(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  return value.min === value.max ? `${f(value.median)}${unit}` : `${f(value.median)}${unit} (${f(value.min)}-${f(value.max)})`;
}

export function renderFigures(results: BenchResults): string {
  const m = results.machine;
  const load = `${m.loadAverageAtStart[0] ?? '?'} at the start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd[0] ?? '?'} at the end` : ''}`;
  const lines = [
    START,
    `Measured by \`npm run bench\` on ${results.date.slice(0, 16).replace('T', ' ')} UTC: ${m.cpus} x ${m.cpuModel}, ${count(m.totalMemoryMib / 1024)} GiB,`
      + ` Node ${results.node.version}, load average ${load} (a shared machine: read the spreads).`,
  ];
  const live = results.sections.liveServer;
  if (live !== undefined && Array.isArray(live.sizes)) {
    lines.push('', `What clients of the audited server feel during one sample, median (min-max) of ${live.repetitions} interleaved`
      + ` repetitions; ${live.pinning}; a PING prober counts its requests that waited more than 1 ms`
      + ` ("idle" is the same prober with no auditor: the machine's own noise):`, '',
    '| clients held | connections received | method | longest command | server time in all | requests delayed over 1 ms (open loop) | prober: delayed / sent | prober max | commands | wall |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const size of live.sizes) {
      for (const method of size.methods) {
        const received = `${count(size.receivedAtStart)}`;
        if (method.samples === 0) {
          lines.push(`| ${count(size.held)} | ${received} | ${method.label} | not run: ${method.skipped ?? 'skipped'} | | | | | | |`);
          continue;
        }
        lines.push(`| ${count(size.held)} | ${received} | ${method.label} | ${cell(method.longestCommandMs, ' ms')} | ${cell(method.serverTotalMs, ' ms')}`
          + ` | ${cell(method.openLoopDelayedOver1ms)} | ${cell(method.delayedOver1ms)} / ${cell(method.proberRequests)} | ${cell(method.proberMaxMs, ' ms')} | ${cell(method.commands)} | ${cell(method.wallMs, ' ms')} |`);
      }
    }
    lines.push('', 'Longest command and server time in all are the server\'s own (SLOWLOG, INFO commandstats): they leave out'
      + ' argument parsing, which the prober sees. The prober waits for each reply before sending the next, so a long stall'
      + ' delays only one of its requests per connection; "open loop" counts what clients sending a request every millisecond'
      + ' on each of its 3 connections would have had delayed (coordinated omission corrected). Delayed requests grow with the'
      + ' time a method takes: compare them with the idle control, the same machine measured for as long as the median method.');
  }
  const { parse, memory, cost } = results.summary;
  if (parse !== undefined) {
    lines.push('', `Parse plus analysis of ${count(parse.lines)} clients: ${count(parse.oursMs)} ms against ${count(parse.nodeRedisMs)} ms`
      + ` for node-redis's own CLIENT LIST parser alone (${parse.speedupVsNodeRedis}x by medians, ${parse.speedupVsNodeRedisByMin}x by the fastest runs).`);
  }
  if (memory !== undefined) {
    lines.push('', `Memory at ${count(memory.lines)} clients: ${memory.peakHeapAboveBaselineMib} MiB of heap above the reply itself`
      + ` (${memory.peakHeapInclReplyMib} MiB with it).`);
  }
  if (cost !== undefined) lines.push('', `One audit's duration for the Lambda cost estimate: ${cost.durationMs} ms (${cost.durationSource}).`);
  lines.push(END);
  return lines.join('\n');
}

/** `text` with its generated block replaced; throws when the markers are missing. */
export function withFigures(text: string, figures: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  return text.slice(0, start) + figures + text.slice(end + END.length);
}

export function readResults(path: string): BenchResults {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
}

export function writeReadmeFigures(resultsPath: string, readmePath: string): void {
  const text = readFileSync(readmePath, 'utf8');
  writeFileSync(readmePath, withFigures(text, renderFigures(readResults(resultsPath))));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = new URL('..', import.meta.url);
  writeReadmeFigures(fileURLToPath(new URL('bench/results.json', root)), fileURLToPath(new URL('README.md', root)));
  console.log('README.md: figures written from bench/results.json');
}
