// Builders for core inputs in unit tests: a client line's typed shape, node views, sample summaries,
// workload groups and the finding of a leaking fleet (for the renderers).
import type { ClientRecord, ServerCounters } from '../../lambda/core/model.js';
import type { Finding, NodeView } from '../../lambda/core/findings/index.js';
import { RECOMMENDATIONS } from '../../lambda/core/findings/recommendations.js';
import type { WorkloadGroup } from '../../lambda/core/workload-groups.js';
import type { NodeCounters, SampleSummary } from '../../lambda/core/history.js';

let nextId = 100;

export function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  const id = overrides.id ?? nextId++;
  const sourceIp = overrides.sourceIp ?? '10.0.0.1';
  const port = overrides.sourcePort ?? 40000 + (id % 20000);
  return {
    id,
    addr: sourceIp.includes(':') ? `[${sourceIp}]:${port}` : `${sourceIp}:${port}`,
    sourceIp,
    sourcePort: port,
    name: '',
    ageSeconds: 600,
    idleSeconds: 0,
    flags: 'N',
    db: 0,
    sub: 0,
    psub: 0,
    ssub: 0,
    multi: -1,
    cmd: 'get',
    user: 'default',
    libName: '',
    libVer: '',
    fields: {},
    ...overrides,
  };
}

export function many(count: number, overrides: Partial<ClientRecord> = {}): ClientRecord[] {
  return Array.from({ length: count }, () => client(overrides));
}

export const emptyCounters: ServerCounters = {
  version: '7.0.15', serverName: 'redis', mode: 'standalone', role: 'master', runId: 'run-a', uptimeSeconds: 1000,
  connectedClients: null, blockedClients: null, pubsubClients: null, trackingClients: null, maxClients: 10000,
  totalConnectionsReceived: null, rejectedConnections: null,
};

export function nodeView(overrides: Omit<Partial<NodeView>, 'counters'> & { counters?: Partial<ServerCounters> } = {}): NodeView {
  return {
    node: '127.0.0.1:6379',
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 },
    clientListAvailable: true,
    refusedMaxClients: false,
    failed: false,
    ...overrides,
    counters: { ...emptyCounters, ...(overrides.counters ?? {}) },
  };
}

export function counters(overrides: Partial<NodeCounters> = {}): NodeCounters {
  return {
    node: '127.0.0.1:6379', takenAtMs: 0, runId: 'run-a', uptimeSeconds: 1000, totalConnectionsReceived: 0,
    rejectedConnections: 0, connectedClients: 10, auditorConnects: 0, ...overrides,
  };
}

export function sample(takenAtMs: number, node: Partial<NodeCounters>, sources: Record<string, number> = {}): SampleSummary {
  return { takenAtMs, nodes: [counters({ takenAtMs, ...node })], sources, sourcesComplete: true };
}

/** A workload of `members` addresses (10.0.1.1, 10.0.1.2, ...) holding `connections` in all, every one idle and used once. */
export function workloadGroup(label: string, connections: number, members: number, overrides: Partial<WorkloadGroup> = {}): WorkloadGroup {
  const per = Math.max(1, Math.floor(connections / Math.max(1, members)));
  return {
    key: `name:${label}`, label, identifiedBy: 'client-name', members,
    largestMembers: Array.from({ length: Math.min(5, members) }, (_, i) => ({ sourceIp: `10.0.1.${i + 1}`, connections: per })),
    maxMemberIdle: per, maxMemberIdleSubscribers: 0, usedOnceIdleOnSeveral: per >= 2 ? per * members : 0, idleSubscribersOnSeveral: 0,
    connections, idle: connections, idlePlain: connections, usedOnceIdle: connections, pubsub: 0, idleSubscribers: 0,
    emptySubscribers: 0, blocked: 0, longBlocked: 0, inTransaction: 0, longTransactions: 0, young: 0, fresh: 0, oldestAgeSeconds: 3600,
    maxIdleSeconds: 3500, ageBuckets: { '<1m': 0, '1m-1h': connections, '1h-1d': 0, '>1d': 0 },
    ...overrides,
  };
}

/** The idle-connections finding of a workload spread over several addresses, as the core words it. */
export function fleetFinding(group: WorkloadGroup, overrides: Partial<Finding> = {}): Finding {
  return {
    kind: 'idle-connections', severity: 'warning',
    subject: { workload: group.label, identifiedBy: group.identifiedBy, clientName: group.label },
    message: `${group.label} (client name, ${group.members} addresses, largest ${group.largestMembers[0]?.sourceIp ?? ''}) holds ${group.connections} connections: `
      + `${group.idlePlain} (100%) idle for 5 min or more. Connections are opened and not closed`,
    evidence: { connections: group.connections, members: group.members, idleConnections: group.idlePlain },
    recommendation: RECOMMENDATIONS['idle-connections'],
    relatedSources: group.largestMembers,
    ...overrides,
  };
}
