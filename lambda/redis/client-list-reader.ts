// Executes a ClientListPlan: one plain CLIENT LIST, or CLIENT LIST ID in bounded batches sent one after
// another (awaited, never pipelined), so that no single command holds the server's main thread for long.
// A by-id listing that finds clearly fewer clients than INFO counted falls back to a plain CLIENT LIST: a
// complete answer beats a cheap one.
import type { ClientListPlan } from '../core/collection-plan.js';
import { isReplyError } from './redis-connection.js';

export interface ClientListRead {
  readonly text: string;
  readonly method: ClientListPlan['method'];
  readonly reason: string;
  /** CLIENT LIST commands sent for this sample. */
  readonly commands: number;
  /** The longest single CLIENT LIST round trip, milliseconds (an upper bound of its server time). */
  readonly longestMs: number;
  /** The server refused CLIENT LIST ID (before Redis 6.2): plan plain listings from now on. */
  readonly byIdUnsupported: boolean;
}

type Send = (args: [string, ...string[]]) => Promise<unknown>;

/**
 * `auditorAddresses`: the auditor's own connection, the newest client when the sample starts: a by-id
 * listing that misses it missed newer ids too, and is replaced by a plain one.
 */
export async function readClientList(send: Send, plan: ClientListPlan, connectedClients: number | null, auditorAddresses: readonly string[] = []): Promise<ClientListRead> {
  let commands = 0;
  let longestMs = 0;
  const timed = async (args: [string, ...string[]]): Promise<string> => {
    const started = performance.now();
    commands += 1;
    try {
      return asText(await send(args));
    } finally {
      longestMs = Math.max(longestMs, performance.now() - started);
    }
  };
  const plain = async (reason: string, byIdUnsupported = false): Promise<ClientListRead> => {
    const text = await timed(['CLIENT', 'LIST']);
    return { text, method: 'client-list', reason, commands, longestMs: round(longestMs), byIdUnsupported };
  };
  if (plan.method === 'client-list') return plain(plan.reason);

  const parts: string[] = [];
  for (const batch of plan.batches) {
    try {
      parts.push(await timed(['CLIENT', 'LIST', 'ID', ...batch.map(String)]));
    } catch (err) {
      // Redis before 6.2 answers a syntax error; anything else (ACL, timeout) is the caller's to report.
      if (isReplyError(err) && /syntax|wrong number|unknown/i.test(String((err as Error).message))) {
        return plain('CLIENT LIST ID is not supported by this server', true);
      }
      throw err;
    }
  }
  const text = parts.join('');
  const listed = countLines(text);
  if (connectedClients !== null && listed < connectedClients - Math.max(5, Math.ceil(connectedClients * 0.02))) {
    return plain(`by id found ${listed} of ${connectedClients} clients; listed them all instead`);
  }
  const self = auditorAddresses[0];
  if (self !== undefined && !text.includes(` addr=${self} `)) {
    return plain('by id missed the auditor\'s own (newest) connection; listed them all instead');
  }
  return { text, method: 'client-list-by-id', reason: plan.reason, commands, longestMs: round(longestMs), byIdUnsupported: false };
}

/** Client lines: every line starts with `id=`. */
function countLines(text: string): number {
  let count = text.startsWith('id=') ? 1 : 0;
  for (let at = text.indexOf('\nid='); at >= 0; at = text.indexOf('\nid=', at + 1)) count += 1;
  return count;
}

function asText(reply: unknown): string {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
