// Executes a ListingChoice (core/listing-choice.ts): one plain CLIENT LIST, or CLIENT LIST ID in batches the
// IdScan sizes, sent one after another (awaited, never pipelined), so that no single command holds the
// server's main thread for longer than the stall budget. A by-id scan that cannot finish within the sample's
// allowance or the audit's deadline lists nothing this sample (what it found is remembered for the next);
// so does one that misses the auditor's own connection (the ids were not where the counters put them),
// unless the user allows one plain listing. A plain listing gets the scrutiny of core/reply-limits.ts.
import type { ListingChoice, StallPolicy } from '../core/listing-choice.js';
import { listedIds, type IdScan } from '../core/id-scan.js';
import type { CollectionMemory } from '../core/collection-memory.js';
import { clientListByIdLimits, clientListLimits, countClientLines, INFO_LIMITS, listsConnection, plainListingProblem, type ReplyLimits } from '../core/reply-limits.js';
import { MEASURED_STALL_MODEL, plainListingCostMs } from '../core/stall-model.js';
import { isReplyError, isTimeout } from './redis-connection.js';

export interface ClientListRead {
  /** The listing; null when nothing was listed (nil reply, over budget, cut short). */
  readonly text: string | null;
  readonly method: 'client-list' | 'client-list-by-id';
  readonly reason: string;
  /** CLIENT LIST commands sent for this sample. */
  readonly commands: number;
  /** The longest single CLIENT LIST round trip, milliseconds (an upper bound of its server time). */
  readonly longestMs: number;
  readonly idsLookedUp: number;
  readonly clientsListed: number;
  /** Server time of the listing in total and of its longest command, ms, by the stall model. */
  readonly estimatedServerMs: number;
  readonly estimatedLongestMs: number;
  readonly listingMs: number;
  /** How much slower than the stall model the server measured (INFO cpu), 1 or more; 1 when not measured. */
  readonly speedFactor: number;
  /** The server refused CLIENT LIST ID (before Redis 6.2): plan plain listings from now on. */
  readonly byIdUnsupported: boolean;
  /** Why this listing is not a clean sample; null when it is. */
  readonly problem: string | null;
  /** True when `problem` is a choice within the budget (nothing listed on purpose), not a failure. */
  readonly deferred: boolean;
  /** What the next sample can build on; null to start afresh. */
  readonly memory: CollectionMemory | null;
}

/** Sends one command with the limits its reply must keep; resolves with the raw reply. */
export type Send = (args: [string, ...string[]], limits: ReplyLimits) => Promise<unknown>;

export interface ReadOptions {
  /** The auditor's own connection, always among the clients listed. */
  readonly auditorAddresses?: readonly string[];
  /** True once the audit's deadline has passed: no new CLIENT LIST command is started after it. */
  readonly deadlinePassed?: () => boolean;
  readonly stall: StallPolicy;
  readonly connectedClients: number | null;
  /** run_id and total_connections_received of this sample, to anchor the memory. */
  readonly runId: string | null;
  readonly received: number | null;
  /** Told after each command. */
  readonly onProgress?: (progress: { listed: number; commands: number; idsLookedUp: number }) => void;
}

