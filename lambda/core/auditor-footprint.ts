// The report's `auditor` block: what the audit itself cost the server (commands, bytes, listing time
// against the stall budget) and how it listed clients, over every sample and node of the run.
import type { ClientAnalysis } from './analyse-clients.js';
import type { RawNodeSample } from './model.js';
import type { AuditReport } from './report.js';
import type { ParsedNode } from './sample-analysis.js';

export interface FootprintInput {
  /** The last sample's nodes. */
  readonly latest: readonly ParsedNode[];
  /** Every sample of every node in the run. */
  readonly allRaw: readonly RawNodeSample[];
  readonly maxStallMs: number;
  /** Distinct nodes the run connected to (one connection each). */
  readonly connectionsOpened: number;
  readonly durationMs: number;
  readonly analysis: ClientAnalysis | null;
}

export function auditorFootprint(input: FootprintInput): AuditReport['auditor'] {
  const { allRaw, analysis } = input;
  return {
    method: auditorMethod(input.latest),
    clientListCommands: sum(allRaw.map((r) => r.collection?.clientListCommands ?? 0)),
    longestClientListMs: Math.max(0, ...allRaw.map((r) => r.collection?.longestClientListMs ?? 0)),
    listing: listingCost(allRaw, input.maxStallMs),
    connectionsOpened: input.connectionsOpened,
    commandsSent: sum(allRaw.map((r) => r.cost.commandsSent)),
    bytesRead: sum(allRaw.map((r) => r.cost.bytesRead)),
    roundTripMs: Math.round(sum(allRaw.map((r) => r.cost.roundTripMs)) * 10) / 10,
    durationMs: Math.max(0, input.durationMs),
    excludedConnections: analysis?.excluded.auditor ?? 0,
    excludedReplicationLinks: analysis?.excluded.replication ?? 0,
  };
}

/** How the latest sample listed clients: by id when any node was read that way. */
function auditorMethod(nodes: readonly ParsedNode[]): AuditReport['auditor']['method'] {
  if (!nodes.some((n) => n.clientList !== null)) return 'info-only';
  return nodes.some((n) => n.raw.collection?.method === 'client-list-by-id') ? 'client-list-by-id' : 'client-list';
}

function listingCost(raws: readonly RawNodeSample[], maxStallMs: number): AuditReport['auditor']['listing'] {
  const of = (pick: (c: NonNullable<RawNodeSample['collection']>) => number | undefined) => raws.map((r) => (r.collection ? pick(r.collection) ?? 0 : 0));
  const ms = (value: number) => Math.round(value * 1000) / 1000;
  return {
    maxStallMs,
    idsLookedUp: sum(of((c) => c.idsLookedUp)),
    clientsListed: sum(of((c) => c.clientsListed)),
    estimatedServerMs: ms(sum(of((c) => c.estimatedServerMs))),
    estimatedLongestMs: ms(Math.max(0, ...of((c) => c.estimatedLongestMs))),
    wallMs: ms(sum(of((c) => c.listingMs))),
    speedFactor: Math.max(1, ...of((c) => c.speedFactor)),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
