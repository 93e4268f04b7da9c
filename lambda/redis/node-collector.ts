// Reads one node, cheaply: per sample one INFO, then the client list (plain, or by id in bounded batches:
// see core/listing-choice.ts and core/id-scan.ts), sent one after the other (never pipelined, never `INFO everything`), plus
// CONFIG GET once per collector. Returns the replies as raw text for the core to parse. One connection per
// collector, closed by close() whatever happened before.
import { AuditError, ConnectError, DeadlineReachedError, ProtocolError, ReplyTooLargeError } from '../core/errors.js';
import type { CollectionMemory } from '../core/collection-memory.js';
import type { ScanOptions } from '../core/id-scan.js';
import { chooseListing, type ListingChoice } from '../core/listing-choice.js';
import { defaultPolicy } from '../core/model.js';
import type { AuditPolicy, CollectionCost, RawNodeSample, ServerConfig, ServerCounters } from '../core/model.js';
import { parseInfo, readCounters } from '../core/parse-info.js';
import { CLUSTER_NODES_LIMITS, CONFIG_GET_LIMITS, HELLO_LIMITS, INFO_LIMITS, looksLikeInfo, type ReplyLimits } from '../core/reply-limits.js';
import { readClientList, type Send } from './client-list-reader.js';
import {
  closeConnection,
  describeError,
  isReplyError,
  isTimeout,
  openConnection,
  ownServerAddress,
  setupCommandCount,
  toAuditError,
  type ConnectionTimeouts,
} from './redis-connection.js';
import { ConnectionClosedError, RespTimeoutError, type RespConnection } from './resp-connection.js';
import { hostPort, type RedisTarget } from './target-url.js';

const configParameters = ['timeout', 'maxclients', 'tcp-keepalive'];
/** QUIT gets at most this long before the socket is dropped: closing must not hang an audit. */
const maxQuitMs = 1000;

interface Meter {
  commandsSent: number;
  bytesRead: number;
  roundTripMs: number;
}

/** What one sample may not overrun: the CLI's or the Lambda's time budget, on the clock given to sample(). */
export interface SampleLimits {
  /** No CLIENT LIST batch starts after it, and each command's timeout is cut to the time left. */
  readonly deadlineAtMs?: number;
}

/** A sample's problems: `incomplete` makes the report partial (RawNodeSample.incomplete). */
interface Issues {
  readonly errors: string[];
  incomplete: boolean;
}

export interface CollectorOptions {
  /** What the previous run's last sample of this node left (from the state), to list clients by id. */
  readonly memory?: CollectionMemory | null;
  /** Overrides of the batch planner's settings (tests, the bench). */
  readonly scanOptions?: Partial<Omit<ScanOptions, 'maxStallMs'>>;
  /** `plain` forces one CLIENT LIST per sample (the bench's comparison). @default 'auto' */
  readonly listing?: 'auto' | 'plain';
  /** The stall budget (AuditPolicy.maxStallMs, AuditPolicy.overBudget). @default defaultPolicy's */
  readonly stall?: Pick<AuditPolicy, 'maxStallMs' | 'overBudget'>;
  /** Told after each listing command: how far the listing of this node has come (the CLI's progress line). */
  readonly onListing?: (progress: ListingProgress) => void;
}

/** How far one node's listing has come. */
export interface ListingProgress {
  readonly node: string;
  /** Clients listed so far in this sample. */
  readonly listed: number;
  /** Clients INFO counted at the start of the sample; null when unknown. */
  readonly expected: number | null;
  readonly commands: number;
  readonly idsLookedUp: number;
}

const unknownConfig: ServerConfig = { timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null };

export class NodeCollector {
  /** `host:port` of the node as the auditor reached it (`[::1]:6379` for IPv6). */
  readonly node: string;
  /** The auditor's own connection as the server prints `addr`, captured while the socket is open. */
  readonly auditorAddresses: readonly string[];
  private config: ServerConfig | undefined;
  /** AUTH and CLIENT SETNAME sent by open(): charged to the first sample so the footprint is complete. */
  private unchargedCommands: number;
  private closing: Promise<void> | undefined;
  private memoryOfLastSample: CollectionMemory | null;
  private byIdUnsupported = false;
  /** The auditor's own client id from HELLO (undefined: not asked yet; null: not told). */
  private selfId: number | null | undefined;

