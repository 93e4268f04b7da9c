// Checks on server-wide numbers: headroom to maxclients, rejected connections, the idle timeout,
// attribution (client names) and what could not be seen.
import { RECOMMENDATIONS } from './recommendations.js';
import { maxClientsOf, percent } from './format.js';
import type { Check, Finding } from './types.js';

export const maxclientsHeadroom: Check = ({ nodes, policy }) => {
  const found: Finding[] = [];
  for (const view of nodes) {
    const maxClients = maxClientsOf(view);
    const connected = view.counters.connectedClients;
    if (view.refusedMaxClients) {
      found.push({
        kind: 'maxclients-exhausted',
        severity: 'critical',
        subject: { node: view.node },
        message: `${view.node} refused the auditor's connection: maxclients is reached and applications cannot connect`,
        evidence: { refused: 1, ...(maxClients === null ? {} : { maxClients }) },
        recommendation: RECOMMENDATIONS['maxclients-exhausted'],
      });
      continue;
    }
    if (maxClients === null || connected === null || maxClients <= 0) continue;
    const utilization = connected / maxClients;
    const evidence = { connectedClients: connected, maxClients, utilization: Math.round(utilization * 1000) / 1000 };
    if (connected >= maxClients) {
      found.push({
        kind: 'maxclients-exhausted',
        severity: 'critical',
        subject: { node: view.node },
        message: `${view.node} has ${connected} of ${maxClients} connections in use: new connections are refused`,
        evidence,
        recommendation: RECOMMENDATIONS['maxclients-exhausted'],
      });
    } else if (utilization >= policy.maxclientsWarn) {
      found.push({
        kind: 'maxclients-pressure',
        severity: utilization >= policy.maxclientsCritical ? 'critical' : 'warning',
        subject: { node: view.node },
        message: `${view.node} uses ${percent(utilization)} of maxclients (${connected} of ${maxClients})`,
        evidence: { ...evidence, warnAt: policy.maxclientsWarn },
        recommendation: RECOMMENDATIONS['maxclients-pressure'],
      });
    }
  }
  return found;
};

export const rejectedConnections: Check = ({ nodes, window }) => {
  const lifetime = nodes.reduce((sum, view) => sum + (view.counters.rejectedConnections ?? 0), 0);
  if (window.rejectedInWindow !== null) {
    if (window.rejectedInWindow <= 0) return [];
    return [{
      kind: 'rejected-connections',
      severity: 'critical',
      subject: nodes.length === 1 && nodes[0] ? { node: nodes[0].node } : {},
      message: `${window.rejectedInWindow} connections were rejected (maxclients reached) in the last ${Math.round(window.windowSeconds)} s`,
      evidence: { rejectedSinceLastSample: window.rejectedInWindow, rejectedTotal: lifetime, windowSeconds: window.windowSeconds },
      recommendation: RECOMMENDATIONS['rejected-connections'],
    }];
  }
  // Without history only the lifetime counter is known: worth knowing, not proof of a current problem.
  if (lifetime <= 0) return [];
  return [{
    kind: 'rejected-connections',
    severity: 'info',
    subject: nodes.length === 1 && nodes[0] ? { node: nodes[0].node } : {},
    message: `${lifetime} connections were rejected since the server started; sample again (--samples or --state-file) to see whether it is still happening`,
    evidence: { rejectedTotal: lifetime },
    recommendation: RECOMMENDATIONS['rejected-connections'],
  }];
};

export const noIdleTimeout: Check = ({ nodes }) => {
  const without = nodes.filter((view) => view.config.timeoutSeconds === 0);
  const first = without[0];
  if (first === undefined) return [];
  return [{
    kind: 'no-idle-timeout',
    severity: 'info',
    subject: { node: first.node },
    message: without.length === 1
      ? `${first.node} never closes idle connections (timeout 0)`
      : `${without.length} nodes never close idle connections (timeout 0)`,
    evidence: { timeoutSeconds: 0, nodes: without.length, ...(first.config.tcpKeepaliveSeconds === null ? {} : { tcpKeepaliveSeconds: first.config.tcpKeepaliveSeconds }) },
    recommendation: RECOMMENDATIONS['no-idle-timeout'],
  }];
};

export const unnamedClients: Check = ({ analysis, policy }) => {
  if (analysis === null || analysis.analysedConnections === 0) return [];
  const share = analysis.unnamed / analysis.analysedConnections;
  if (analysis.unnamed < policy.minGroupConnections || share < 0.5) return [];
  return [{
    kind: 'unnamed-clients',
    severity: 'info',
    subject: {},
    message: `${analysis.unnamed} of ${analysis.analysedConnections} connections (${percent(share)}) have no client name`,
    evidence: { unnamedConnections: analysis.unnamed, connections: analysis.analysedConnections, unnamedShare: Math.round(share * 100) / 100 },
    recommendation: RECOMMENDATIONS['unnamed-clients'],
  }];
};

export const clientListUnavailable: Check = ({ nodes }) =>
  nodes
    .filter((view) => !view.failed && !view.refusedMaxClients && !view.clientListAvailable)
    .map((view) => ({
      kind: 'client-list-unavailable' as const,
      severity: 'info' as const,
      subject: { node: view.node },
      message: `${view.node} refused CLIENT LIST: per-source checks (idle, pub/sub, blocked, transactions, growth) did not run`,
      evidence: { connectedClients: view.counters.connectedClients ?? 0 },
      recommendation: RECOMMENDATIONS['client-list-unavailable'],
    }));
