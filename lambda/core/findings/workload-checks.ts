// Checks on each workload (workload-identity.ts), summed over its members (source addresses) and nodes.
// A leak is one finding per workload (leak-finding.ts); the clients known only by their address are
// also judged together (address-fleet.ts). Subscribers, blocked clients and open transactions are other
// defects, with other fixes: their own findings, per workload too.
import { formatSeconds } from './format.js';
import { addressFleetLeak } from './address-fleet.js';
import { describeWorkload, escalate, leakFinding, leakSignals, subjectOf } from './leak-finding.js';
import { leakingOrigins, originFields } from './leaking-origins.js';
import { originRecommendation, originSentence } from './origin-text.js';
import { RECOMMENDATIONS } from './recommendations.js';
import type { Check, Finding } from './types.js';

export const workloadLeaks: Check = (context) => {
  const { analysis, policy } = context;
  if (analysis === null) return [];
  const growthOf = new Map(context.growth.map((g) => [g.key, g]));
  const found: Finding[] = [];
  const reported = new Set<string>();
  for (const group of analysis.byWorkload) {
    const finding = leakFinding(group, leakSignals(group, growthOf.get(group.key), policy.minGroupConnections), context);
    if (finding === null) continue;
    found.push(finding);
    reported.add(group.key);
  }
  const fleet = addressFleetLeak(context, reported);
  return sortLeaks(fleet === null ? found : [...found, fleet]);
};

/** Critical first, then growth before idle, then the most connections. */
function sortLeaks(findings: Finding[]): Finding[] {
  const rank = (f: Finding) => (f.severity === 'critical' ? 0 : 2) + (f.kind === 'connection-growth' ? 0 : 1);
  return findings.sort((a, b) => rank(a) - rank(b) || (b.evidence.connections ?? 0) - (a.evidence.connections ?? 0));
}

export const pubsubLeak: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  const found: Finding[] = [];
  for (const group of analysis.byWorkload) {
    const onOneMember = group.maxMemberIdleSubscribers >= policy.minPubsubConnections;
    const acrossFleet = group.idleSubscribersOnSeveral >= policy.minPubsubConnections;
    if (!onOneMember && !acrossFleet && group.emptySubscribers === 0) continue;
    const parts = [`holds ${group.pubsub} subscriber connections`];
    if (group.idleSubscribers > 0) parts.push(`${group.idleSubscribers} idle for ${formatSeconds(policy.idleSeconds)} or more`);
    if (group.emptySubscribers > 0) parts.push(`${group.emptySubscribers} with no subscription left`);
    const who = describeWorkload(group);
    const origins = leakingOrigins(analysis.originsByWorkload.get(group.key), ['subscribers']);
    const finding: Finding = {
      kind: 'pubsub-leak',
      severity: escalate(group.idleSubscribers + group.emptySubscribers, context, 'warning'),
      subject: subjectOf(group),
      message: origins === null ? `${who} ${parts.join(', ')}` : `${who}: ${originSentence(origins, policy)}. The workload ${parts.join(', ')}`,
      evidence: {
        subscriberConnections: group.pubsub,
        idleSubscribers: group.idleSubscribers,
        subscribersWithoutSubscription: group.emptySubscribers,
        connections: group.connections,
        members: group.members,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: origins === null ? RECOMMENDATIONS['pubsub-leak'] : originRecommendation(origins),
      ...(group.members > 1 ? { relatedSources: group.largestMembers } : {}),
    };
    found.push(origins === null ? finding : originFields(origins, finding));
  }
  return found;
};

export const blockedClients: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  // Any client blocked this long is waiting with no (or a very long) timeout: a defect whatever the count.
  return analysis.byWorkload
    .filter((group) => group.longBlocked > 0)
    .map((group) => ({
      kind: 'blocked-clients' as const,
      severity: escalate(group.longBlocked, context, 'warning', policy.minGroupConnections),
      subject: subjectOf(group),
      message: `${describeWorkload(group)} has ${group.longBlocked} clients blocked in a blocking command for ${formatSeconds(policy.idleSeconds)} or more`,
      evidence: {
        blockedClients: group.longBlocked,
        allBlockedClients: group.blocked,
        connections: group.connections,
        members: group.members,
        maxIdleSeconds: group.maxIdleSeconds,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['blocked-clients'],
      ...(group.members > 1 ? { relatedSources: group.largestMembers } : {}),
    }));
};

export const openTransactions: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  // A transaction left open this long was abandoned: the connection is stuck until it is closed.
  return analysis.byWorkload
    .filter((group) => group.longTransactions > 0)
    .map((group) => ({
      kind: 'open-transaction' as const,
      severity: escalate(group.longTransactions, context, 'warning', policy.minGroupConnections),
      subject: subjectOf(group),
      message: `${describeWorkload(group)} has ${group.longTransactions} connections inside MULTI, idle for ${formatSeconds(policy.idleSeconds)} or more`,
      evidence: {
        openTransactions: group.longTransactions,
        allInTransaction: group.inTransaction,
        connections: group.connections,
        members: group.members,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['open-transaction'],
      ...(group.members > 1 ? { relatedSources: group.largestMembers } : {}),
    }));
};