  private constructor(
    private readonly connection: RespConnection,
    private readonly target: RedisTarget,
    private readonly opts: ConnectionTimeouts,
    private readonly options: CollectorOptions,
  ) {
    this.memoryOfLastSample = options.memory ?? null;
    this.node = hostPort(target.host, target.port);
    const own = ownServerAddress(connection);
    this.auditorAddresses = own === undefined ? [] : [own];
    this.unchargedCommands = setupCommandCount(target);
  }

  /** Connects, authenticates and names the connection; throws an AuditError subclass on failure. */
  static async open(target: RedisTarget, opts: ConnectionTimeouts, options: CollectorOptions = {}): Promise<NodeCollector> {
    return new NodeCollector(await openConnection(target, opts), target, opts, options);
  }

  /** The client ids of the last sample, for the next one (and the next run, through the state). */
  get memory(): CollectionMemory | null {
    return this.memoryOfLastSample;
  }

  /**
   * INFO then CLIENT LIST (and CONFIG GET on the first sample). Throws when INFO cannot be read or is not
   * INFO; a refused, timed-out, too large or implausible CLIENT LIST gives a line in `errors` instead (and
   * `incomplete` unless it was a refusal). A reply that broke a limit or timed out closes the connection:
   * the next sample throws.
   */
  async sample(now: () => number = Date.now, limits: SampleLimits = {}): Promise<RawNodeSample> {
    if (this.closing) throw new AuditError(`the collector for ${this.target.display} is already closed`);
    if (!this.connection.usable) throw this.unusable();
    const { deadlineAtMs } = limits;
    const timeLeft = () => (deadlineAtMs === undefined ? Infinity : deadlineAtMs - now());
    if (timeLeft() <= 0) throw new DeadlineReachedError(`audit deadline reached before ${this.target.display} was sampled`);
    const send = (args: [string, ...string[]], replyLimits: ReplyLimits) =>
      this.send(args, replyLimits, Math.max(1, Math.min(this.opts.commandTimeoutMs, Math.floor(timeLeft()))), meter);
    const meter: Meter = { commandsSent: this.unchargedCommands, bytesRead: 0, roundTripMs: 0 };
    this.unchargedCommands = 0;
    const issues: Issues = { errors: [], incomplete: false };

    const infoText = await this.readInfo(send);
    let clientListText: string | null = null;
    let collection: RawNodeSample['collection'] = null;
    let memory: CollectionMemory | null = null;
    const counters = readCounters(parseInfo(infoText));
    try {
      const choice = await this.chooseListing(counters, infoText, send);
      const read = await readClientList(send, choice, {
        auditorAddresses: this.auditorAddresses,
        deadlinePassed: () => timeLeft() <= 0,
        stall: this.stall,
        connectedClients: counters.connectedClients,
        runId: counters.runId,
        received: counters.totalConnectionsReceived,
        onProgress: (p) => this.options.onListing?.({ node: this.node, expected: counters.connectedClients, ...p }),
      });
      clientListText = read.text;
      if (read.byIdUnsupported) this.byIdUnsupported = true;
      if (read.problem !== null) {
        if (read.deferred) issues.errors.push(read.problem);
        else this.noteIncomplete(issues, read.problem);
      }
      memory = read.memory;
      collection = {
        method: read.method, reason: read.reason, clientListCommands: read.commands, longestClientListMs: read.longestMs,
        idsLookedUp: read.idsLookedUp, clientsListed: read.clientsListed, estimatedServerMs: read.estimatedServerMs,
        estimatedLongestMs: read.estimatedLongestMs, listingMs: read.listingMs,
        ...(read.speedFactor > 1 ? { speedFactor: read.speedFactor } : {}),
        ...(read.deferred && read.text === null ? { deferred: true } : {}),
      };
    } catch (err) {
      // Refused by ACL or by the service (ElastiCache Serverless): INFO alone still tells the counts, so
      // report what is missing instead of failing the node. Too slow or too large: the same, and partial.
      if (isReplyError(err)) issues.errors.push(`CLIENT LIST refused (${describeError(err, this.target)}); connections are not listed`);
      else if (isTimeout(err)) this.noteIncomplete(issues, `CLIENT LIST did not answer within ${(err as RespTimeoutError).timeoutMs} ms; connections are not listed`);
      else if (isBrokenReply(err)) this.noteIncomplete(issues, `${describeError(err, this.target)}; connections are not listed`);
      else throw toAuditError(err, this.target, 'CLIENT LIST', this.opts.commandTimeoutMs);
    }
    const takenAtMs = now();
    // The reader gives no memory for a listing with holes: the next by-id sample would plan from wrong ids.
    this.memoryOfLastSample = memory;

    if (this.config === undefined && this.connection.usable && timeLeft() > 0) this.config = await this.readConfig(infoText, send, issues);
    return {
      node: this.node,
      takenAtMs,
      infoText,
      clientListText,
      config: this.config ?? unknownConfig,
      auditorAddresses: this.auditorAddresses,
      collection,
      errors: issues.errors,
      ...(issues.incomplete ? { incomplete: true } : {}),
      cost: { ...meter, roundTripMs: Math.round(meter.roundTripMs * 1000) / 1000 },
    };
  }

