// Turns the clients of one sample (all nodes) into groups, totals and a bounded list of the most idle
// connections. Clients are added one at a time; nothing per client is kept beyond the bounded list.
import { GroupCounter, type ClientGroup, type ClientTraits } from './client-groups.js';
import type { AuditPolicy, ClientRecord } from './model.js';
import { NameCache, workloadIdentity } from './workload-identity.js';
import { WorkloadCounter, type WorkloadGroup } from './workload-groups.js';
import { OriginCounter, type OriginTally } from './workload-origins.js';
import type { Workload } from './workloads.js';

/** The name the auditor gives its own connections; such connections are never analysed. */
export const AUDITOR_CLIENT_NAME = 'redis-leak-auditor';

/**
 * Connections younger than this are "young" when no comparison window is known. With a window (samples
 * or an earlier run), young means opened during the window: the connections churn and leaks create.
 */
export const YOUNG_CONNECTION_SECONDS = 60;
/** Connections this young were caught in flight: a connect-use-close cycle lives about this long. */
export const FRESH_CONNECTION_SECONDS = 1;

export interface IdleConnection {
  readonly node: string;
  readonly id: number;
  readonly sourceIp: string;
  readonly sourcePort: number | null;
  readonly name: string;
  readonly user: string;
  readonly library: string;
  readonly ageSeconds: number;
  readonly idleSeconds: number;
  readonly flags: string;
  readonly cmd: string;
  readonly db: number;
}

export interface ClientAnalysis {
  readonly analysedConnections: number;
  readonly idle: number;
  readonly pubsub: number;
  readonly blocked: number;
  readonly inTransaction: number;
  readonly tracking: number;
  readonly unnamed: number;
  /** Connections left out: the auditor's own, and replication links (flags S/M), which are not leaks. */
  readonly excluded: { readonly auditor: number; readonly replication: number };
  readonly bySourceIp: ClientGroup[];
  readonly byName: ClientGroup[];
  readonly byUser: ClientGroup[];
  readonly byLibrary: ClientGroup[];
  /** One group per workload (workload-identity.ts), summed over its addresses and nodes. */
  readonly byWorkload: WorkloadGroup[];
  /** True when more distinct groups than the counters keep were seen (client-groups.ts): the rest were counted together. */
  readonly groupsOverflowed: boolean;
  /** Per workload key, the code locations its clients were created at (names in the companion's form); absent keys carry none. */
  readonly originsByWorkload: ReadonlyMap<string, readonly OriginTally[]>;
  /** True when more origins (or origin addresses) than workload-origins.ts keeps were seen: the rest were counted together. */
  readonly originsOverflowed: boolean;
  /** The most idle connections, most idle first, at most `policy.listLimit`. */
  readonly topIdle: IdleConnection[];
}

export function libraryKey(client: ClientRecord): string {
  if (client.libName === '') return '(unknown)';
  return client.libVer === '' ? client.libName : `${client.libName}@${client.libVer}`;
}

/** Slack between a connection's age and its idle time still read as "never used after opening". */
/** The auditor's own connection: one of its addresses on the node, or its name (never analysed, never reclaimed). */
export function isAuditorConnection(client: ClientRecord, auditorAddresses: ReadonlySet<string>): boolean {
  return auditorAddresses.has(client.addr) || client.name === AUDITOR_CLIENT_NAME;
}

/** A replica's link to its primary (flag S) or a primary's to its replica (flag M): no application's connection. */
export function isReplicationLink(client: ClientRecord): boolean {
  return client.flags.includes('S') || client.flags.includes('M');
}

export function usedOnceSlackSeconds(ageSeconds: number): number {
  // Whole seconds and a request's own commands: a few seconds, more for older connections, at most half a minute
  // (a pool used for its first minutes and idle for hours was used, not abandoned at birth).
  return Math.max(2, Math.min(ageSeconds * 0.05, 30));
}

/**
 * How the checks see one client. `openedAfter`: the node's highest client id at the start of the comparison
 * window; ids only grow, so a higher id was opened during the window (exact, where ages are whole seconds).
 */
export function traitsOf(client: ClientRecord, policy: AuditPolicy, youngSeconds = YOUNG_CONNECTION_SECONDS, openedAfter?: number): ClientTraits {
  const idle = client.idleSeconds >= policy.idleSeconds;
  const subscriber = client.sub + client.psub + client.ssub > 0 || client.flags.includes('P');
  const blocked = client.flags.includes('b');
  const inTransaction = client.multi >= 0 || client.flags.includes('x');
  const slack = usedOnceSlackSeconds(client.ageSeconds);
  return {
    idle,
    subscriber,
    blocked,
    inTransaction,
    idlePlain: idle && !subscriber && !blocked && !inTransaction,
    usedOnce: client.idleSeconds >= client.ageSeconds - slack,
    emptySubscriber: client.flags.includes('P') && client.sub + client.psub + client.ssub === 0,
    young: openedAfter === undefined ? client.ageSeconds < youngSeconds : client.id > openedAfter,
    fresh: client.ageSeconds <= FRESH_CONNECTION_SECONDS,
  };
}

