// The ways of listing a live server's clients that the live section puts side by side, and the measurement of
// one of them: each method is prepared outside the measured window (a collector opened, a warm-up sample
// taken), then runs once inside a PING prober window, with the server's own meters read around it.
import type { RespClient } from '../cli/demo/resp-client.js';
import { NodeCollector, type CollectorOptions } from '../lambda/redis/node-collector.js';
import { parseTargetUrl } from '../lambda/redis/target-url.js';
import type { ExporterPeer, Scrape } from './exporter-peer.js';
import type { ProbeWindow, Prober } from './prober-process.js';
import { clientListStats, readClientListSlowlog, resetSlowlog } from './server-meters.js';

export const METHODS = ['plain', 'byIdFirst', 'byIdSteady', 'byIdSteadyAfterChurn', 'exporter', 'idle'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABELS: Record<Method, string> = {
  plain: 'plain CLIENT LIST',
  byIdFirst: 'by id, first run',
  byIdSteady: 'by id, steady state',
  byIdSteadyAfterChurn: 'by id, steady, churn between',
  exporter: 'redis_exporter -export-client-list',
  idle: 'idle (control)',
};

/** The CLI's default timeouts (cli/args.ts): the auditor as users run it. */
export const AUDITOR_TIMEOUTS = { connectTimeoutMs: 5000, commandTimeoutMs: 5000 } as const;

type Options = CollectorOptions;
/** What the auditor did on every first run above ~150k received connections before the by-id scan. */
const PLAIN: Options = { listing: 'plain' };

/** The numeric fields of a sample's `collection` (some are new: each is copied only when present). */
const COLLECTION_FIELDS = ['clientListCommands', 'longestClientListMs', 'idsLookedUp', 'clientsListed', 'estimatedServerMs', 'estimatedLongestMs', 'listingMs'] as const;
export type CollectionNumbers = Partial<Record<(typeof COLLECTION_FIELDS)[number], number>>;

/** One method, measured once: every number the tables are built from. */
export interface RawSample {
  readonly method: Method;
  readonly repetition: number;
  /** Position in this repetition's (rotated) order, from 0. */
  readonly position: number;
  /** The sample's or the scrape's wall time, ms; for idle, the time waited. */
  readonly wallMs: number;
  /** How the clients were listed: plain, by id, or none (exporter: plain inside the exporter; idle: none). */
  readonly listingUsed: 'plain' | 'by id' | 'none';
  /** CLIENT LIST commands the server ran (commandstats calls) and their server time in total, µs. */
  readonly serverCommands: number;
  readonly serverTotalUs: number;
  /** The longest single CLIENT LIST command's server µs (SLOWLOG), 0 when none ran. */
  readonly longestCommandUs: number;
  readonly slowlogCommands: number;
  readonly slowlogOverflowed: boolean;
  readonly probe: ProbeWindow;
  readonly collection?: CollectionNumbers;
  readonly scrape?: Scrape;
  /** The sample's own problems (errors, incomplete): such a sample lists fewer clients than held. */
  readonly sampleErrors?: readonly string[];
}

export interface MethodContext {
  readonly url: string;
  readonly control: RespClient;
  readonly prober: Prober;
  readonly exporter: ExporterPeer | null;
  /** New connections between the two samples of `byIdSteadyAfterChurn`. */
  readonly churnBetween: () => Promise<unknown>;
  /** How long the idle control waits: the median wall time of the other methods so far. */
  readonly idleMs: () => number;
}

interface Run {
  readonly wallMs: number;
  readonly listingUsed: RawSample['listingUsed'];
  readonly collection?: CollectionNumbers;
  readonly scrape?: Scrape;
  readonly sampleErrors?: readonly string[];
}

interface Prepared {
  run(): Promise<Run>;
  finish(): Promise<void>;
}

async function collectorMethod(url: string, options: Options, warmUp: null | (() => Promise<unknown>)): Promise<Prepared> {
  const collector = await NodeCollector.open(parseTargetUrl(url), AUDITOR_TIMEOUTS, options);
  try {
    if (warmUp !== null) {
      await collector.sample(); // the previous run's sample: what it leaves is the collector's memory
      await warmUp();
    }
  } catch (err) {
    await collector.close();
    throw err;
  }
  return {
    async run(): Promise<Run> {
      const started = performance.now();
      const sample = await collector.sample();
      const wallMs = performance.now() - started;
      const c = sample.collection as Record<string, unknown> | null | undefined;
      const collection: CollectionNumbers = {};
      for (const key of COLLECTION_FIELDS) if (typeof c?.[key] === 'number') collection[key] = c[key] as number;
      const listingUsed = c?.method === 'client-list' ? 'plain' : c?.method === 'client-list-by-id' ? 'by id' : 'none';
      const problems = [...sample.errors, ...(sample.incomplete ? ['incomplete sample'] : [])];
      return { wallMs, listingUsed, collection, ...(problems.length > 0 ? { sampleErrors: problems } : {}) };
    },
    finish: () => collector.close(),
  };
}

async function prepare(method: Method, context: MethodContext): Promise<Prepared | null> {
  const none = async () => undefined;
  switch (method) {
    case 'plain': return collectorMethod(context.url, PLAIN, null);
    case 'byIdFirst': return collectorMethod(context.url, {}, null);
    case 'byIdSteady': return collectorMethod(context.url, {}, none);
    case 'byIdSteadyAfterChurn': return collectorMethod(context.url, {}, context.churnBetween);
    case 'exporter': {
      const exporter = context.exporter;
      if (exporter === null) return null;
      return {
        async run(): Promise<Run> {
          const scrape = await exporter.scrape();
          if (scrape.status !== 200) throw new Error(`redis_exporter answered the scrape with HTTP ${scrape.status}`);
          return { wallMs: scrape.ms, listingUsed: 'plain', scrape: { ...scrape, ms: Math.round(scrape.ms * 1000) / 1000 } };
        },
        finish: none,
      };
    }
    case 'idle': {
      const waitMs = context.idleMs();
      return {
        async run(): Promise<Run> {
          const started = performance.now();
          await new Promise((resolve) => setTimeout(resolve, waitMs));
          return { wallMs: performance.now() - started, listingUsed: 'none' };
        },
        finish: none,
      };
    }
  }
}

/** Measures one method once; null when it cannot run here (no exporter installed). */
export async function measureMethod(method: Method, repetition: number, position: number, context: MethodContext): Promise<RawSample | null> {
  const prepared = await prepare(method, context);
  if (prepared === null) return null;
  try {
    const { control } = context;
    await resetSlowlog(control);
    const before = await clientListStats(control);
    const { result, probe } = await context.prober.during(`${method} #${repetition}`, () => prepared.run());
    const after = await clientListStats(control);
    const slowlog = await readClientListSlowlog(control);
    return {
      method, repetition, position,
      wallMs: Math.round(result.wallMs * 1000) / 1000,
      listingUsed: result.listingUsed,
      serverCommands: after.calls - before.calls,
      serverTotalUs: after.usec - before.usec,
      longestCommandUs: Math.max(0, ...slowlog.clientListUs),
      slowlogCommands: slowlog.clientListUs.length,
      slowlogOverflowed: slowlog.overflowed,
      probe,
      ...(result.collection ? { collection: result.collection } : {}),
      ...(result.scrape ? { scrape: result.scrape } : {}),
      ...(result.sampleErrors ? { sampleErrors: result.sampleErrors } : {}),
    };
  } finally {
    await prepared.finish();
  }
}
