// Runs every check and orders the findings: most severe first, then the largest numbers.
import { blockedClients, idleConnections, openTransactions, pubsubLeak } from './source-checks.js';
import { clientListUnavailable, maxclientsHeadroom, noIdleTimeout, rejectedConnections, unnamedClients } from './server-checks.js';
import { connectionChurn, connectionGrowth } from './trend-checks.js';
import { severityRank, type Check, type CheckContext, type Finding } from './types.js';

export const CHECKS: readonly Check[] = [
  maxclientsHeadroom,
  rejectedConnections,
  connectionGrowth,
  idleConnections,
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

export * from './types.js';
export { maxClientsOf, smallestMaxClients } from './format.js';
