// Checks on each source IP's connections in the latest sample: idle connections, idle subscribers,
// long-blocked clients, abandoned transactions.
import { dominantName, type ClientGroup } from '../client-groups.js';
import { RECOMMENDATIONS } from './recommendations.js';
import type { Check, CheckContext, Finding, FindingSubject, Severity } from './types.js';
import { formatSeconds, percent, smallestMaxClients } from './format.js';

/** A source holding this share of maxclients in one suspicious state is critical. */
const CRITICAL_SHARE_OF_MAXCLIENTS = 0.25;

function subjectOf(group: ClientGroup): FindingSubject {
  const name = dominantName(group);
  return name === undefined ? { sourceIp: group.key } : { sourceIp: group.key, clientName: name };
}

function escalate(count: number, context: CheckContext, base: Severity, criticalAt?: number): Severity {
  const maxClients = smallestMaxClients(context.nodes);
  if (maxClients !== null && count >= maxClients * CRITICAL_SHARE_OF_MAXCLIENTS) return 'critical';
  if (criticalAt !== undefined && count >= criticalAt) return 'critical';
  return base;
}

export const idleConnections: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  const found: Finding[] = [];
  for (const group of analysis.bySourceIp) {
    if (group.connections < policy.minGroupConnections || group.idlePlain < policy.minGroupConnections) continue;
    const usedOnceShare = group.usedOnceIdle / group.idlePlain;
    const shape = usedOnceShare >= 0.8
      ? `; ${percent(usedOnceShare)} of them were used only when opened (a connection per request that is never closed)`
      : '';
    found.push({
      kind: 'idle-connections',
      severity: escalate(group.idlePlain, context, 'warning'),
      subject: subjectOf(group),
      message: `${group.key} holds ${group.connections} connections, ${group.idlePlain} (${percent(group.idlePlain / group.connections)}) `
        + `idle for ${formatSeconds(policy.idleSeconds)} or more${shape}`,
      evidence: {
        connections: group.connections,
        idleConnections: group.idlePlain,
        idleShare: round2(group.idlePlain / group.connections),
        usedOnceIdleConnections: group.usedOnceIdle,
        oldestAgeSeconds: group.oldestAgeSeconds,
        maxIdleSeconds: group.maxIdleSeconds,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['idle-connections'],
    });
  }
  return found;
};

export const pubsubLeak: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  const found: Finding[] = [];
  for (const group of analysis.bySourceIp) {
    const manyIdle = group.idleSubscribers >= policy.minPubsubConnections;
    if (!manyIdle && group.emptySubscribers === 0) continue;
    const parts = [`${group.key} holds ${group.pubsub} subscriber connections`];
    if (group.idleSubscribers > 0) parts.push(`${group.idleSubscribers} idle for ${formatSeconds(policy.idleSeconds)} or more`);
    if (group.emptySubscribers > 0) parts.push(`${group.emptySubscribers} with no subscription left`);
    found.push({
      kind: 'pubsub-leak',
      severity: escalate(group.idleSubscribers + group.emptySubscribers, context, 'warning'),
      subject: subjectOf(group),
      message: parts.join(', '),
      evidence: {
        subscriberConnections: group.pubsub,
        idleSubscribers: group.idleSubscribers,
        subscribersWithoutSubscription: group.emptySubscribers,
        connections: group.connections,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['pubsub-leak'],
    });
  }
  return found;
};

export const blockedClients: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  // Any client blocked this long is waiting with no (or a very long) timeout: a defect whatever the count.
  return analysis.bySourceIp
    .filter((group) => group.longBlocked > 0)
    .map((group) => ({
      kind: 'blocked-clients' as const,
      severity: escalate(group.longBlocked, context, 'warning', policy.minGroupConnections),
      subject: subjectOf(group),
      message: `${group.key} has ${group.longBlocked} clients blocked in a blocking command for ${formatSeconds(policy.idleSeconds)} or more`,
      evidence: {
        blockedClients: group.longBlocked,
        allBlockedClients: group.blocked,
        connections: group.connections,
        maxIdleSeconds: group.maxIdleSeconds,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['blocked-clients'],
    }));
};

export const openTransactions: Check = (context) => {
  const { policy, analysis } = context;
  if (analysis === null) return [];
  // A transaction left open this long was abandoned: the connection is stuck until it is closed.
  return analysis.bySourceIp
    .filter((group) => group.longTransactions > 0)
    .map((group) => ({
      kind: 'open-transaction' as const,
      severity: escalate(group.longTransactions, context, 'warning', policy.minGroupConnections),
      subject: subjectOf(group),
      message: `${group.key} has ${group.longTransactions} connections inside MULTI, idle for ${formatSeconds(policy.idleSeconds)} or more`,
      evidence: {
        openTransactions: group.longTransactions,
        allInTransaction: group.inTransaction,
        connections: group.connections,
        idleThresholdSeconds: policy.idleSeconds,
      },
      recommendation: RECOMMENDATIONS['open-transaction'],
    }));
};

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
