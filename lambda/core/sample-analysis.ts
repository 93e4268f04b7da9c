// Reading the samples for the assessment (audit.ts): each node's INFO, CONFIG and client list parsed, and
// its clients analysed in the same pass, with the window that decides which connections are young.
import { ClientAnalyser, YOUNG_CONNECTION_SECONDS, type ClientAnalysis } from './analyse-clients.js';
import type { SampleSummary } from './history.js';
import type { AuditPolicy, RawNodeSample, ServerConfig, ServerCounters } from './model.js';
import { scanClientList, type ClientListScan } from './parse-client-list.js';
import { parseInfo, readCounters } from './parse-info.js';
import { plausibleConfig } from './plausible.js';
import type { AuditState } from './state.js';
import type { Workload } from './workloads.js';

export interface ParsedNode {
  readonly raw: RawNodeSample;
  readonly counters: ServerCounters;
  /** CONFIG GET's answers, held to the believable ranges once (plausible.ts). */
  readonly config: ServerConfig;
  /** What scanning the client list found besides the clients (which went straight into the analysis). */
  readonly clientList: ClientListScan | null;
}

/**
 * Connections opened during the comparison window are the "young" ones that churn and leaks create:
 * the span of this run's samples, else the time since the last run's sample, else a minute.
 */
export function youngWindowSeconds(samples: ReadonlyArray<ReadonlyArray<RawNodeSample>>, previous: readonly SampleSummary[]): number {
  const times = samples.flat().map((raw) => raw.takenAtMs);
  if (times.length === 0) return YOUNG_CONNECTION_SECONDS;
  const last = Math.max(...times);
  const first = samples.length >= 2 ? Math.min(...times) : previous[previous.length - 1]?.takenAtMs;
  if (first === undefined || last <= first) return YOUNG_CONNECTION_SECONDS;
  return Math.max(1, Math.round((last - first) / 1000));
}

/** The highest client id of a node when the comparison window started; undefined when unknown. */
export type WindowStart = (node: string, runId: string | null) => number | undefined;

/** From the last run's collection memory, while the node is the same server process (ids restart with it). */
export function lastRunMaxId(state: AuditState | null, node: string, runId: string | null): number | undefined {
  const memory = state?.collection?.[node];
  return memory !== undefined && runId !== null && memory.runId === runId ? memory.maxId : undefined;
}

/**
 * Parses one sample and analyses its clients in the same pass: each client goes into the analyser as its
 * line is read and is not kept, so memory stays bounded by the report's lists, not by the client count.
 */
export function parseAndAnalyse(
  sample: ReadonlyArray<RawNodeSample>, policy: AuditPolicy, youngSeconds: number, resolved: ReadonlyMap<string, Workload> | undefined,
  windowStart: WindowStart,
): { nodes: ParsedNode[]; analysis: ClientAnalysis | null; maxIds: Map<string, number> } {
  const analyser = new ClientAnalyser(policy, youngSeconds, resolved);
  const maxIds = new Map<string, number>();
  let listed = false;
  const nodes = sample.map((raw): ParsedNode => {
    const counters = readCounters(parseInfo(raw.infoText));
    const config = plausibleConfig(raw.config);
    if (raw.clientListText === null) return { raw, counters, config, clientList: null };
    listed = true;
    const auditor = new Set(raw.auditorAddresses);
    const openedAfter = windowStart(raw.node, counters.runId);
    let maxId = 0;
    const clientList = scanClientList(raw.clientListText, (client) => {
      if (client.id > maxId) maxId = client.id;
      analyser.add(raw.node, client, auditor, openedAfter);
    });
    maxIds.set(raw.node, maxId);
    return { raw, counters, config, clientList };
  });
  return { nodes, analysis: listed ? analyser.finish() : null, maxIds };
}
