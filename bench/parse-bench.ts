// Parsing plus analysis of CLIENT LIST replies: this project against node-redis's own CLIENT LIST reply parser and
// a naive split-based parser, on the same generated text, interleaved, medians. Before anything is timed, the three
// parsers must agree with the generator's ground truth field by field on every line (and our analysis with a plain
// count per source); any difference throws.
import { createRequire } from 'node:module';
import type { ClientInfoReply } from '@redis/client/dist/lib/commands/CLIENT_INFO.js';
import { ClientAnalyser } from '../lambda/core/analyse-clients.js';
import { assessAudit, type AuditInput } from '../lambda/core/audit.js';
import { defaultPolicy, type ClientRecord } from '../lambda/core/model.js';
import { parseClientList, scanClientList } from '../lambda/core/parse-client-list.js';
import { collectGarbage, median, round, timeMs, type Table } from './bench-util.js';
import { FIXTURE_SIZES, generateClientList, generateInfoText, type ClientListFixture, type FixtureFields } from './client-list-fixture.js';

interface NodeRedisClientList {
  transformReply(rawReply: string): ClientInfoReply[];
}
let nodeRedisModule: NodeRedisClientList | undefined;

/** node-redis 5's CLIENT LIST command: `transformReply` turns the reply text into one object per client. Loaded on first use. */
function nodeRedisClientList(): NodeRedisClientList {
  const require = createRequire(import.meta.url);
  nodeRedisModule ??= (require('@redis/client/dist/lib/commands/CLIENT_LIST.js') as { default: NodeRedisClientList }).default;
  return nodeRedisModule;
}

export const CONTENDERS = ['ours', 'oursPipeline', 'oursParseOnly', 'nodeRedis', 'naive'] as const;
export type Contender = (typeof CONTENDERS)[number];

export const CONTENDER_LABELS: Record<Contender, string> = {
  ours: 'ours: scanClientList + ClientAnalyser',
  oursPipeline: 'ours: assessAudit (whole pipeline)',
  oursParseOnly: 'ours: scanClientList alone',
  nodeRedis: 'node-redis CLIENT LIST transformReply',
  naive: 'naive split parser',
};

export interface ParseSizeResult {
  readonly lines: number;
  readonly bytes: number;
  readonly repetitions: number;
  /** Fields compared per line against the generator's truth, per parser. */
  readonly fieldsCheckedPerLine: Readonly<Record<'ours' | 'nodeRedis' | 'naive', number>>;
  readonly samplesMs: Readonly<Record<Contender, number[]>>;
  readonly medianMs: Readonly<Record<Contender, number>>;
  /** Fastest run: on a shared machine noise only ever adds time, so the minimum is a second, steadier view. */
  readonly minMs: Readonly<Record<Contender, number>>;
  readonly linesPerSecond: Readonly<Record<Contender, number>>;
  /** node-redis median / ours median: how many times faster than node-redis's parser alone (> 1 is faster). */
  readonly speedupVsNodeRedis: Readonly<Record<'ours' | 'oursPipeline' | 'oursParseOnly' | 'naive', number>>;
}

export interface ParseBenchResult {
  readonly contenders: Readonly<Record<Contender, string>>;
  readonly sizes: readonly ParseSizeResult[];
}

/** The naive parser of the issue: split on newlines, spaces and the first `=`. */
export function naiveParse(text: string): Array<Record<string, string>> {
  return text.split('\n').filter((line) => line.length > 0)
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
}

const NODE = '10.0.0.5:6379';
const TAKEN_AT_MS = 1_714_521_600_000;

