// Clients known only by their address (no name, no ACL user, no library, nothing resolved): a fleet of
// unnamed pods or tasks leaking a few connections each stays below every per-address threshold, yet it
// is one application. Such clients are judged together, at target level, leaving out the addresses
// already reported on their own; the finding names the largest addresses and the total.
import { AGE_BUCKETS, emptyAgeBuckets } from '../client-groups.js';
import { byAddress, type WorkloadGroup, type WorkloadMember } from '../workload-groups.js';
import { ADDRESS_FLEET_KEY } from '../workload-identity.js';
import { LARGEST_MEMBERS_LISTED } from '../workload-groups.js';
import { leakFinding, leakSignals } from './leak-finding.js';
import type { CheckContext, Finding } from './types.js';

export function addressFleetLeak(context: CheckContext, reported: ReadonlySet<string>): Finding | null {
  const { analysis, policy } = context;
  const members = (analysis?.byWorkload ?? []).filter((g) => g.identifiedBy === 'source-address' && !reported.has(g.key));
  // One address is judged on its own already.
  if (members.length < 2) return null;
  const fleet = mergeAddresses(members);
  const signals = leakSignals(fleet, fleetGrowth(context, reported), policy.minGroupConnections);
  // Many idle connections on one address were judged per address: the fleet adds what is spread out.
  return leakFinding(fleet, { ...signals, idle: false }, context);
}

/**
 * The address fleet's growth, less what the addresses reported on their own grew: the history keeps
 * the fleet's total, which includes them.
 */
function fleetGrowth(context: CheckContext, reported: ReadonlySet<string>) {
  const growth = context.growth.find((g) => g.key === ADDRESS_FLEET_KEY);
  if (growth === undefined) return undefined;
  const alreadyReported = context.growth
    .filter((g) => g.key.startsWith('addr:') && reported.has(g.key))
    .reduce((sum, g) => sum + g.unexplained, 0);
  const unexplained = growth.unexplained - alreadyReported;
  const needed = Math.max(context.policy.minGrowthConnections, Math.ceil(growth.first * 0.1));
  return unexplained >= needed ? { ...growth, unexplained } : undefined;
}

function mergeAddresses(groups: readonly WorkloadGroup[]): WorkloadGroup {
  const ageBuckets = emptyAgeBuckets();
  const largest: WorkloadMember[] = [];
  const fleet = {
    connections: 0, idle: 0, idlePlain: 0, usedOnceIdle: 0, pubsub: 0, idleSubscribers: 0, emptySubscribers: 0,
    blocked: 0, longBlocked: 0, inTransaction: 0, longTransactions: 0, young: 0, fresh: 0, oldestAgeSeconds: 0, maxIdleSeconds: 0,
    maxMemberIdle: 0, maxMemberIdleSubscribers: 0, usedOnceIdleOnSeveral: 0, idleSubscribersOnSeveral: 0,
  };
  const summed = ['connections', 'idle', 'idlePlain', 'usedOnceIdle', 'pubsub', 'idleSubscribers', 'emptySubscribers', 'blocked',
    'longBlocked', 'inTransaction', 'longTransactions', 'young', 'fresh', 'usedOnceIdleOnSeveral', 'idleSubscribersOnSeveral'] as const;
  const maxed = ['oldestAgeSeconds', 'maxIdleSeconds', 'maxMemberIdle', 'maxMemberIdleSubscribers'] as const;
  for (const group of groups) {
    for (const field of summed) fleet[field] += group[field];
    for (const field of maxed) fleet[field] = Math.max(fleet[field], group[field]);
    for (const bucket of AGE_BUCKETS) ageBuckets[bucket] += group.ageBuckets[bucket];
    largest.push(...group.largestMembers);
  }
  return {
    key: ADDRESS_FLEET_KEY,
    label: `unnamed clients on ${groups.length} addresses`,
    identifiedBy: 'address-fleet',
    members: groups.length,
    largestMembers: largest.sort((a, b) => b.connections - a.connections || byAddress(a.sourceIp, b.sourceIp)).slice(0, LARGEST_MEMBERS_LISTED),
    ageBuckets,
    ...fleet,
  };
}
