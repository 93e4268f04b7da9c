// Churn: connections opened and closed again at a high rate (no pooling). Connections that were opened
// and are still open are not churn but a leak's new connections: they are left out of the rate here and
// shown as evidence of the workload's leak finding instead, so one leak is never told as churn too.
import { leakSignals } from './leak-finding.js';
import { RECOMMENDATIONS } from './recommendations.js';
import type { Check, CheckContext } from './types.js';

/** Churn at this multiple of the threshold is critical. */
const CRITICAL_CHURN_MULTIPLE = 10;
const CHURN_SOURCES_LISTED = 5;
/** Connections caught in flight a workload must show to be named the churn's subject: one proves nothing. */
const MIN_FRESH_TO_NAME = 2;

export const connectionChurn: Check = (context) => {
  const { window, policy, analysis, nodes } = context;
  const rate = window.newConnectionsPerMinute;
  if (rate === null || rate <= policy.churnPerMinute) return [];
  const workloads = analysis?.byWorkload ?? [];
  // Opened during the window and still open: held, not churned.
  const stillOpen = workloads.reduce((sum, group) => sum + group.young, 0);
  const stillOpenPerMinute = window.windowSeconds > 0 ? (stillOpen * 60) / window.windowSeconds : 0;
  const closedAgain = Math.max(0, Math.round((rate - stillOpenPerMinute) * 10) / 10);
  if (closedAgain <= policy.churnPerMinute) return [];
  // The server does not count connections per source. A connect-use-close cycle leaves connections a second
  // old or less in a sample; a leaking workload's are held, not churned, so it is never named here.
  const churners = workloads
    .filter((group) => group.fresh > 0 && !isLeaking(group, context))
    .sort((a, b) => b.fresh - a.fresh)
    .slice(0, CHURN_SOURCES_LISTED);
  const freshTotal = churners.reduce((sum, g) => sum + g.fresh, 0);
  const top = churners[0];
  const dominant = top !== undefined && top.fresh >= MIN_FRESH_TO_NAME && top.fresh * 2 >= freshTotal ? top : undefined;
  const connected = nodes.reduce((sum, view) => sum + (view.counters.connectedClients ?? 0), 0);
  const where = churners.length > 0 ? `; connections caught in flight belong to ${churners.map((g) => `${g.label} (${g.fresh})`).join(', ')}` : '';
  const sources = churners.flatMap((g) => g.largestMembers.slice(0, 1).map((m) => ({ sourceIp: m.sourceIp, connections: g.fresh })));
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

function isLeaking(group: Parameters<typeof leakSignals>[0] & { readonly key: string }, context: CheckContext): boolean {
  const signals = leakSignals(group, context.growth.find((g) => g.key === group.key), context.policy.minGroupConnections);
  return signals.idle || signals.usedOnce || signals.growth !== undefined;
}