export function auditInput(fixture: ClientListFixture, connectedClients = fixture.records.length): AuditInput {
  return {
    target: `redis://${NODE}`,
    samples: [[{
      node: NODE, takenAtMs: TAKEN_AT_MS, infoText: generateInfoText(connectedClients), clientListText: fixture.text,
      config: { timeoutSeconds: 0, maxClients: 65_000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [fixture.auditorAddress],
      errors: [], cost: { commandsSent: 3, bytesRead: fixture.text.length, roundTripMs: 0 },
    }]],
    failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: TAKEN_AT_MS - 40, nowMs: TAKEN_AT_MS + 10, toolVersion: 'bench',
  };
}

/** Parse plus analysis as assessAudit does it: each client streams into the analyser and is not kept. */
export function scanAndAnalyse(fixture: ClientListFixture) {
  const analyser = new ClientAnalyser(defaultPolicy);
  const auditor = new Set([fixture.auditorAddress]);
  const scan = scanClientList(fixture.text, (client) => analyser.add(NODE, client, auditor));
  return { scan, analysis: analyser.finish() };
}

/** Each contender on one fixture; each returns a number so that its work cannot be optimised away. */
function runners(fixture: ClientListFixture): Record<Contender, () => number> {
  const input = auditInput(fixture);
  const { transformReply } = nodeRedisClientList();
  return {
    ours: () => scanAndAnalyse(fixture).analysis.analysedConnections,
    oursPipeline: () => assessAudit(input).report.summary.analysedConnections,
    oursParseOnly: () => {
      let count = 0;
      scanClientList(fixture.text, () => { count++; });
      return count;
    },
    nodeRedis: () => transformReply(fixture.text).length,
    naive: () => naiveParse(fixture.text).length,
  };
}

// ---- agreement check ------------------------------------------------------------------------------------------

/** node-redis's typed fields and the CLIENT LIST field each one reads. */
const NODE_REDIS_NUMBERS: ReadonlyArray<readonly [keyof ClientInfoReply, string]> = [
  ['id', 'id'], ['fd', 'fd'], ['age', 'age'], ['idle', 'idle'], ['db', 'db'], ['sub', 'sub'], ['psub', 'psub'], ['ssub', 'ssub'],
  ['multi', 'multi'], ['qbuf', 'qbuf'], ['qbufFree', 'qbuf-free'], ['argvMem', 'argv-mem'], ['multiMem', 'multi-mem'], ['obl', 'obl'],
  ['oll', 'oll'], ['omem', 'omem'], ['totMem', 'tot-mem'], ['redir', 'redir'], ['resp', 'resp'],
];
const NODE_REDIS_STRINGS: ReadonlyArray<readonly [keyof ClientInfoReply, string]> = [
  ['addr', 'addr'], ['laddr', 'laddr'], ['name', 'name'], ['flags', 'flags'], ['events', 'events'], ['cmd', 'cmd'], ['user', 'user'],
  ['libName', 'lib-name'], ['libVer', 'lib-ver'],
];

/** What our typed fields must hold for a line, derived from the truth independently of our parser. */
function expectedTyped(truth: FixtureFields): Record<string, string | number | null> {
  const addr = truth.addr ?? '';
  const flags = truth.flags ?? '';
  let sourceIp: string;
  let sourcePort: number | null;
  if (addr.startsWith('[')) {
    sourceIp = addr.slice(1, addr.indexOf(']'));
    sourcePort = Number(addr.slice(addr.indexOf(']') + 2));
  } else if (flags.includes('U')) {
    sourceIp = `unix:${addr.slice(0, addr.lastIndexOf(':'))}`;
    sourcePort = null;
  } else {
    sourceIp = addr.slice(0, addr.lastIndexOf(':'));
    sourcePort = Number(addr.slice(addr.lastIndexOf(':') + 1));
  }
  const num = (key: string) => Number(truth[key]);
  return {
    id: num('id'), addr, sourceIp, sourcePort, name: truth.name ?? '', ageSeconds: num('age'), idleSeconds: num('idle'), flags,
    db: num('db'), sub: num('sub'), psub: num('psub'), ssub: num('ssub'), multi: num('multi'), cmd: truth.cmd ?? '',
    user: truth.user ?? '', libName: truth['lib-name'] ?? '', libVer: truth['lib-ver'] ?? '',
  };
}

class Mismatches {
  readonly found: string[] = [];
  compare(parser: string, line: number, field: string, actual: unknown, expected: unknown): void {
    if (Object.is(actual, expected) || this.found.length >= 20) return;
    this.found.push(`line ${line + 1}: ${parser} ${field} = ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

/**
 * Checks that ours, node-redis and the naive parser read every field of every line as the generator wrote it, and
 * that our analysis counts the same connections per source as a plain count of the truth. Throws on any difference.
 */
export function checkAgreement(fixture: ClientListFixture): ParseSizeResult['fieldsCheckedPerLine'] {
  const { records, text } = fixture;
  const ours = parseClientList(text);
  const nodeRedis = nodeRedisClientList().transformReply(text);
  const naive = naiveParse(text);
  const bad = new Mismatches();
  bad.compare('ours', -1, 'line count', ours.clients.length, records.length);
  bad.compare('ours', -1, 'malformed lines', ours.malformedLines, 0);
  bad.compare('node-redis', -1, 'line count', nodeRedis.length, records.length);
  bad.compare('naive', -1, 'line count', naive.length, records.length);
  for (let i = 0; i < records.length; i++) {
    const truth = records[i] as FixtureFields;
    const keys = Object.keys(truth);
    const o: ClientRecord | undefined = ours.clients[i];
    const n = nodeRedis[i];
    const v = naive[i];
    for (const key of keys) {
      bad.compare('ours fields', i, key, o?.fields[key], truth[key]);
      bad.compare('naive', i, key, v?.[key], truth[key]);
    }
    bad.compare('ours fields', i, '(field count)', o ? Object.keys(o.fields).length : 0, keys.length);
    bad.compare('naive', i, '(field count)', v ? Object.keys(v).length : 0, keys.length);
    for (const [field, value] of Object.entries(expectedTyped(truth))) bad.compare('ours', i, field, o?.[field as keyof ClientRecord], value);
    for (const [field, key] of NODE_REDIS_NUMBERS) bad.compare('node-redis', i, field, n?.[field], Number(truth[key]));
    for (const [field, key] of NODE_REDIS_STRINGS) bad.compare('node-redis', i, field, n?.[field], truth[key]);
  }

  // The analysis: connections per source must match a plain count of the truth (auditor and replica left out).
  const expected = new Map<string, number>();
  for (const truth of records) {
    if (truth.name === 'redis-leak-auditor' || truth.flags === 'S') continue;
    const source = expectedTyped(truth).sourceIp as string;
    expected.set(source, (expected.get(source) ?? 0) + 1);
  }
  const { analysis } = scanAndAnalyse(fixture);
  const counted = new Map(analysis.bySourceIp.map((g) => [g.key, g.connections]));
  bad.compare('analysis', -1, 'source count', counted.size, expected.size);
  for (const [source, connections] of expected) bad.compare('analysis', -1, `connections from ${source}`, counted.get(source), connections);
  const report = assessAudit(auditInput(fixture)).report;
  bad.compare('assessAudit', -1, 'analysedConnections', report.summary.analysedConnections, analysis.analysedConnections);

  if (bad.found.length > 0) {
    throw new Error(`parsers disagree on the ${records.length}-line reply (first ${bad.found.length} differences):\n  ${bad.found.join('\n  ')}`);
  }
  const sample = records[0] ?? {};
  return {
    ours: Object.keys(sample).length + Object.keys(expectedTyped(sample)).length,
    nodeRedis: NODE_REDIS_NUMBERS.length + NODE_REDIS_STRINGS.length,
    naive: Object.keys(sample).length,
  };
}

// ---- timing ---------------------------------------------------------------------------------------------------

let sink = 0;

/** Untimed runs before measuring, so that every contender is optimised by the JIT: at least this many, and this long. */
const WARMUP_RUNS = 2;
const WARMUP_MS = 250;

function measure(fixture: ClientListFixture, repetitions: number, warmupMs: number): Record<Contender, number[]> {
  const run = runners(fixture);
  const samples = Object.fromEntries(CONTENDERS.map((c) => [c, [] as number[]])) as Record<Contender, number[]>;
  // One full GC per size, not per run: forced collections between runs made every contender slower and noisier
  // (10k lines: median x2, spread x3, measured here), as V8 then drops the code it had optimised.
  collectGarbage();
  for (const c of CONTENDERS) {
    let spent = 0;
    for (let w = 0; w < WARMUP_RUNS || spent < warmupMs; w++) spent += timeMs(() => { sink += run[c](); });
  }
  for (let rep = 0; rep < repetitions; rep++) {
    // Interleaved, and the order rotates so that no contender always runs right after the same other one.
    for (let k = 0; k < CONTENDERS.length; k++) {
      const c = CONTENDERS[(rep + k) % CONTENDERS.length] as Contender;
      samples[c].push(timeMs(() => { sink += run[c](); }));
    }
  }
  return samples;
}

export interface ParseBenchOptions {
  readonly smoke: boolean;
}

export function runParseBench(options: ParseBenchOptions): ParseBenchResult {
  const plan = options.smoke
    ? [{ lines: 200, repetitions: 2, warmupMs: 0 }, { lines: 1_000, repetitions: 2, warmupMs: 0 }]
    : FIXTURE_SIZES.map((lines) => ({ lines, repetitions: 7, warmupMs: WARMUP_MS }));
  const sizes: ParseSizeResult[] = [];
  for (const { lines, repetitions, warmupMs } of plan) {
    const fixture = generateClientList({ lines });
    const fieldsCheckedPerLine = checkAgreement(fixture);
    const samplesMs = measure(fixture, repetitions, warmupMs);
    const medianMs = Object.fromEntries(CONTENDERS.map((c) => [c, round(median(samplesMs[c]), 3)])) as Record<Contender, number>;
    const minMs = Object.fromEntries(CONTENDERS.map((c) => [c, round(Math.min(...samplesMs[c]), 3)])) as Record<Contender, number>;
    const linesPerSecond = Object.fromEntries(CONTENDERS.map((c) => [c, Math.round(lines / (medianMs[c] / 1000))])) as Record<Contender, number>;
    const speedup = (c: Contender) => round(medianMs.nodeRedis / medianMs[c], 2);
    sizes.push({
      lines, bytes: fixture.text.length, repetitions, fieldsCheckedPerLine,
      samplesMs: Object.fromEntries(CONTENDERS.map((c) => [c, samplesMs[c].map((ms) => round(ms, 3))])) as Record<Contender, number[]>,
      medianMs, minMs, linesPerSecond,
      speedupVsNodeRedis: { ours: speedup('ours'), oursPipeline: speedup('oursPipeline'), oursParseOnly: speedup('oursParseOnly'), naive: speedup('naive') },
    });
  }
  if (sink === -1) console.log(sink); // keeps the results observable
  return { contenders: CONTENDER_LABELS, sizes };
}

export function parseTables(result: ParseBenchResult): Table[] {
  const rows = result.sizes.flatMap((size) => CONTENDERS.map((c) => [
    size.lines, CONTENDER_LABELS[c], size.medianMs[c], size.minMs[c], size.linesPerSecond[c],
    c === 'nodeRedis' ? '1.00 (ref)' : `${round(size.medianMs.nodeRedis / size.medianMs[c], 2).toFixed(2)}x`,
    c === 'nodeRedis' ? '1.00 (ref)' : `${round(size.minMs.nodeRedis / size.minMs[c], 2).toFixed(2)}x`,
  ] as Array<string | number>));
  return [{
    title: 'CLIENT LIST parse + analysis (median ms per reply)',
    headers: ['lines', 'contender', 'median ms', 'min ms', 'lines/s (median)', 'vs node-redis', '(by min)'],
    rows,
    notes: [
      `repetitions: ${result.sizes.map((s) => `${s.lines} lines x${s.repetitions}`).join(', ')}; warm-up >= ${WARMUP_MS} ms each; interleaved, rotating order`,
      'all three parsers checked field by field against the generated truth on every line before timing',
      '"vs node-redis": node-redis median / this median (above 1: faster than node-redis\'s parser alone); "(by min)": the same with the fastest runs',
    ],
  }];
}
