// Per-group counters (one group per source IP, client name, ACL user or library), filled one client at a
// time so that the analysis never needs the whole client list at once.
import type { ClientRecord } from './model.js';

export const AGE_BUCKETS = ['<1m', '1m-1h', '1h-1d', '>1d'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];
export type AgeBuckets = Record<AgeBucket, number>;

export function ageBucketOf(ageSeconds: number): AgeBucket {
  if (ageSeconds < 60) return '<1m';
  if (ageSeconds < 3600) return '1m-1h';
  if (ageSeconds < 86_400) return '1h-1d';
  return '>1d';
}

export function emptyAgeBuckets(): AgeBuckets {
  return { '<1m': 0, '1m-1h': 0, '1h-1d': 0, '>1d': 0 };
}

/** How one client is seen by the checks; computed once per client, added to each of its groups. */
export interface ClientTraits {
  /** Idle for at least the policy's idle threshold. */
  readonly idle: boolean;
  readonly subscriber: boolean;
  readonly blocked: boolean;
  readonly inTransaction: boolean;
  /** Idle, and not a subscriber, blocked or in MULTI: the plain leaked-connection shape. */
  readonly idlePlain: boolean;
  /** Idle for (almost) its whole life: used once at birth, then abandoned. */
  readonly usedOnce: boolean;
  /** In pub/sub mode with no subscription left (flag P, zero subscriptions). */
  readonly emptySubscriber: boolean;
  /** Opened during the comparison window (the connections that churn and leaks create). */
  readonly young: boolean;
  /** At most a second old: caught in flight, the trace a connect-use-close cycle leaves in a sample. */
  readonly fresh: boolean;
}

export interface ClientGroup {
  readonly key: string;
  connections: number;
  idle: number;
  idlePlain: number;
  usedOnceIdle: number;
  pubsub: number;
  idleSubscribers: number;
  emptySubscribers: number;
  blocked: number;
  longBlocked: number;
  inTransaction: number;
  longTransactions: number;
  young: number;
  /** Connections at most a second old (caught in flight). */
  fresh: number;
  oldestAgeSeconds: number;
  maxIdleSeconds: number;
  ageBuckets: AgeBuckets;
  /** For source groups: the client names seen from this source (a few, with counts). */
  names?: Record<string, number>;
}

const MAX_NAMES_PER_SOURCE = 5;
/**
 * Distinct groups one counter keeps (per source, name, user, library, workload); past it, new keys are
 * counted together under OVERFLOW_GROUP_KEY. A real server has at most tens of thousands of clients
 * (ElastiCache: 65,000) and far fewer sources; a hostile one must not grow the analysis without bound.
 */
export const MAX_GROUPS_PER_COUNTER = 20_000;
export const OVERFLOW_GROUP_KEY = '(other: past the group limit)';

export class GroupCounter {
  private readonly groups = new Map<string, ClientGroup>();
  /** True once a key was counted under OVERFLOW_GROUP_KEY. */
  overflowed = false;

  constructor(private readonly trackNames = false) {}

  add(key: string, client: ClientRecord, traits: ClientTraits): void {
    let group = this.groups.get(key);
    if (group === undefined && this.groups.size >= MAX_GROUPS_PER_COUNTER) {
      this.overflowed = true;
      group = this.groups.get(OVERFLOW_GROUP_KEY);
      key = OVERFLOW_GROUP_KEY;
    }
    if (group === undefined) {
      group = newGroup(key, this.trackNames);
      this.groups.set(key, group);
    }
    group.connections += 1;
    if (traits.idle) group.idle += 1;
    if (traits.idlePlain) group.idlePlain += 1;
    if (traits.idlePlain && traits.usedOnce) group.usedOnceIdle += 1;
    if (traits.subscriber) group.pubsub += 1;
    if (traits.subscriber && traits.idle) group.idleSubscribers += 1;
    if (traits.emptySubscriber) group.emptySubscribers += 1;
    if (traits.blocked) group.blocked += 1;
    if (traits.blocked && traits.idle) group.longBlocked += 1;
    if (traits.inTransaction) group.inTransaction += 1;
    if (traits.inTransaction && traits.idle) group.longTransactions += 1;
    if (traits.young) group.young += 1;
    if (traits.fresh) group.fresh += 1;
    if (client.ageSeconds > group.oldestAgeSeconds) group.oldestAgeSeconds = client.ageSeconds;
    if (client.idleSeconds > group.maxIdleSeconds) group.maxIdleSeconds = client.idleSeconds;
    group.ageBuckets[ageBucketOf(client.ageSeconds)] += 1;
    if (group.names !== undefined) countBounded(group.names, client.name, MAX_NAMES_PER_SOURCE);
  }

  /** All groups, largest first (ties by key, so reports are stable). */
  sorted(): ClientGroup[] {
    return [...this.groups.values()].sort((a, b) => b.connections - a.connections || a.key.localeCompare(b.key));
  }

  get size(): number {
    return this.groups.size;
  }
}

function newGroup(key: string, trackNames: boolean): ClientGroup {
  const group: ClientGroup = {
    key,
    connections: 0,
    idle: 0,
    idlePlain: 0,
    usedOnceIdle: 0,
    pubsub: 0,
    idleSubscribers: 0,
    emptySubscribers: 0,
    blocked: 0,
    longBlocked: 0,
    inTransaction: 0,
    longTransactions: 0,
    young: 0,
    fresh: 0,
    oldestAgeSeconds: 0,
    maxIdleSeconds: 0,
    ageBuckets: emptyAgeBuckets(),
  };
  // Null prototype: names come from applications, and `__proto__` is a valid client name.
  if (trackNames) group.names = Object.create(null) as Record<string, number>;
  return group;
}

function countBounded(counts: Record<string, number>, key: string, limit: number): void {
  const label = key === '' ? '(unnamed)' : key;
  if (label in counts) counts[label] = (counts[label] ?? 0) + 1;
  else if (Object.keys(counts).length < limit) counts[label] = 1;
  else counts['(other)'] = (counts['(other)'] ?? 0) + 1;
}

/** The name most of a source's connections carry, when one name holds at least half of them. */
export function dominantName(group: ClientGroup): string | undefined {
  if (group.names === undefined) return undefined;
  let best: [string, number] | undefined;
  for (const entry of Object.entries(group.names)) {
    if (best === undefined || entry[1] > best[1]) best = entry;
  }
  if (best === undefined || best[0] === '(unnamed)' || best[0] === '(other)') return undefined;
  return best[1] * 2 >= group.connections ? best[0] : undefined;
}
