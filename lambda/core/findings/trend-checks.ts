// Churn: connections opened and closed again at a high rate (no pooling). Connections that were opened
// and are still open are not churn but a leak's new connections: they are left out of the rate here and
// shown as evidence of the workload's leak finding instead, so one leak is never told as churn too.
import { RECOMMENDATIONS } from './recommendations.js';
import type { Check } from './types.js';

/** Churn at this multiple of the threshold is critical. */
const CRITICAL_CHURN_MULTIPLE = 10;
const YOUNG_SOURCES_LISTED = 5;
/** Young connections a workload must hold to be named the churn's subject: one caught in flight proves nothing. */
const MIN_YOUNG_TO_NAME = 5;

export const connectionChurn: Check = ({ window, policy, analysis, nodes }) => {
  const rate = window.newConnectionsPerMinute;
  if (rate === null || rate <= policy.churnPerMinute) return [];
  const workloads = analysis?.byWorkload ?? [];
  // Opened during the window and still open (age below the window): held, not churned.
  const stillOpen = workloads.reduce((sum, group) => sum + group.young, 0);
  const stillOpenPerMinute = window.windowSeconds > 0 ? (stillOpen * 60) / window.windowSeconds : 0;
  const closedAgain = Math.max(0, Math.round((rate - stillOpenPerMinute) * 10) / 10);
  if (closedAgain <= policy.churnPerMinute) return [];
  // The server does not count connections per source; the workloads with young connections still open are the best hint.
  const young = workloads
    .filter((group) => group.young > 0)
    .sort((a, b) => b.young - a.young)
    .slice(0, YOUNG_SOURCES_LISTED);
  const youngTotal = young.reduce((sum, g) => sum + g.young, 0);
  const top = young[0];
  const dominant = top !== undefined && top.young >= MIN_YOUNG_TO_NAME && top.young * 2 >= youngTotal ? top : undefined;
  const connected = nodes.reduce((sum, view) => sum + (view.counters.connectedClients ?? 0), 0);
  const where = young.length > 0 ? `; the youngest connections belong to ${young.map((g) => g.label).join(', ')}` : '';
  const sources = young.flatMap((g) => g.largestMembers.slice(0, 1).map((m) => ({ sourceIp: m.sourceIp, connections: g.young })));
  return [{
    kind: 'connection-churn',
    severity: closedAgain >= policy.churnPerMinute * CRITICAL_CHURN_MULTIPLE ? 'critical' : 'warning',
    subject: dominant === undefined ? {} : { workload: dominant.label, identifiedBy: dominant.identifiedBy },
    message: `${Math.round(closedAgain)} connections a minute are opened and closed again (threshold ${policy.churnPerMinute}; `
      + `${Math.round(rate)} new a minute in all) while ${connected} are open${where}`,
    evidence: {
      newConnectionsPerMinute: rate,
      closedAgainPerMinute: closedAgain,
      openedInWindowStillOpen: stillOpen,
      thresholdPerMinute: policy.churnPerMinute,
      windowSeconds: window.windowSeconds,
      connectedClients: connected,
    },
    recommendation: RECOMMENDATIONS['connection-churn'],
    ...(sources.length > 0 ? { relatedSources: sources } : {}),
  }];
};
