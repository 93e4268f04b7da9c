// The live section's summaries (median, min and max of every number, per method and size) and its tables.
import { median, round, type Table } from './bench-util.js';
import { METHOD_LABELS, METHODS, type Method, type RawSample } from './live-methods.js';
import type { SizeResult } from './live-server.js';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface MethodSummary {
  readonly method: Method;
  readonly label: string;
  readonly samples: number;
  /** Set when the method could not run here (e.g. no redis_exporter binary). */
  readonly skipped?: string;
  readonly listingUsed?: readonly string[];
  readonly longestCommandMs?: Spread;
  readonly serverTotalMs?: Spread;
  readonly delayedOver1ms?: Spread;
  readonly openLoopDelayedOver1ms?: Spread;
  readonly proberMaxMs?: Spread;
  readonly proberP99Ms?: Spread;
  readonly proberRequests?: Spread;
  readonly commands?: Spread;
  readonly wallMs?: Spread;
  /** The auditor's own account (sample.collection), medians of whichever fields it reports. */
  readonly collection?: Record<string, Spread>;
  readonly samplesWithErrors?: number;
}

export function spread(values: readonly number[], digits = 3): Spread {
  return { median: round(median(values), digits), min: round(Math.min(...values), digits), max: round(Math.max(...values), digits) };
}

export function summariseMethod(method: Method, samples: readonly RawSample[], skipped?: string): MethodSummary {
  const label = METHOD_LABELS[method];
  if (samples.length === 0) return { method, label, samples: 0, skipped: skipped ?? 'not measured' };
  const of = (pick: (s: RawSample) => number) => spread(samples.map(pick));
  const collection: Record<string, Spread> = {};
  const keys = new Set(samples.flatMap((s) => Object.keys(s.collection ?? {})));
  for (const key of keys) {
    const values = samples.map((s) => (s.collection as Record<string, number> | undefined)?.[key]).filter((v): v is number => typeof v === 'number');
    if (values.length > 0) collection[key] = spread(values);
  }
  const withErrors = samples.filter((s) => (s.sampleErrors?.length ?? 0) > 0).length;
  return {
    method, label, samples: samples.length,
    listingUsed: [...new Set(samples.map((s) => s.listingUsed))],
    longestCommandMs: of((s) => s.longestCommandUs / 1000),
    serverTotalMs: of((s) => s.serverTotalUs / 1000),
    delayedOver1ms: of((s) => s.probe.delayedOver1ms),
    openLoopDelayedOver1ms: of((s) => s.probe.openLoopDelayedOver1ms ?? 0),
    proberMaxMs: of((s) => s.probe.maxMs),
    proberP99Ms: of((s) => s.probe.p99Ms),
    proberRequests: of((s) => s.probe.requests),
    commands: of((s) => s.serverCommands),
    wallMs: of((s) => s.wallMs),
    ...(Object.keys(collection).length > 0 ? { collection } : {}),
    ...(withErrors > 0 ? { samplesWithErrors: withErrors } : {}),
  };
}

/** "12.3 (11.0-14.2)": the median and, when the samples differ, their range; about 3 significant digits. */
export function cell(value: Spread | undefined): string {
  if (value === undefined) return '-';
  const counts = [value.median, value.min, value.max].every(Number.isInteger);
  const f = (n: number) => {
    const digits = counts || Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : Math.abs(n) >= 1 ? 2 : 3;
    return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  };
  return value.min === value.max ? f(value.median) : `${f(value.median)} (${f(value.min)}-${f(value.max)})`;
}

export interface SizeView {
  readonly held: number;
  readonly requested: number;
  readonly received: number;
  readonly repetitions: number;
  readonly methods: readonly MethodSummary[];
}

export function sizeTables(size: SizeView): Table[] {
  const ordered = METHODS.map((m) => size.methods.find((s) => s.method === m)).filter((s): s is MethodSummary => s !== undefined);
  const n = size.repetitions;
  const main: Table = {
    title: `Live redis-server, ${size.held.toLocaleString('en-US')} held connections${size.held < size.requested ? ` (${size.requested.toLocaleString('en-US')} asked: see setup)` : ''}, ${size.received.toLocaleString('en-US')} received: one audit, ${n === 1 ? '1 run' : `median (min-max) of ${n}`}`,
    headers: ['method', 'listing', 'longest command ms (SLOWLOG)', 'server time ms', 'delayed >1 ms (open loop)', 'PINGs delayed >1 ms', 'PING max ms', 'PING p99 ms', 'commands', 'wall ms'],
    rows: ordered.map((m) => m.skipped !== undefined
      ? [m.label, `skipped: ${m.skipped}`, '', '', '', '', '', '', '', '']
      : [m.label, (m.listingUsed ?? []).join(', '), cell(m.longestCommandMs), cell(m.serverTotalMs), cell(m.openLoopDelayedOver1ms), cell(m.delayedOver1ms), cell(m.proberMaxMs), cell(m.proberP99Ms), cell(m.commands), cell(m.wallMs)]),
    notes: [
      'longest command: server time of the longest CLIENT LIST command (SLOWLOG, its loop only, not argument parsing);',
      'server time: all CLIENT LIST commands (INFO commandstats usec); PINGs: 3 prober connections, about 1 PING per ms each, during the method',
      ...(ordered.some((m) => (m.samplesWithErrors ?? 0) > 0) ? ['some samples reported errors or were incomplete: see sampleErrors in the results'] : []),
    ],
  };
  const collectors = ordered.filter((m) => m.collection !== undefined);
  const fields = [...new Set(collectors.flatMap((m) => Object.keys(m.collection ?? {})))];
  const account: Table = {
    title: `The auditor's own account of its sample (sample.collection), ${size.held.toLocaleString('en-US')} held: medians`,
    headers: ['method', ...fields],
    rows: collectors.map((m) => [m.label, ...fields.map((f) => cell(m.collection?.[f]))]),
  };
  return collectors.length > 0 ? [main, account] : [main];
}

/** The headline medians, for results.json's summary. */
export interface LiveSummary {
  readonly auditDurationMs: number;
  readonly sizes: ReadonlyArray<{
    readonly held: number;
    readonly requested: number;
    readonly received: number;
    readonly methods: Record<string, { longestCommandMs?: number; serverTotalMs?: number; delayedOver1ms?: number; proberMaxMs?: number; wallMs?: number; skipped?: string }>;
  }>;
}

export function liveSummary(sizes: readonly SizeResult[], auditDurationMs: number): LiveSummary {
  return {
    auditDurationMs,
    sizes: sizes.map((s) => ({
      held: s.held, requested: s.requested, received: s.receivedAtStart,
      methods: Object.fromEntries(s.methods.map((m) => [m.method, m.skipped !== undefined ? { skipped: m.skipped } : {
        longestCommandMs: m.longestCommandMs?.median, serverTotalMs: m.serverTotalMs?.median, delayedOver1ms: m.delayedOver1ms?.median,
        proberMaxMs: m.proberMaxMs?.median, wallMs: m.wallMs?.median,
      }])),
    })),
  };
}
