// The report's `nodes` entries: one per node sampled (from its last sample, with every error it gave in
// the run) and one per node that could not be read at all.
import type { RawNodeSample } from './model.js';
import type { NodeReport } from './report.js';
import type { ParsedNode } from './sample-analysis.js';

/** A node the auditor could not read at all. */
export interface FailedNode {
  readonly node: string;
  readonly error: string;
  /** The node answered "max number of clients reached": the moment users need the auditor most. */
  readonly refusedMaxClients: boolean;
}

export function nodeReport(n: ParsedNode, samples: number, allRaw: readonly RawNodeSample[]): NodeReport {
  const errors = new Set<string>();
  for (const raw of allRaw) if (raw.node === n.raw.node) raw.errors.forEach((e) => errors.add(e));
  const malformed = n.clientList?.malformedLines ?? 0;
  if (malformed > 0) {
    errors.add(`${malformed} malformed CLIENT LIST lines skipped, e.g. ${JSON.stringify(n.clientList?.malformedExamples[0] ?? '')}`);
  }
  return {
    address: n.raw.node,
    role: n.counters.role,
    serverName: n.counters.serverName,
    version: n.counters.version,
    uptimeSeconds: n.counters.uptimeSeconds,
    run_id: n.counters.runId,
    connectedClients: n.counters.connectedClients,
    maxClients: n.counters.maxClients ?? n.config.maxClients,
    clientListAvailable: n.clientList !== null,
    ...(n.clientList === null && n.raw.collection?.deferred === true ? { clientListDeferred: true } : {}),
    malformedClientListLines: malformed,
    samples,
    errors: [...errors],
  };
}

export function failedNodeReport(f: FailedNode): NodeReport {
  return {
    address: f.node, role: null, serverName: 'unknown', version: null, uptimeSeconds: null, run_id: null,
    connectedClients: null, maxClients: null, clientListAvailable: false, malformedClientListLines: 0, samples: 0,
    errors: [f.error],
  };
}
