// Checks that need more than one sample: a source whose connection count keeps rising, and churn.
import { dominantName } from '../client-groups.js';
import { RECOMMENDATIONS } from './recommendations.js';
import { smallestMaxClients } from './format.js';
import type { Check, Finding } from './types.js';

/** Growth that would reach maxclients within this many minutes is critical. */
const CRITICAL_MINUTES_TO_EXHAUSTION = 60;
/** Churn at this multiple of the threshold is critical. */
const CRITICAL_CHURN_MULTIPLE = 10;

export const connectionGrowth: Check = ({ growth, analysis, nodes }) => {
  const maxClients = smallestMaxClients(nodes);
  const connected = nodes.reduce((sum, view) => sum + (view.counters.connectedClients ?? 0), 0);
  return growth.map((g): Finding => {
    const group = analysis?.bySourceIp.find((candidate) => candidate.key === g.sourceIp);
    const name = group === undefined ? undefined : dominantName(group);
    const minutesLeft = maxClients !== null && g.perMinute > 0 ? Math.max(0, (maxClients - connected) / g.perMinute) : null;
    const projection = minutesLeft === null ? '' : `; at this rate maxclients is reached in about ${Math.round(minutesLeft)} min`;
    return {
      kind: 'connection-growth',
      severity: minutesLeft !== null && minutesLeft < CRITICAL_MINUTES_TO_EXHAUSTION ? 'critical' : 'warning',
      subject: name === undefined ? { sourceIp: g.sourceIp } : { sourceIp: g.sourceIp, clientName: name },
      message: `${g.sourceIp} grew from ${g.first} to ${g.last} connections in ${Math.round(g.windowSeconds)} s `
        + `(${g.perMinute} a minute, ${g.samples} samples)${projection}`,
      evidence: {
        firstConnections: g.first,
        lastConnections: g.last,
        growth: g.last - g.first,
        growthPerMinute: g.perMinute,
        samples: g.samples,
        windowSeconds: g.windowSeconds,
        ...(minutesLeft === null ? {} : { minutesToMaxclients: Math.round(minutesLeft) }),
      },
      recommendation: RECOMMENDATIONS['connection-growth'],
    };
  });
};

export const connectionChurn: Check = ({ window, policy, analysis, nodes }) => {
  const rate = window.newConnectionsPerMinute;
  if (rate === null || rate <= policy.churnPerMinute) return [];
  // The server does not count connections per source; young connections still open are the best hint.
  const young = (analysis?.bySourceIp ?? [])
    .filter((group) => group.young > 0)
    .sort((a, b) => b.young - a.young)
    .slice(0, 5)
    .map((group) => ({ sourceIp: group.key, connections: group.young }));
  const youngTotal = young.reduce((sum, s) => sum + s.connections, 0);
  const top = young[0];
  const dominant = top !== undefined && top.connections * 2 >= youngTotal ? top : undefined;
  const connected = nodes.reduce((sum, view) => sum + (view.counters.connectedClients ?? 0), 0);
  const where = young.length > 0 ? `; the youngest connections come from ${young.map((s) => s.sourceIp).join(', ')}` : '';
  return [{
    kind: 'connection-churn',
    severity: rate >= policy.churnPerMinute * CRITICAL_CHURN_MULTIPLE ? 'critical' : 'warning',
    subject: dominant === undefined ? {} : { sourceIp: dominant.sourceIp },
    message: `${Math.round(rate)} new connections a minute (threshold ${policy.churnPerMinute}) while ${connected} are open${where}`,
    evidence: {
      newConnectionsPerMinute: rate,
      thresholdPerMinute: policy.churnPerMinute,
      windowSeconds: window.windowSeconds,
      connectedClients: connected,
    },
    recommendation: RECOMMENDATIONS['connection-churn'],
    ...(young.length > 0 ? { relatedSources: young } : {}),
  }];
};
