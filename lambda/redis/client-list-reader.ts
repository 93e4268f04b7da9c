// Executes a ClientListPlan: one plain CLIENT LIST, or CLIENT LIST ID in bounded batches sent one after
// another (awaited, never pipelined), so that no single command holds the server's main thread for long.
// A by-id listing that finds clearly fewer clients than INFO counted falls back to a plain CLIENT LIST: a
// complete answer beats a cheap one. A plain listing gets the same scrutiny (core/reply-limits.ts): nil, no
// client line, without the auditor's own connection or far below INFO's count is not a clean sample.
import type { ClientListPlan } from '../core/collection-plan.js';
import { clientListByIdLimits, clientListLimits, countClientLines, listsConnection, plainListingProblem, type ReplyLimits } from '../core/reply-limits.js';
import { isReplyError, isTimeout } from './redis-connection.js';

export interface ClientListRead {
  /** The listing; null when the reply was nil or not a bulk string. */
  readonly text: string | null;
  readonly method: ClientListPlan['method'];
  readonly reason: string;
  /** CLIENT LIST commands sent for this sample. */
  readonly commands: number;
  /** The longest single CLIENT LIST round trip, milliseconds (an upper bound of its server time). */
  readonly longestMs: number;
  /** The server refused CLIENT LIST ID (before Redis 6.2): plan plain listings from now on. */
  readonly byIdUnsupported: boolean;
  /** Why this listing is not a clean sample (see the header); null when it is. */
  readonly problem: string | null;
}

/** Sends one command with the limits its reply must keep; resolves with the raw reply. */
export type Send = (args: [string, ...string[]], limits: ReplyLimits) => Promise<unknown>;

export interface ReadOptions {
  /** The auditor's own connection, the newest client when the sample starts (see readClientList). */
  readonly auditorAddresses?: readonly string[];
  /** True once the audit's deadline has passed: no new CLIENT LIST command is started after it. */
  readonly deadlinePassed?: () => boolean;
}

/**
 * `auditorAddresses`: a by-id listing that misses the auditor's own connection missed newer ids too, and is
 * replaced by a plain one. Throws what `send` throws (refusal, timeout, limit), except a timeout cut by the
 * deadline, which ends the listing with what was read and a `problem`.
 */
export async function readClientList(send: Send, plan: ClientListPlan, connectedClients: number | null, options: ReadOptions = {}): Promise<ClientListRead> {
  const self = options.auditorAddresses?.[0];
  const deadlinePassed = options.deadlinePassed ?? (() => false);
  let commands = 0;
  let longestMs = 0;
  const timed = async (args: [string, ...string[]], limits: ReplyLimits): Promise<string | null> => {
    const started = performance.now();
    commands += 1;
    try {
      const reply = await send(args, limits);
      return Buffer.isBuffer(reply) ? reply.toString('utf8') : null;
    } finally {
      longestMs = Math.max(longestMs, performance.now() - started);
    }
  };
  const result = (text: string | null, method: ClientListPlan['method'], reason: string, problem: string | null, byIdUnsupported = false): ClientListRead =>
    ({ text, method, reason, commands, longestMs: round(longestMs), byIdUnsupported, problem });
  const cutShort = (done: number, of: number) => `audit deadline reached after ${done} of ${of} CLIENT LIST batches`;
  const plain = async (reason: string, byIdUnsupported = false): Promise<ClientListRead> => {
    if (deadlinePassed()) return result(null, 'client-list', reason, cutShort(0, 1), byIdUnsupported);
    let text: string | null;
    try {
      text = await timed(['CLIENT', 'LIST'], clientListLimits(connectedClients));
    } catch (err) {
      if (isTimeout(err) && deadlinePassed()) return result(null, 'client-list', reason, cutShort(0, 1), byIdUnsupported);
      throw err;
    }
    return result(text, 'client-list', reason, plainListingProblem(text, connectedClients, self), byIdUnsupported);
  };
  if (plan.method === 'client-list') return plain(plan.reason);

  const parts: string[] = [];
  const total = plan.batches.length;
  for (const batch of plan.batches) {
    if (deadlinePassed()) return result(parts.join(''), 'client-list-by-id', plan.reason, cutShort(parts.length, total));
    let text: string | null;
    try {
      text = await timed(['CLIENT', 'LIST', 'ID', ...batch.map(String)], clientListByIdLimits(batch.length));
    } catch (err) {
      // Redis before 6.2 answers a syntax error; anything else (ACL, timeout, limit) is the caller's to report.
      if (isReplyError(err) && /syntax|wrong number|unknown/i.test(String((err as Error).message))) {
        return plain('CLIENT LIST ID is not supported by this server', true);
      }
      if (isTimeout(err) && deadlinePassed()) return result(parts.join(''), 'client-list-by-id', plan.reason, cutShort(parts.length, total));
      throw err;
    }
    if (text === null) return plain('CLIENT LIST ID answered something other than a listing; listed them all instead');
    parts.push(text);
  }
  const text = parts.join('');
  const listed = countClientLines(text);
  const short = connectedClients !== null && listed < connectedClients - Math.max(5, Math.ceil(connectedClients * 0.02))
    ? `by id found ${listed} of ${connectedClients} clients`
    : self !== undefined && !listsConnection(text, self) ? 'by id missed the auditor\'s own (newest) connection' : null;
  if (short === null) return result(text, 'client-list-by-id', plan.reason, null);
  // Past the deadline the short listing is kept, and said to be short, rather than replaced.
  return deadlinePassed() ? result(text, 'client-list-by-id', plan.reason, `${short}; the audit deadline left no time to list them all`) : plain(`${short}; listed them all instead`);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
