// Builders for core inputs in unit tests: a client line's typed shape, node views, sample summaries.
import type { ClientRecord, ServerCounters } from '../../lambda/core/model.js';
import type { NodeView } from '../../lambda/core/findings/index.js';
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