  /**
   * CLUSTER NODES on this connection (the auditor's ACL allows `cluster|nodes`), with what it cost, for the
   * caller to charge to this node's sample. Throws an AuditError subclass when refused or unanswered.
   */
  async clusterNodes(): Promise<{ text: string; cost: CollectionCost }> {
    if (this.closing) throw new AuditError(`the collector for ${this.target.display} is already closed`);
    const meter: Meter = { commandsSent: 0, bytesRead: 0, roundTripMs: 0 };
    try {
      const reply = await this.send(['CLUSTER', 'NODES'], CLUSTER_NODES_LIMITS, this.opts.commandTimeoutMs, meter);
      if (!Buffer.isBuffer(reply)) throw new ProtocolError('the reply to CLUSTER NODES is not a bulk string');
      return { text: reply.toString('utf8'), cost: { ...meter, roundTripMs: Math.round(meter.roundTripMs * 1000) / 1000 } };
    } catch (err) {
      throw toAuditError(err, this.target, 'CLUSTER NODES', this.opts.commandTimeoutMs);
    }
  }

  /** QUIT (bounded), then drop the socket. Idempotent, never throws: safe in any `finally`. */
  async close(): Promise<void> {
    this.closing ??= closeConnection(this.connection, Math.min(this.opts.commandTimeoutMs, maxQuitMs));
    return this.closing;
  }

  private get stall(): Pick<AuditPolicy, 'maxStallMs' | 'overBudget'> {
    return this.options.stall ?? { maxStallMs: defaultPolicy.maxStallMs, overBudget: defaultPolicy.overBudget };
  }

  /**
   * The listing for this sample. A by-id scan needs the auditor's own id (HELLO, which every ACL user may
   * send, asked once per connection): it bounds the newest ids even where CONFIG RESETSTAT zeroed INFO's
   * counter, and tells which clients INFO counted (core/id-scan.ts).
   */
  private async chooseListing(counters: ServerCounters, infoText: string, send: Send): Promise<ListingChoice> {
    const input = {
      memory: this.memoryOfLastSample, counters, replicas: Number(/^connected_slaves:(\d+)/m.exec(infoText)?.[1] ?? 0),
      selfId: this.selfId ?? null, stall: this.stall, byIdUnsupported: this.byIdUnsupported,
      ...(this.options.listing ? { listing: this.options.listing } : {}), ...(this.options.scanOptions ? { scanOptions: this.options.scanOptions } : {}),
    };
    const choice = chooseListing(input);
    if (choice.method !== 'client-list-by-id' || this.selfId !== undefined) return choice;
    this.selfId = await this.readOwnId(send);
    return this.selfId === null ? choice : chooseListing({ ...input, selfId: this.selfId });
  }

  /** The connection's own id from HELLO 2 (no protocol change); null when refused or unreadable. */
  private async readOwnId(send: Send): Promise<number | null> {
    try {
      const reply = await send(['HELLO', '2'], HELLO_LIMITS);
      if (!Array.isArray(reply)) return null;
      for (let i = 0; i + 1 < reply.length; i += 2) {
        if (asText(reply[i]) === 'id') return typeof reply[i + 1] === 'number' && Number.isSafeInteger(reply[i + 1]) ? (reply[i + 1] as number) : null;
      }
      return null;
    } catch (err) {
      if (isReplyError(err)) return null; // before Redis 6: no HELLO, and no CLIENT LIST ID either
      throw err;
    }
  }

