// The data the pipeline passes around. Plain, serialisable shapes: the core turns text and numbers into
// these and never touches a socket, a file, the clock or the environment.
import { POLICY_DEFAULTS, type AuditPolicy } from './policy-rules.js';

/** One line of `CLIENT LIST`, with the fields the analysis uses typed and every other field kept as text. */
export interface ClientRecord {
  readonly id: number;
  /** `addr` as the server printed it: `127.0.0.1:5000`, `[::1]:5000`, `/tmp/redis.sock:0`. */
  readonly addr: string;
  /** Source of the connection: `127.0.0.1`, `::1` (no brackets), or `unix:/tmp/redis.sock`. */
  readonly sourceIp: string;
  /** Client-side port; null for unix sockets. */
  readonly sourcePort: number | null;
  /** Empty string when the client never called CLIENT SETNAME. */
  readonly name: string;
  readonly ageSeconds: number;
  readonly idleSeconds: number;
  /** Raw flags string, e.g. `N`, `P`, `b`, `x`, `S`, `M`. */
  readonly flags: string;
  readonly db: number;
  /** Channel, pattern and shard-channel subscriptions (0 where the server does not report them). */
  readonly sub: number;
  readonly psub: number;
  readonly ssub: number;
  /** Commands queued in MULTI; -1 when not in a transaction. */
  readonly multi: number;
  /** Last command, e.g. `get`, `blpop`, `client|list`. */
  readonly cmd: string;
  /** ACL user (Redis 6+); `default` when the server does not report it. */
  readonly user: string;
  /** `lib-name` / `lib-ver` (Redis 7.2+, set by the client library); empty when unknown. */
  readonly libName: string;
  readonly libVer: string;
  /** Every field of the line as printed, known or not (values may contain `=`). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Result of parsing a `CLIENT LIST` reply: malformed lines are counted and skipped, never thrown. */
export interface ClientListParse {
  readonly clients: ClientRecord[];
  readonly malformedLines: number;
  /** The first few malformed lines (truncated), to show in the report's node errors. */
  readonly malformedExamples: string[];
}

/** `INFO` as sections of key/value text, e.g. `sections.clients.connected_clients === '12'`. */
export interface InfoParse {
  readonly sections: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly malformedLines: number;
}

/** The INFO numbers the audit needs, read from an InfoParse; null where the server did not report them. */
export interface ServerCounters {
  readonly version: string | null;
  /** `redis` or `valkey` (from `server_name`, absent on Redis). */
  readonly serverName: string;
  readonly mode: string | null;
  readonly role: string | null;
  readonly runId: string | null;
  readonly uptimeSeconds: number | null;
  readonly connectedClients: number | null;
  readonly blockedClients: number | null;
  readonly pubsubClients: number | null;
  readonly trackingClients: number | null;
  readonly maxClients: number | null;
  readonly totalConnectionsReceived: number | null;
  readonly rejectedConnections: number | null;
}

/** Server settings read with CONFIG GET where allowed (ElastiCache refuses it). */
export interface ServerConfig {
  readonly timeoutSeconds: number | null;
  readonly maxClients: number | null;
  readonly tcpKeepaliveSeconds: number | null;
}

/**
 * What the collector (lambda/redis) read from one node at one moment, as text: the core parses it.
 * Keeping the I/O edge to raw replies lets the core be tested on captured text alone.
 */
export interface RawNodeSample {
  /** `host:port` of the node as the auditor reached it. */
  readonly node: string;
  /** Epoch milliseconds at which the CLIENT LIST reply arrived (INFO is read just before it). */
  readonly takenAtMs: number;
  readonly infoText: string;
  /** null when CLIENT LIST was refused (ACL, ElastiCache Serverless) or failed. */
  readonly clientListText: string | null;
  readonly config: ServerConfig;
  /**
   * The auditor's own connection as the server prints its `addr` (`127.0.0.1:51234`, `[::1]:51234`):
   * found in CLIENT LIST and excluded from the analysis.
   */
  readonly auditorAddresses: readonly string[];
  /** How the client list was read; null when it was not (refused, failed). */
  readonly collection?: ClientListCollection | null;
  /** Problems met while collecting, as one-line messages with no credentials. */
  readonly errors: readonly string[];
  /**
   * Not a clean sample (the reason is in `errors`): the client list is nil, malformed, far below INFO's
   * count or cut short (a reply limit, a timeout, the audit's deadline). The report is then partial.
   */
  readonly incomplete?: boolean;
  readonly cost: CollectionCost;
}

export interface ClientListCollection {
  readonly method: 'client-list' | 'client-list-by-id';
  readonly reason: string;
  readonly clientListCommands: number;
  /** The longest single CLIENT LIST round trip, ms: an upper bound of the longest server stall it caused. */
  readonly longestClientListMs: number;
  /** Ids looked up by CLIENT LIST ID in this sample (0 for a plain listing). */
  readonly idsLookedUp?: number;
  /** Client lines the listing returned. */
  readonly clientsListed?: number;
  /** The listing's server time in total, ms, estimated by the stall model (core/stall-model.ts). */
  readonly estimatedServerMs?: number;
  /** The longest single command's server time, ms, estimated by the same model. */
  readonly estimatedLongestMs?: number;
  /** Wall time of the whole listing, ms. */
  readonly listingMs?: number;
  /** How much slower than the stall model the server measured (INFO cpu) during a by-id listing; absent: 1. */
  readonly speedFactor?: number;
  /** Nothing was listed on purpose: no listing fit the stall budget (`overBudget: info-only`). */
  readonly deferred?: boolean;
}

export interface CollectionCost {
  readonly commandsSent: number;
  readonly bytesRead: number;
  /** Wall-clock milliseconds spent waiting for replies. */
  readonly roundTripMs: number;
}

export type { AuditPolicy } from './policy-rules.js';

/** Every setting's default, from its rule in policy-rules.ts (the one place defaults and bounds are written). */
export const defaultPolicy: AuditPolicy = POLICY_DEFAULTS;
