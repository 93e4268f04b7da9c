// Per-origin counters inside each workload: the code location that created a client, read from connection
// names in the companion's form (`orders-api@src/handlers/user.ts:42`, origin-name.ts). The workload stays
// the service; the origin says which line of it leaks. Counted per (origin, address) as well, because the
// leak rules judge what one process holds: one connection per process from a line of code is a shared
// client, several are a client per call. Memory grows with distinct origins and (origin, address) pairs,
// both bounded, never with clients.
import { MAX_GROUPS_PER_COUNTER, type ClientTraits } from './client-groups.js';
import type { ClientRecord } from './model.js';
import { parseOriginName } from './origin-name.js';
import { countMemberClient, sumOnSeveral, type MemberCounts } from './workload-groups.js';

/** Distinct origins kept per workload; past it, a workload's new origins are counted together under OTHER_ORIGINS. */
export const MAX_ORIGINS_PER_WORKLOAD = 50;
export const OTHER_ORIGINS = '(other origins: past the limit)';
/** (workload, origin, address) entries kept in all; past it, an origin's new addresses are counted as one. */
export const MAX_ORIGIN_ADDRESS_ENTRIES = 100_000;
const OTHER_ADDRESSES = '(other addresses: past the limit)';

/** A member's counts (workload-groups.ts), and what the growth and pub/sub rules also read per origin. */
interface Counts extends MemberCounts {
  young: number;
  emptySubscribers: number;
}

/** What the leak rules count, summed only over the addresses where this origin holds SEVERAL_PER_MEMBER or more of it. */
export type OnSeveral = Readonly<Pick<Counts, 'idlePlain' | 'usedOnceIdle' | 'young' | 'idleSubscribers'>>;

export interface OriginTally extends Readonly<Counts> {
  /** `src/handlers/user.ts:42`, `#1a2b3c4d` (hashed), or OTHER_ORIGINS. */
  readonly origin: string;
  readonly onSeveral: OnSeveral;
}

interface OriginEntry {
  readonly totals: Counts;
  readonly byAddress: Map<string, Counts>;
}

export class OriginCounter {
  private readonly workloads = new Map<string, Map<string, OriginEntry>>();
  private addressEntries = 0;
  /** True once origins, addresses or workloads past the limits were counted together (or, for workloads, not at all). */
  overflowed = false;

  /** Counts a client under its workload's key, when its name carries an origin; other names are left alone. */
  add(workloadKey: string, client: ClientRecord, traits: ClientTraits): void {
    if (!client.name.includes('@')) return; // the cheap test first: most names carry no origin
    const parsed = parseOriginName(client.name);
    if (parsed === null) return;
    let origins = this.workloads.get(workloadKey);
    if (origins === undefined) {
      if (this.workloads.size >= MAX_GROUPS_PER_COUNTER) {
        this.overflowed = true;
        return;
      }
      origins = new Map();
      this.workloads.set(workloadKey, origins);
    }
    let origin = parsed.origin;
    let entry = origins.get(origin);
    if (entry === undefined && origins.size >= MAX_ORIGINS_PER_WORKLOAD) {
      origin = OTHER_ORIGINS;
      entry = origins.get(origin);
      this.overflowed = true;
    }
    if (entry === undefined) {
      entry = { totals: emptyCounts(), byAddress: new Map() };
      origins.set(origin, entry);
    }
    let address = client.sourceIp;
    let atAddress = entry.byAddress.get(address);
    if (atAddress === undefined && this.addressEntries >= MAX_ORIGIN_ADDRESS_ENTRIES) {
      address = OTHER_ADDRESSES;
      atAddress = entry.byAddress.get(address);
      this.overflowed = true;
    }
    if (atAddress === undefined) {
      atAddress = emptyCounts();
      entry.byAddress.set(address, atAddress);
      this.addressEntries += 1;
    }
    count(entry.totals, traits);
    count(atAddress, traits);
  }

  /** Each workload's origins (by workload key), most connections first; only workloads whose clients carry origins. */
  tallies(): Map<string, OriginTally[]> {
    const out = new Map<string, OriginTally[]>();
    for (const [key, origins] of this.workloads) {
      out.set(key, [...origins].map(([origin, entry]) => tallyOf(origin, entry))
        .sort((a, b) => b.connections - a.connections || a.origin.localeCompare(b.origin)));
    }
    return out;
  }
}

function emptyCounts(): Counts {
  return { connections: 0, idlePlain: 0, usedOnceIdle: 0, young: 0, idleSubscribers: 0, emptySubscribers: 0 };
}

function count(counts: Counts, traits: ClientTraits): void {
  countMemberClient(counts, traits);
  if (traits.young) counts.young += 1;
  if (traits.emptySubscriber) counts.emptySubscribers += 1;
}

function tallyOf(origin: string, entry: OriginEntry): OriginTally {
  const several = (pick: (c: Counts) => number) => sumOnSeveral([...entry.byAddress.values()].map(pick));
  return {
    origin,
    ...entry.totals,
    onSeveral: {
      idlePlain: several((c) => c.idlePlain),
      usedOnceIdle: several((c) => c.usedOnceIdle),
      young: several((c) => c.young),
      idleSubscribers: several((c) => c.idleSubscribers),
    },
  };
}
