// Runs every check and orders the findings: most severe first, then the largest numbers.
import { blockedClients, openTransactions, pubsubLeak, workloadLeaks } from './workload-checks.js';
import { clientListUnavailable, maxclientsHeadroom, noIdleTimeout, rejectedConnections, unnamedClients } from './server-checks.js';
import { connectionChurn } from './trend-checks.js';
import { severityRank, type Check, type CheckContext, type Finding, type FindingKind } from './types.js';

export const CHECKS: readonly Check[] = [
  maxclientsHeadroom,
  rejectedConnections,
  workloadLeaks,
  pubsubLeak,
  blockedClients,
  openTransactions,
  connectionChurn,
  noIdleTimeout,
  unnamedClients,
  clientListUnavailable,
];

export function runChecks(context: CheckContext, checks: readonly Check[] = CHECKS): Finding[] {
  const findings = checks.flatMap((check) => check(context));
  // Stable sort: within a severity the checks' own order (and each check's largest-first order) stays.
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity) || a.index - b.index)
    .map(({ finding }) => finding);
}

/** Kinds in the order CHECKS produces them (maxclientsHeadroom gives both maxclients kinds). */
const KIND_ORDER: Readonly<Record<FindingKind, number>> = {
  'maxclients-exhausted': 0,
  'maxclients-pressure': 0,
  'rejected-connections': 1,
  'connection-growth': 2,
  'idle-connections': 3,
  'pubsub-leak': 4,
  'blocked-clients': 5,
  'open-transaction': 6,
  'connection-churn': 7,
  'no-idle-timeout': 8,
  'unnamed-clients': 9,
  'client-list-unavailable': 10,
};

/**
 * Findings made after runChecks (e.g. from CloudWatch) merged into its ordered list: most severe first,
 * and within a severity each one where its check would have put it, after the findings already there.
 */
export function mergeFindings<T extends Finding>(ordered: readonly T[], added: readonly T[]): T[] {
  return [...ordered, ...added]
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity)
      || KIND_ORDER[a.finding.kind] - KIND_ORDER[b.finding.kind]
      || a.index - b.index)
    .map(({ finding }) => finding);
}

export * from './types.js';
export { maxClientsOf, smallestMaxClients } from './format.js';