  /** INFO, which must read as INFO: a nil, a listing or anything else in its place fails the node. */
  private async readInfo(send: (args: [string, ...string[]], limits: ReplyLimits) => Promise<unknown>): Promise<string> {
    let reply: unknown;
    try {
      reply = await send(['INFO'], INFO_LIMITS);
    } catch (err) {
      throw toAuditError(err, this.target, 'INFO', this.opts.commandTimeoutMs);
    }
    const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : null;
    if (text !== null && looksLikeInfo(text)) return text;
    // Replies may be out of step with the commands: nothing more is asked on this connection.
    const err = new ProtocolError(`${this.target.display} answered INFO with ${text === null ? 'no text' : 'text that is not INFO (no "# Server" or redis_version line)'}; the connection was closed`);
    this.connection.destroy(err);
    throw err;
  }

  /**
   * CONFIG GET where the server allows it. Refusals are silent (ElastiCache renames or blocks CONFIG;
   * a least-privilege ACL has no +config|get): the settings are then unknown, which is not an error.
   */
  private async readConfig(infoText: string, send: (args: [string, ...string[]], limits: ReplyLimits) => Promise<unknown>, issues: Issues): Promise<ServerConfig> {
    const values = new Map<string, string>();
    // Several parameters in one CONFIG GET only from Redis 7.0 (Valkey reports redis_version 7.2.4).
    const major = Number(/^redis_version:(\d+)\./m.exec(infoText)?.[1] ?? 0);
    const batches = major >= 7 ? [configParameters] : configParameters.map((name) => [name]);
    try {
      for (const batch of batches) {
        const reply = await send(['CONFIG', 'GET', ...batch], CONFIG_GET_LIMITS);
        const flat = Array.isArray(reply) ? reply.map(asText) : [];
        for (let i = 0; i + 1 < flat.length; i += 2) values.set(flat[i] ?? '', flat[i + 1] ?? '');
      }
    } catch (err) {
      if (isTimeout(err)) {
        issues.errors.push(`CONFIG GET did not answer within ${(err as RespTimeoutError).timeoutMs} ms; server settings are unknown`);
      } else if (isBrokenReply(err)) {
        this.noteIncomplete(issues, `${describeError(err, this.target)}; server settings are unknown`);
      } else if (!isReplyError(err)) {
        throw toAuditError(err, this.target, 'CONFIG GET', this.opts.commandTimeoutMs);
      }
    }
    return {
      timeoutSeconds: integerOrNull(values.get('timeout')),
      maxClients: integerOrNull(values.get('maxclients')),
      tcpKeepaliveSeconds: integerOrNull(values.get('tcp-keepalive')),
    };
  }

  private noteIncomplete(issues: Issues, message: string): void {
    issues.errors.push(message);
    issues.incomplete = true;
  }

  /** Why sample() cannot go on: the server closed the connection, or the auditor dropped it after a failure. */
  private unusable(): AuditError {
    const failure = this.connection.failureReason;
    if (isTimeout(failure) || isBrokenReply(failure) || failure instanceof ConnectionClosedError) {
      // No reconnect: a second connection would count as churn.
      return new ConnectError(`the connection to ${this.target.display} was dropped after an earlier failure (${describeError(failure, this.target)}); it is not reopened`);
    }
    return new ConnectError(`${this.target.display} closed the auditor's connection between samples (is the server's idle timeout shorter than the sample interval?)`);
  }

  /** One command, awaited alone and metered: every byte read counts, the reply's framing included. */
  private async send(args: [string, ...string[]], limits: ReplyLimits, timeoutMs: number, meter: Meter): Promise<unknown> {
    meter.commandsSent += 1;
    const started = performance.now();
    const bytesBefore = this.connection.bytesReceived;
    try {
      return await this.connection.command(args, { timeoutMs, limits });
    } finally {
      meter.bytesRead += this.connection.bytesReceived - bytesBefore;
      meter.roundTripMs += performance.now() - started;
    }
  }
}

function isBrokenReply(err: unknown): boolean {
  return err instanceof ReplyTooLargeError || err instanceof ProtocolError;
}

/** How the server prints a client's `addr`: `127.0.0.1:51234`, `[::1]:51234` (no zone index). */
function asText(reply: unknown): string {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}

function integerOrNull(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}
