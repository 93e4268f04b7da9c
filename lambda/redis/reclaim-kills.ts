// The only writes the project ever sends: CLIENT KILL ID of connections the core selected (reclaim-selection.ts),
// for the CLI's `reclaim --apply` and the Lambda's break-glass. On its own connection (the credential allowed to
// kill), closed whatever happens:
//   1. INFO replication: a server that became a replica since the audit (a failover) is refused.
//   2. CLIENT LIST ID <selected ids>: one bounded look-up of exactly those ids (no full listing, no stall), so a
//      connection gone or used again since the audit is spared (stillReclaimable).
//   3. CLIENT KILL ID <id>, one id at a time: no other filter, nothing else can match. The first failure stops
//      the kills; what was killed before it is still reported.
import { parseClientList } from '../core/parse-client-list.js';
import { stillReclaimable, type ReclaimCandidate } from '../core/reclaim-selection.js';
import { clientListByIdLimits, INFO_LIMITS, SMALL_REPLY_LIMITS } from '../core/reply-limits.js';
import { closeConnection, describeError, openConnection, type ConnectionTimeouts } from './redis-connection.js';
import type { RespConnection } from './resp-connection.js';
import type { RedisTarget } from './target-url.js';

export interface KillRequest {
  /** Where to connect, with the credential allowed to kill. */
  readonly target: RedisTarget;
  readonly selected: readonly ReclaimCandidate[];
  readonly minIdleSeconds: number;
  readonly timeouts: ConnectionTimeouts;
  /** No kill is started after this (epoch ms): the audit's deadline again, counted from the kill step's start. */
  readonly deadlineAtMs?: number;
  readonly now?: () => number;
}

export interface KillResult {
  /** Ids the server confirmed closed. */
  readonly killed: readonly number[];
  /** Selected, then left alone: gone, or used again, when looked up just before the kill. */
  readonly spared: number;
  /** Nothing was killed, and why (the connection, a replica, the look-up refused). */
  readonly refused?: string;
  /** Kills stopped before the end, and why. */
  readonly stoppedBy?: string;
}

export async function killSelected(request: KillRequest): Promise<KillResult> {
  if (request.selected.length === 0) return { killed: [], spared: 0 };
  let connection: RespConnection;
  try {
    connection = await openConnection(request.target, request.timeouts);
  } catch (err) {
    return { killed: [], spared: 0, refused: `The reclaim connection could not be opened (${describeError(err, request.target)}).` };
  }
  try {
    return await killOn(connection, request);
  } finally {
    await closeConnection(connection, Math.min(request.timeouts.commandTimeoutMs, 1000));
  }
}

async function killOn(connection: RespConnection, request: KillRequest): Promise<KillResult> {
  const { target, timeouts } = request;
  const now = request.now ?? Date.now;
  const send = (args: [string, ...string[]], limits: typeof SMALL_REPLY_LIMITS) => connection.command(args, { timeoutMs: timeouts.commandTimeoutMs, limits });

  let replication: unknown;
  try {
    replication = await send(['INFO', 'replication'], INFO_LIMITS);
  } catch (err) {
    return { killed: [], spared: 0, refused: `INFO replication failed on the reclaim connection (${describeError(err, target)}).` };
  }
  if (!/^role:master\b/m.test(textOf(replication))) {
    return { killed: [], spared: 0, refused: 'The server is not a primary any more (a failover since the audit?): nothing is killed on a replica.' };
  }

  const ids = request.selected.map((c) => String(c.id));
  let listed: unknown;
  try {
    listed = await send(['CLIENT', 'LIST', 'ID', ...ids] as [string, ...string[]], clientListByIdLimits(ids.length));
  } catch (err) {
    return { killed: [], spared: 0, refused: `The selected connections could not be looked up again just before the kill (${lookUpFailure(describeError(err, target))}).` };
  }
  const current = new Map(parseClientList(textOf(listed)).clients.map((c) => [c.id, c]));
  const still = request.selected.filter((c) => {
    const client = current.get(c.id);
    return client !== undefined && stillReclaimable(client, c, request.minIdleSeconds);
  });
  let spared = request.selected.length - still.length;

  const killed: number[] = [];
  for (const candidate of still) {
    if (request.deadlineAtMs !== undefined && now() >= request.deadlineAtMs) {
      return { killed, spared, stoppedBy: `the deadline was reached after ${killed.length} kills` };
    }
    try {
      const reply = await send(['CLIENT', 'KILL', 'ID', String(candidate.id)], SMALL_REPLY_LIMITS);
      // 1: closed; 0: gone in the meantime (nothing else can match an id).
      if (reply === 1 || reply === 'OK') killed.push(candidate.id);
      else spared += 1;
    } catch (err) {
      const detail = describeError(err, target);
      // The one refusal the operator fixes in the ACL: say which rule (the README's leak-reclaimer user has it).
      const fix = /\bNOPERM\b/.test(detail) ? '; the reclaim user needs +client|kill' : '';
      return { killed, spared, stoppedBy: `CLIENT KILL ID ${candidate.id} failed after ${killed.length} kills (${detail}${fix})` };
    }
  }
  return { killed, spared };
}

function textOf(reply: unknown): string {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : typeof reply === 'string' ? reply : '';
}

/** The look-up's failure with its likely fix: a permission, or a server older than CLIENT LIST ID (Redis 6.2). */
function lookUpFailure(detail: string): string {
  if (/\bNOPERM\b/.test(detail)) return `${detail}; the reclaim user needs +client|list`;
  if (/syntax error|unknown subcommand|wrong number of arguments/i.test(detail)) return `CLIENT LIST ID needs Redis 6.2 or later: ${detail}`;
  return detail;
}