/** Throws what `send` throws (refusal, timeout, limit), except a timeout cut by the deadline. */
export async function readClientList(send: Send, choice: ListingChoice, options: ReadOptions): Promise<ClientListRead> {
  const self = options.auditorAddresses?.[0];
  const deadlinePassed = options.deadlinePassed ?? (() => false);
  const started = performance.now();
  let commands = 0;
  let longestMs = 0;
  const timed = async (args: [string, ...string[]], limits: ReplyLimits): Promise<string | null> => {
    const at = performance.now();
    commands += 1;
    try {
      const reply = await send(args, limits);
      return Buffer.isBuffer(reply) ? reply.toString('utf8') : null;
    } finally {
      longestMs = Math.max(longestMs, performance.now() - at);
    }
  };
  const base = { commands: 0, longestMs: 0, idsLookedUp: 0, clientsListed: 0, estimatedServerMs: 0, estimatedLongestMs: 0, speedFactor: 1, byIdUnsupported: false, deferred: false, memory: null };
  const finish = (read: Partial<ClientListRead> & Pick<ClientListRead, 'text' | 'method' | 'reason' | 'problem'>): ClientListRead =>
    ({ ...base, ...read, commands, longestMs: round(longestMs), listingMs: round(performance.now() - started) });

  const plain = async (reason: string, extra: Partial<ClientListRead> = {}): Promise<ClientListRead> => {
    if (deadlinePassed()) return finish({ ...extra, text: null, method: 'client-list', reason, problem: 'audit deadline reached before CLIENT LIST was sent' });
    let text: string | null;
    try {
      text = await timed(['CLIENT', 'LIST'], clientListLimits(options.connectedClients));
    } catch (err) {
      if (isTimeout(err) && deadlinePassed()) return finish({ ...extra, text: null, method: 'client-list', reason, problem: 'audit deadline reached during CLIENT LIST' });
      throw err;
    }
    const listed = text === null ? 0 : countClientLines(text);
    const cost = plainListingCostMs(MEASURED_STALL_MODEL, listed);
    const problem = plainListingProblem(text, options.connectedClients, self);
    const memory = text === null || problem !== null || options.runId === null || options.received === null ? null : plainMemory(text, options.runId, options.received);
    options.onProgress?.({ listed, commands, idsLookedUp: 0 });
    return finish({
      ...extra, text, method: 'client-list', reason, problem, memory, clientsListed: listed,
      estimatedServerMs: round((extra.estimatedServerMs ?? 0) + cost), estimatedLongestMs: round(Math.max(extra.estimatedLongestMs ?? 0, cost)),
    });
  };
  // `deferred`: nothing listed on purpose (the budget), not a failure that makes the report partial.
  const notListed = (reason: string, problem: string, extra: Partial<ClientListRead> = {}, deferred = true) =>
    finish({ ...extra, text: null, method: 'client-list-by-id', reason, problem, deferred });

  if (choice.method === 'client-list') return plain(choice.reason);
  if (choice.method === 'none') return finish({ text: null, method: 'client-list', reason: choice.reason, problem: choice.reason, deferred: true });

  const { scan } = choice;
  const parts: string[] = [];
  // The server's main-thread CPU time (INFO cpu) before the first batch and every few batches: it calibrates
  // the stall model to this server's speed (core/id-scan.ts calibrate()). Null when the server does not say.
  let cpuAt = await readMainThreadCpuMs(send, deadlinePassed);
  let sinceCalibration = 0;
  let calibrations = 0;
  const scanned = (): Partial<ClientListRead> => {
    const p = scan.progress;
    return {
      idsLookedUp: p.idsLookedUp, clientsListed: p.listed, estimatedServerMs: p.estimatedServerMs, estimatedLongestMs: p.estimatedLongestMs,
      speedFactor: Math.round(scan.speedFactor * 100) / 100, memory: scan.memory(options.runId, options.received),
    };
  };
  for (let batch = scan.next(); batch !== null; batch = scan.next()) {
    if (deadlinePassed()) {
      scan.abandon(); // not sent: the next sample looks these ids up
      return notListed(choice.reason, cutShort(scan, 'the audit deadline'), scanned(), false);
    }
    let text: string | null;
    try {
      text = await timed(['CLIENT', 'LIST', 'ID', ...batch.map(String)], clientListByIdLimits(batch.length));
    } catch (err) {
      // Redis before 6.2 answers a syntax error; anything else (ACL, timeout, limit) is the caller's to report.
      if (isReplyError(err) && /syntax|wrong number|unknown/i.test(String((err as Error).message))) {
        return overBudget(options, 'CLIENT LIST ID is not supported by this server (Redis 6.2 or later has it)', plain, notListed, { byIdUnsupported: true });
      }
      if (isTimeout(err) && deadlinePassed()) {
        scan.abandon();
        return notListed(choice.reason, cutShort(scan, 'the audit deadline'), scanned(), false);
      }
      throw err;
    }
    if (text === null) return plain('CLIENT LIST ID answered something other than a listing; listed them all instead');
    scan.record(listedIds(text));
    parts.push(text);
    sinceCalibration += 1;
    if (cpuAt !== null && sinceCalibration >= (calibrations === 0 ? FIRST_CALIBRATION_AFTER : CALIBRATE_EVERY) && !deadlinePassed()) {
      const now = await readMainThreadCpuMs(send, deadlinePassed);
      if (now !== null) scan.calibrate(now - cpuAt);
      cpuAt = now;
      sinceCalibration = 0;
      calibrations += 1;
    }
    options.onProgress?.({ listed: scan.progress.listed, commands, idsLookedUp: scan.progress.idsLookedUp });
  }
  if (!scan.complete) {
    return overBudget(options, cutShort(scan, `the ${scan.progress.commands} commands one sample may send`), plain, notListed, scanned());
  }
  const text = parts.join('');
  if (self !== undefined && !listsConnection(text, self)) {
    // The newest ids were not where the counters put them: the listing may miss any number of clients.
    return overBudget(options, 'listing by id missed the auditor\'s own connection (the ids are not where INFO\'s counters put them)', plain, notListed, { ...scanned(), memory: null });
  }
  return finish({ text, method: 'client-list-by-id', reason: choice.reason, problem: null, ...scanned() });
}

