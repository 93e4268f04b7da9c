// Reads one node, cheaply: per sample one INFO, then the client list (plain, or by id in bounded batches:
// see core/collection-plan.ts), sent one after the other (never pipelined, never `INFO everything`), plus
// CONFIG GET once per collector. Returns the replies as raw text for the core to parse. One connection per
// collector, closed by close() whatever happened before.
import type { Redis } from 'ioredis';
import { AuditError, ConnectError } from '../core/errors.js';
import { DEFAULT_PLAN_OPTIONS, planClientList, rememberClients, type CollectionMemory, type PlanOptions } from '../core/collection-plan.js';
import type { CollectionCost, RawNodeSample, ServerConfig } from '../core/model.js';
import { parseInfo, readCounters } from '../core/parse-info.js';
import { readClientList } from './client-list-reader.js';
import {
  closeConnection,
  describeError,
  isReplyError,
  isTimeout,
  openConnection,
  setupCommandCount,
  toAuditError,
  type ConnectionTimeouts,
} from './redis-connection.js';
import { hostPort, type RedisTarget } from './target-url.js';

const configParameters = ['timeout', 'maxclients', 'tcp-keepalive'];
/** QUIT gets at most this long before the socket is dropped: closing must not hang an audit. */
const maxQuitMs = 1000;

interface Meter {
  commandsSent: number;
  bytesRead: number;
  roundTripMs: number;
}

export interface CollectorOptions {
  /** What the previous run's last sample of this node left (from the state), to list clients by id. */
  readonly memory?: CollectionMemory | null;
  readonly planOptions?: PlanOptions;
}

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

  private constructor(
    private readonly redis: Redis,
    private readonly target: RedisTarget,
    private readonly opts: ConnectionTimeouts,
    private readonly options: CollectorOptions,
  ) {
    this.memoryOfLastSample = options.memory ?? null;
    this.node = hostPort(target.host, target.port);
    const { localAddress, localPort } = redis.stream;
    this.auditorAddresses = localAddress && localPort ? [serverStyleAddr(localAddress, localPort)] : [];
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
   * INFO then CLIENT LIST (and CONFIG GET on the first sample). Throws when INFO cannot be read; a refused
   * or timed-out CLIENT LIST gives `clientListText: null` and a line in `errors` instead.
   */
  async sample(now: () => number = Date.now): Promise<RawNodeSample> {
    if (this.closing) throw new AuditError(`the collector for ${this.target.display} is already closed`);
    if (this.redis.status !== 'ready') {
      // No reconnect: a second connection would count as churn. Say the likely cause instead.
      throw new ConnectError(`${this.target.display} closed the auditor's connection between samples (is the server's idle timeout shorter than the sample interval?)`);
    }
    const meter: Meter = { commandsSent: this.unchargedCommands, bytesRead: 0, roundTripMs: 0 };
    this.unchargedCommands = 0;
    const errors: string[] = [];

    let infoText: string;
    try {
      infoText = asText(await this.send(['INFO'], meter));
    } catch (err) {
      throw toAuditError(err, this.target, 'INFO', this.opts.commandTimeoutMs);
    }

    let clientListText: string | null = null;
    let collection: RawNodeSample['collection'] = null;
    const counters = readCounters(parseInfo(infoText));
    try {
      const plan = this.byIdUnsupported
        ? { method: 'client-list' as const, reason: 'CLIENT LIST ID is not supported by this server' }
        : planClientList(this.memoryOfLastSample, counters, this.options.planOptions ?? DEFAULT_PLAN_OPTIONS);
      const read = await readClientList((args) => this.send(args, meter), plan, counters.connectedClients, this.auditorAddresses);
      clientListText = read.text;
      if (read.byIdUnsupported) this.byIdUnsupported = true;
      collection = { method: read.method, reason: read.reason, clientListCommands: read.commands, longestClientListMs: read.longestMs };
    } catch (err) {
      // Refused by ACL or by the service (ElastiCache Serverless), or too slow: INFO alone still tells
      // the counts, so report what is missing instead of failing the node.
      if (!isReplyError(err) && !isTimeout(err)) throw toAuditError(err, this.target, 'CLIENT LIST', this.opts.commandTimeoutMs);
      errors.push(isTimeout(err)
        ? `CLIENT LIST did not answer within ${this.opts.commandTimeoutMs} ms; connections are not listed`
        : `CLIENT LIST refused (${describeError(err, this.target)}); connections are not listed`);
    }
    const takenAtMs = now();
    this.memoryOfLastSample = clientListText === null ? null : rememberClients(clientListText, counters);

    this.config ??= await this.readConfig(infoText, meter, errors);
    return {
      node: this.node,
      takenAtMs,
      infoText,
      clientListText,
      config: this.config,
      auditorAddresses: this.auditorAddresses,
      collection,
      errors,
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
      const text = asText(await this.send(['CLUSTER', 'NODES'], meter));
      return { text, cost: { ...meter, roundTripMs: Math.round(meter.roundTripMs * 1000) / 1000 } };
    } catch (err) {
      throw toAuditError(err, this.target, 'CLUSTER NODES', this.opts.commandTimeoutMs);
    }
  }

  /** QUIT (bounded), then drop the socket. Idempotent, never throws: safe in any `finally`. */
  async close(): Promise<void> {
    this.closing ??= closeConnection(this.redis, Math.min(this.opts.commandTimeoutMs, maxQuitMs));
    return this.closing;
  }

  /**
   * CONFIG GET where the server allows it. Refusals are silent (ElastiCache renames or blocks CONFIG;
   * a least-privilege ACL has no +config|get): the settings are then unknown, which is not an error.
   */
  private async readConfig(infoText: string, meter: Meter, errors: string[]): Promise<ServerConfig> {
    const values = new Map<string, string>();
    // Several parameters in one CONFIG GET only from Redis 7.0 (Valkey reports redis_version 7.2.4).
    const major = Number(/^redis_version:(\d+)\./m.exec(infoText)?.[1] ?? 0);
    const batches = major >= 7 ? [configParameters] : configParameters.map((name) => [name]);
    try {
      for (const batch of batches) {
        const reply = await this.send(['CONFIG', 'GET', ...batch], meter);
        const flat = Array.isArray(reply) ? reply.map(asText) : [];
        for (let i = 0; i + 1 < flat.length; i += 2) values.set(flat[i] ?? '', flat[i + 1] ?? '');
      }
    } catch (err) {
      if (isTimeout(err)) {
        errors.push(`CONFIG GET did not answer within ${this.opts.commandTimeoutMs} ms; server settings are unknown`);
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

  /** One command, awaited alone and metered. Replies as Buffers: byte counts and text stay exact. */
  private async send([command, ...args]: [string, ...string[]], meter: Meter): Promise<unknown> {
    meter.commandsSent += 1;
    const started = performance.now();
    try {
      const reply: unknown = await this.redis.callBuffer(command, ...args);
      meter.bytesRead += byteLength(reply);
      return reply;
    } finally {
      meter.roundTripMs += performance.now() - started;
    }
  }
}

/** How the server prints a client's `addr`: `127.0.0.1:51234`, `[::1]:51234` (no zone index). */
function serverStyleAddr(address: string, port: number): string {
  return hostPort(address.replace(/%.*$/, ''), port);
}

function asText(reply: unknown): string {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}

function byteLength(reply: unknown): number {
  if (Buffer.isBuffer(reply)) return reply.length;
  if (Array.isArray(reply)) return reply.reduce((sum: number, item: unknown) => sum + byteLength(item), 0);
  return reply == null ? 0 : Buffer.byteLength(String(reply));
}

function integerOrNull(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}