export class ClientAnalyser {
  private readonly bySourceIp = new GroupCounter(true);
  private readonly byName = new GroupCounter();
  private readonly byUser = new GroupCounter();
  private readonly byLibrary = new GroupCounter();
  private readonly byWorkload = new WorkloadCounter();
  private readonly origins = new OriginCounter();
  private readonly names = new NameCache();
  private readonly topIdle: IdleConnection[] = [];
  private totals = { analysed: 0, idle: 0, pubsub: 0, blocked: 0, inTransaction: 0, tracking: 0, unnamed: 0 };
  private excludedAuditor = 0;
  private excludedReplication = 0;

  constructor(
    private readonly policy: AuditPolicy,
    private readonly youngSeconds = YOUNG_CONNECTION_SECONDS,
    /** Source IP -> the AWS resource behind it, when the Lambda resolved it before the analysis. */
    private readonly resolved?: ReadonlyMap<string, Workload>,
  ) {}

  /**
   * Adds one client seen on `node`; `auditorAddresses` are the auditor's own connections there; `openedAfter`
   * the node's highest client id when the comparison window started, when known (traitsOf).
   */
  add(node: string, client: ClientRecord, auditorAddresses: ReadonlySet<string>, openedAfter?: number): void {
    if (isAuditorConnection(client, auditorAddresses)) {
      this.excludedAuditor += 1;
      return;
    }
    if (isReplicationLink(client)) {
      this.excludedReplication += 1;
      return;
    }
    const traits = traitsOf(client, this.policy, this.youngSeconds, openedAfter);
    const totals = this.totals;
    totals.analysed += 1;
    if (traits.idle) totals.idle += 1;
    if (traits.subscriber) totals.pubsub += 1;
    if (traits.blocked) totals.blocked += 1;
    if (traits.inTransaction) totals.inTransaction += 1;
    if (client.flags.includes('t')) totals.tracking += 1;
    if (client.name === '') totals.unnamed += 1;

    this.bySourceIp.add(client.sourceIp, client, traits);
    this.byName.add(client.name === '' ? '(unnamed)' : client.name, client, traits);
    this.byUser.add(client.user, client, traits);
    this.byLibrary.add(libraryKey(client), client, traits);
    const workload = workloadIdentity(client, this.resolved, this.names);
    this.byWorkload.add(workload, client, traits);
    this.origins.add(workload.key, client, traits);
    this.keepIfAmongMostIdle(node, client);
  }

  finish(): ClientAnalysis {
    const t = this.totals;
    return {
      analysedConnections: t.analysed,
      idle: t.idle,
      pubsub: t.pubsub,
      blocked: t.blocked,
      inTransaction: t.inTransaction,
      tracking: t.tracking,
      unnamed: t.unnamed,
      excluded: { auditor: this.excludedAuditor, replication: this.excludedReplication },
      bySourceIp: this.bySourceIp.sorted(),
      byName: this.byName.sorted(),
      byUser: this.byUser.sorted(),
      byLibrary: this.byLibrary.sorted(),
      byWorkload: this.byWorkload.sorted(),
      groupsOverflowed: [this.bySourceIp, this.byName, this.byUser, this.byLibrary, this.byWorkload].some((counter) => counter.overflowed),
      originsByWorkload: this.origins.tallies(),
      originsOverflowed: this.origins.overflowed,
      topIdle: this.topIdle,
    };
  }

  /** Keeps the list sorted, most idle first, and bounded: O(limit) per insertion, only when it qualifies. */
  private keepIfAmongMostIdle(node: string, client: ClientRecord): void {
    const list = this.topIdle;
    const limit = this.policy.listLimit;
    const last = list[list.length - 1];
    if (list.length >= limit && (last === undefined || client.idleSeconds <= last.idleSeconds)) return;
    let at = list.length;
    while (at > 0 && (list[at - 1]?.idleSeconds ?? 0) < client.idleSeconds) at -= 1;
    list.splice(at, 0, {
      node,
      id: client.id,
      sourceIp: client.sourceIp,
      sourcePort: client.sourcePort,
      name: client.name,
      user: client.user,
      library: libraryKey(client),
      ageSeconds: client.ageSeconds,
      idleSeconds: client.idleSeconds,
      flags: client.flags,
      cmd: client.cmd,
      db: client.db,
    });
    if (list.length > limit) list.pop();
  }
}