/** A by-id listing that cannot be finished within the budget: what the user chose (core/stall-budget.ts). */
function overBudget(
  options: ReadOptions, why: string, plain: (reason: string, extra?: Partial<ClientListRead>) => Promise<ClientListRead>,
  notListed: (reason: string, problem: string, extra?: Partial<ClientListRead>) => ClientListRead, extra: Partial<ClientListRead>,
): Promise<ClientListRead> | ClientListRead {
  if (options.stall.overBudget === 'list-all') return plain(`${why}; listed them all at once, as --over-budget list-all allows`, { ...extra, memory: null });
  return notListed(why, `${why}: clients were not listed this sample, within the ${options.stall.maxStallMs} ms stall budget${extra.memory ? '; the ids found so far are kept, and the next samples go on from there' : ''} (--over-budget list-all lists them all at once instead)`, extra);
}

/** Batches before the first calibration, and between the next ones. */
const FIRST_CALIBRATION_AFTER = 1;
const CALIBRATE_EVERY = 16;

/**
 * used_cpu_{sys,user}_main_thread (Redis 6.2+, Valkey), else the process's, in ms; null when unreadable or
 * refused, or when it timed out because the audit deadline passed: calibration is optional, and the batch loop's
 * own deadline check then ends the listing as cut short rather than failing the node.
 */
async function readMainThreadCpuMs(send: Send, deadlinePassed: () => boolean): Promise<number | null> {
  let reply: unknown;
  try {
    reply = await send(['INFO', 'cpu'], INFO_LIMITS);
  } catch (err) {
    if (isReplyError(err) || (isTimeout(err) && deadlinePassed())) return null;
    throw err;
  }
  const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : '';
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)\\r?$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const main = field('used_cpu_sys_main_thread') + field('used_cpu_user_main_thread');
  const whole = field('used_cpu_sys') + field('used_cpu_user');
  const seconds = Number.isFinite(main) ? main : whole;
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

function cutShort(scan: IdScan, by: string): string {
  const p = scan.progress;
  return `listing by id was cut short by ${by} (${p.idsLookedUp.toLocaleString('en-US')} ids looked up, ${p.listed.toLocaleString('en-US')} clients found, ${scan.idsToScan.toLocaleString('en-US')} ids still to look up)`;
}

function plainMemory(text: string, runId: string, received: number): CollectionMemory {
  const ids = listedIds(text).sort((a, b) => a - b);
  return { runId, totalConnectionsReceived: received, maxId: ids[ids.length - 1] ?? 0, ids };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
