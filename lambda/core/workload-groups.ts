// Per-workload counters, filled one client at a time: the same numbers as a source group, summed over
// the workload's members (its source addresses, across every node), plus what a fleet check needs to
// tell a leak from a fleet's normal size: how many members, and the most one member holds.
import { GroupCounter, MAX_GROUPS_PER_COUNTER, OVERFLOW_GROUP_KEY, type ClientGroup, type ClientTraits } from './client-groups.js';
import type { ClientRecord } from './model.js';
import type { IdentifiedBy, WorkloadIdentity } from './workload-identity.js';

/** Members named per workload in the report and in findings, largest first. */
export const LARGEST_MEMBERS_LISTED = 5;
/**
 * Abandoned connections (or idle subscribers) one member must hold for them to count towards a fleet's leak:
 * one long-lived connection per process is how clients work, several left behind is how a connection per
 * request looks. Members holding fewer are left out of the sum, so a fleet of healthy singles never adds up.
 */
export const SEVERAL_PER_MEMBER = 2;

/** The sum of the members' counts, leaving out members holding fewer than SEVERAL_PER_MEMBER (see above). */
export function sumOnSeveral(perMember: Iterable<number>): number {
  let sum = 0;
  for (const n of perMember) if (n >= SEVERAL_PER_MEMBER) sum += n;
  return sum;
}

export interface WorkloadMember {
  readonly sourceIp: string;
  readonly connections: number;
}

export interface WorkloadGroup extends ClientGroup {
  readonly label: string;
  readonly identifiedBy: IdentifiedBy;
  /** Distinct source addresses holding the workload's connections. */
  readonly members: number;
  readonly largestMembers: readonly WorkloadMember[];
  /** The most plain idle connections that one member holds (the single-host leak, as before workloads). */
  readonly maxMemberIdle: number;
  /** The most idle subscribers that one member holds. */
  readonly maxMemberIdleSubscribers: number;
  /** Used-once idle connections on the members holding at least SEVERAL_PER_MEMBER of them. */
  readonly usedOnceIdleOnSeveral: number;
  /** Idle subscribers on the members holding at least SEVERAL_PER_MEMBER of them. */
  readonly idleSubscribersOnSeveral: number;
}

/** What the leak rules count of one member (a source address), or of one origin on it (workload-origins.ts). */
export interface MemberCounts {
  connections: number;
  idlePlain: number;
  usedOnceIdle: number;
  idleSubscribers: number;
}

/** Counts one client of a member: the one definition of plain idle, used-once idle and idle subscriber counts. */
export function countMemberClient(counts: MemberCounts, traits: ClientTraits): void {
  counts.connections += 1;
  if (traits.idlePlain) counts.idlePlain += 1;
  if (traits.idlePlain && traits.usedOnce) counts.usedOnceIdle += 1;
  if (traits.subscriber && traits.idle) counts.idleSubscribers += 1;
}

/** (workload, address) pairs kept in all; past it, a workload's new addresses are counted as one. */
export const MAX_MEMBER_ENTRIES = 100_000;
const OVERFLOW_MEMBER = '(other addresses: past the limit)';
const OVERFLOW_WORKLOAD: WorkloadIdentity = { key: OVERFLOW_GROUP_KEY, label: '(other workloads: past the group limit)', identifiedBy: 'source-address' };

export class WorkloadCounter {
  private readonly counts = new GroupCounter();
  private readonly identities = new Map<string, WorkloadIdentity>();
  private readonly members = new Map<string, Map<string, MemberCounts>>();
  private memberEntries = 0;
  private membersOverflowed = false;

  /** True once workloads or addresses past the limits were counted together. */
  get overflowed(): boolean {
    return this.counts.overflowed || this.identities.has(OVERFLOW_GROUP_KEY) || this.membersOverflowed;
  }

  add(found: WorkloadIdentity, client: ClientRecord, traits: ClientTraits): void {
    let members = this.members.get(found.key);
    const identity = members === undefined && this.members.size >= MAX_GROUPS_PER_COUNTER ? OVERFLOW_WORKLOAD : found;
    this.counts.add(identity.key, client, traits);
    members ??= this.members.get(identity.key);
    if (members === undefined) {
      members = new Map();
      this.members.set(identity.key, members);
      this.identities.set(identity.key, identity);
    }
    let address = client.sourceIp;
    let member = members.get(address);
    if (member === undefined && this.memberEntries >= MAX_MEMBER_ENTRIES) {
      address = OVERFLOW_MEMBER;
      member = members.get(address);
      this.membersOverflowed = true;
    }
    if (member === undefined) {
      member = { connections: 0, idlePlain: 0, usedOnceIdle: 0, idleSubscribers: 0 };
      members.set(address, member);
      this.memberEntries += 1;
    }
    countMemberClient(member, traits);
  }

  /** Every workload, largest first (ties by key, so reports are stable). */
  sorted(): WorkloadGroup[] {
    return this.counts.sorted().map((group) => {
      const identity = this.identities.get(group.key);
      const members = [...(this.members.get(group.key) ?? new Map<string, MemberCounts>())];
      return {
        ...group,
        label: identity?.label ?? group.key,
        identifiedBy: identity?.identifiedBy ?? 'source-address',
        members: members.length,
        largestMembers: members
          .sort(([a, x], [b, y]) => y.connections - x.connections || byAddress(a, b))
          .slice(0, LARGEST_MEMBERS_LISTED)
          .map(([sourceIp, m]) => ({ sourceIp, connections: m.connections })),
        maxMemberIdle: members.reduce((most, [, m]) => Math.max(most, m.idlePlain), 0),
        maxMemberIdleSubscribers: members.reduce((most, [, m]) => Math.max(most, m.idleSubscribers), 0),
        usedOnceIdleOnSeveral: sumOnSeveral(members.map(([, m]) => m.usedOnceIdle)),
        idleSubscribersOnSeveral: sumOnSeveral(members.map(([, m]) => m.idleSubscribers)),
      };
    });
  }
}

/** Addresses in their natural order (127.0.1.2 before 127.0.1.10), for stable, readable lists. */
export function byAddress(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
