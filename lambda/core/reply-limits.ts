// How much the auditor accepts from a server for each command, and when a reply that arrived is still not a
// clean sample. A broken or hostile server must not be able to grow the process without bound (a CLIENT LIST
// sent fast once grew it to 836 MB) nor pass off an empty or swapped reply as "0 clients". Pure: the
// collector (lambda/redis/) applies these; nothing here touches a socket.
import { PLAUSIBLE, plausible } from './plausible.js';

export interface ReplyLimits {
  /** Every byte of the reply, RESP framing included. */
  readonly maxReplyBytes: number;
  /** One bulk string's declared length. */
  readonly maxBulkBytes: number;
  /** One array's declared element count. */
  readonly maxArrayElements: number;
  /** Arrays inside arrays; 1 = a flat array. */
  readonly maxDepth: number;
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** Every reply we expect is one bulk string, except CONFIG GET's flat array of name/value pairs. */
const ONE_BULK = { maxArrayElements: 16, maxDepth: 1 } as const;

/** AUTH, CLIENT SETNAME, QUIT: `+OK` or an error line. */
export const SMALL_REPLY_LIMITS: ReplyLimits = { maxReplyBytes: 4 * KIB, maxBulkBytes: 4 * KIB, ...ONE_BULK };
/** INFO (default section): about 5 KiB on Redis 7; 1 MiB leaves room for modules and keyspace lines. */
export const INFO_LIMITS: ReplyLimits = { maxReplyBytes: MIB, maxBulkBytes: MIB, ...ONE_BULK };
/** CONFIG GET of three parameters: six short strings; a server answering more is not answering us. */
export const CONFIG_GET_LIMITS: ReplyLimits = { maxReplyBytes: 64 * KIB, maxBulkBytes: 4 * KIB, maxArrayElements: 1024, maxDepth: 1 };
/** CLUSTER NODES: ~200 bytes a node, a 1,000-node cluster with many slot ranges stays far below. */
/** HELLO's map as a RESP2 array: a dozen fields and the modules list, each with a few attributes. */
export const HELLO_LIMITS: ReplyLimits = { maxReplyBytes: 16 * KIB, maxBulkBytes: KIB, maxArrayElements: 256, maxDepth: 4 };

export const CLUSTER_NODES_LIMITS: ReplyLimits = { maxReplyBytes: 8 * MIB, maxBulkBytes: 8 * MIB, ...ONE_BULK };

/** A CLIENT LIST line is ~300-400 bytes on Redis 7; 1 KiB leaves room for long names and addresses. */
export const CLIENT_LINE_BYTES = KIB;
/** Clients assumed when INFO gave no usable connected_clients (Redis's default maxclients). */
export const DEFAULT_CLIENTS = 10_000;
export const CLIENT_LIST_FLOOR_BYTES = MIB;
export const CLIENT_LIST_CEILING_BYTES = 96 * MIB;
/** By-id batches are small: a floor for the framing and a few wide lines. */
export const CLIENT_LIST_BY_ID_FLOOR_BYTES = 64 * KIB;

/**
 * A plain CLIENT LIST: INFO's count plus a margin for clients connecting between INFO and the listing
 * (a quarter, at least 100), a generous line each, between the floor and the ceiling.
 */
export function clientListLimits(connectedClients: number | null): ReplyLimits {
  const clients = believedClients(connectedClients);
  const bytes = clamp((clients + Math.max(100, Math.ceil(clients / 4))) * CLIENT_LINE_BYTES, CLIENT_LIST_FLOOR_BYTES, CLIENT_LIST_CEILING_BYTES);
  return { maxReplyBytes: bytes, maxBulkBytes: bytes, ...ONE_BULK };
}

/** CLIENT LIST ID with `ids` ids: at most one line per id asked. */
export function clientListByIdLimits(ids: number): ReplyLimits {
  const bytes = clamp(Math.max(0, ids) * CLIENT_LINE_BYTES, CLIENT_LIST_BY_ID_FLOOR_BYTES, CLIENT_LIST_CEILING_BYTES);
  return { maxReplyBytes: bytes, maxBulkBytes: bytes, ...ONE_BULK };
}

/** INFO's connected_clients when it is plausible, else the default. */
export function believedClients(connectedClients: number | null): number {
  return plausible(connectedClients, PLAUSIBLE.clients) ?? DEFAULT_CLIENTS;
}

/** At or above this many clients in INFO, a listing must hold at least FAR_FEWER_SHARE of them. */
export const FAR_FEWER_FROM_CLIENTS = 10;
export const FAR_FEWER_SHARE = 0.5;

/** A listing "far" below INFO's count: clients come and go between the two, but not half of them. */
export function isFarFewer(listed: number, connectedClients: number | null): boolean {
  return connectedClients !== null && connectedClients >= FAR_FEWER_FROM_CLIENTS && listed < connectedClients * FAR_FEWER_SHARE;
}

/** Client lines in a CLIENT LIST text: every line starts with `id=`. */
export function countClientLines(text: string): number {
  let count = text.startsWith('id=') ? 1 : 0;
  for (let at = text.indexOf('\nid='); at >= 0; at = text.indexOf('\nid=', at + 1)) count += 1;
  return count;
}

/**
 * Why a plain CLIENT LIST reply is not a clean listing, or null when it is. `text` is null when the reply
 * was nil or not a bulk string; `auditorAddress` is the auditor's own connection (always listed).
 */
export function plainListingProblem(text: string | null, connectedClients: number | null, auditorAddress: string | undefined): string | null {
  if (text === null) return 'CLIENT LIST answered nil or not a bulk string; connections are not listed';
  if (!/(^|\n)id=\d+ .*\baddr=/.test(text)) return 'CLIENT LIST answered no client line (no id= and addr=); connections are not listed';
  if (auditorAddress !== undefined && !listsConnection(text, auditorAddress)) {
    return 'CLIENT LIST does not list the auditor\'s own connection: the listing is incomplete';
  }
  const listed = countClientLines(text);
  if (isFarFewer(listed, connectedClients)) return `CLIENT LIST listed ${listed} clients where INFO counted ${connectedClients}: the listing is incomplete`;
  return null;
}

/** True when a CLIENT LIST text has a line for the connection at `address` (as the server prints `addr`). */
export function listsConnection(text: string, address: string): boolean {
  return text.includes(` addr=${address} `);
}

/** An INFO reply has a `# Server` section header or a `redis_version` line (Valkey prints both). */
export function looksLikeInfo(text: string): boolean {
  return /(^|\n)(# Server\r?\n|redis_version:)/.test(text);
}

/** 12582912 -> "12 MiB", 65536 -> "64 KiB": limits in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
  if (bytes >= KIB) return `${Math.round((bytes / KIB) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
