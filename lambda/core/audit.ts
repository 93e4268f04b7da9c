// The pipeline's pure middle: raw samples in, report and next state out. The CLI and the Lambda both
// call this after collecting; neither decides anything about leaks itself.
import { ClientAnalyser, YOUNG_CONNECTION_SECONDS, type ClientAnalysis } from './analyse-clients.js';
import { runChecks, type NodeView } from './findings/index.js';
import { counterWindow, growthOfWorkloads, summariseSample, type CounterWindow, type SampleSummary } from './history.js';
import type { CollectionMemory } from './collection-memory.js';
import type { AuditPolicy, RawNodeSample, ServerConfig, ServerCounters } from './model.js';
import { scanClientList, type ClientListScan } from './parse-client-list.js';
import { parseInfo, readCounters } from './parse-info.js';
import { boundedGroups, countSuspectedLeaks, REPORT_SCHEMA_VERSION, type AuditReport, type NodeReport } from './report.js';
import { clientListLimitations, withLimitations } from './service-metrics.js';
import { nextState, type AuditState } from './state.js';
import { buildSummary } from './summary.js';
import { withResolvedSources } from './enrich-report.js';
import { libraryLimitations, MAX_FINDINGS, nodesWithoutLibraries, overflowLimitations } from './workload-limitations.js';
import { plausibleConfig } from './plausible.js';
import type { Workload } from './workloads.js';

/** A node the auditor could not read at all. */
export interface FailedNode {
  readonly node: string;
  readonly error: string;
  /** The node answered "max number of clients reached": the moment users need the auditor most. */
  readonly refusedMaxClients: boolean;
}

export interface AuditInput {
  /** The target without credentials. */
  readonly target: string;
  /** Samples oldest first; each holds one raw sample per node that answered. */
  readonly samples: ReadonlyArray<ReadonlyArray<RawNodeSample>>;
  readonly failedNodes: readonly FailedNode[];
  /** Nodes whose sampling stopped before the planned samples were taken (hung, restarted): the run is partial. */
  readonly interruptedNodes?: readonly string[];
  readonly previousState: AuditState | null;
  readonly stateWarnings?: readonly string[];
  readonly policy: AuditPolicy;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly toolVersion: string;
  /** Per node, the client ids of this run's last sample, kept in the state for the next run's listing. */
  readonly collectionMemory?: Readonly<Record<string, CollectionMemory | null>>;
  /**
   * Source IP -> the AWS resource behind it, resolved by the Lambda before the assessment (sourcesToResolve):
   * clients are then grouped into the Lambda function, ECS service or Auto Scaling group they run in.
   */
  readonly resolvedSources?: ReadonlyMap<string, Workload>;
}

export interface AuditOutcome {
  readonly report: AuditReport;
  readonly state: AuditState;
}

interface ParsedNode {
  readonly raw: RawNodeSample;
  readonly counters: ServerCounters;
  /** CONFIG GET's answers, held to the believable ranges once (plausible.ts). */
  readonly config: ServerConfig;
  /** What scanning the client list found besides the clients (which went straight into the analysis). */
  readonly clientList: ClientListScan | null;
}

export function assessAudit(input: AuditInput): AuditOutcome {
  const { policy } = input;
  const seenNodes = new Set<string>();
  const summaries: SampleSummary[] = [];
  let latest: { nodes: ParsedNode[]; analysis: ClientAnalysis | null } = { nodes: [], analysis: null };
  const sampleCounts = new Map<string, number>();
  /** Each node's last parsed sample: a node whose sampling stopped early is reported from it. */
  const lastOfNode = new Map<string, ParsedNode>();

  const previous = input.previousState?.samples ?? [];
  const youngSeconds = youngWindowSeconds(input.samples, previous);
  // The highest client id per node when the window started: this run's first sample, else the last run's.
  let windowStart: WindowStart = (node, runId) => lastRunMaxId(input.previousState, node, runId);
  for (const [index, sample] of input.samples.entries()) {
    const { nodes, analysis, maxIds } = parseAndAnalyse(sample, policy, youngSeconds, input.resolvedSources, windowStart);
    if (index === 0 && input.samples.length >= 2) windowStart = (node) => maxIds.get(node);
    summaries.push(summariseSample(
      Math.max(...sample.map((raw) => raw.takenAtMs)),
      nodes.map(({ raw, counters }) => {
        // The server counted the auditor's own connection in total_connections_received once per run.
        const auditorConnects = seenNodes.has(raw.node) ? 0 : 1;
        seenNodes.add(raw.node);
        sampleCounts.set(raw.node, (sampleCounts.get(raw.node) ?? 0) + 1);
        return { node: raw.node, takenAtMs: raw.takenAtMs, counters, auditorConnects };
      }),
      analysis,
    ));
    latest = { nodes, analysis };
    for (const n of nodes) lastOfNode.set(n.raw.node, n);
  }
  const inLatest = new Set(latest.nodes.map((n) => n.raw.node));
  // Sampled earlier in this run but missing from the last sample (several nodes: one stopped early).
  const stoppedEarly = [...lastOfNode.values()].filter((n) => !inLatest.has(n.raw.node));

  const { window, source } = comparisonWindow(previous, summaries);
  const growth = growthOfWorkloads([...previous, ...summaries], policy.minGrowthConnections, policy.minGroupConnections);
  const views: NodeView[] = [
    ...latest.nodes.map((n): NodeView => ({
      node: n.raw.node,
      counters: n.counters,
      config: n.config,
      clientListAvailable: n.clientList !== null,
      refusedMaxClients: false,
      failed: false,
    })),
    ...input.failedNodes.map((f): NodeView => ({
      node: f.node,
      counters: readCounters(parseInfo('')),
      config: { timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null },
      clientListAvailable: false,
      refusedMaxClients: f.refusedMaxClients,
      failed: true,
    })),
  ];
  const analysis = latest.analysis;
  const allFindings = runChecks({ policy, analysis, nodes: views, window, growth });
  // Most severe and largest first: the report keeps the head, the summary still counts them all.
  const findings = allFindings.slice(0, MAX_FINDINGS);
  const allRaw = input.samples.flat();

  const latestReports = [...latest.nodes, ...stoppedEarly].map((n) => nodeReport(n, sampleCounts.get(n.raw.node) ?? 0, allRaw));
  const report: AuditReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'redis-leak-auditor', version: input.toolVersion },
    target: input.target,
    generatedAt: new Date(input.nowMs).toISOString(),
    status: latest.nodes.length === 0 ? 'failed'
      : input.failedNodes.length > 0 || (input.interruptedNodes?.length ?? 0) > 0 || latest.nodes.some((n) => n.raw.incomplete === true) ? 'partial' : 'ok',
    policy,
    nodes: [...latestReports, ...input.failedNodes.map((f) => failedNodeReport(f))],
    summary: buildSummary(latest.nodes.map((n) => n.counters), views, analysis, window, allFindings, countSuspectedLeaks(allFindings)),
    ...boundedGroups(analysis, policy.listLimit, { libraries: nodesWithoutLibraries(latestReports).length === 0 }),
    topIdle: analysis?.topIdle ?? [],
    findings,
    ...(allFindings.length > findings.length ? { findingsOmitted: allFindings.length - findings.length } : {}),
    history: {
      source,
      samplesThisRun: summaries.length,
      samplesInState: previous.length,
      windowSeconds: window.windowSeconds,
      baselineResets: window.baselineResets,
      warnings: input.stateWarnings ?? [],
    },
    auditor: {
      method: auditorMethod(latest.nodes),
      clientListCommands: sum(allRaw.map((r) => r.collection?.clientListCommands ?? 0)),
      longestClientListMs: Math.max(0, ...allRaw.map((r) => r.collection?.longestClientListMs ?? 0)),
      listing: listingCost(allRaw, policy.maxStallMs),
      connectionsOpened: seenNodes.size,
      commandsSent: sum(allRaw.map((r) => r.cost.commandsSent)),
      bytesRead: sum(allRaw.map((r) => r.cost.bytesRead)),
      roundTripMs: Math.round(sum(allRaw.map((r) => r.cost.roundTripMs)) * 10) / 10,
      durationMs: Math.max(0, input.nowMs - input.startedAtMs),
      excludedConnections: analysis?.excluded.auditor ?? 0,
      excludedReplicationLinks: analysis?.excluded.replication ?? 0,
    },
  };
  // What the nodes without a client list could not show (CLIENT LIST refused or too slow).
  const limitations = [...clientListLimitations(report.nodes), ...libraryLimitations(report.nodes, analysis), ...overflowLimitations(analysis, allFindings.length - findings.length)];
  const resolved = withResolvedSources(report, input.resolvedSources ?? new Map());
  return { report: withLimitations(resolved, limitations), state: nextState(input.previousState, input.target, summaries, input.nowMs, input.collectionMemory ?? {}) };
}

/** This run's samples when there are two or more; otherwise the last run's sample against this one. */
function comparisonWindow(previous: readonly SampleSummary[], current: readonly SampleSummary[]): { window: CounterWindow; source: AuditReport['history']['source'] } {
  if (current.length >= 2) return { window: counterWindow(current), source: 'samples' };
  const last = previous[previous.length - 1];
  const now = current[0];
  if (last !== undefined && now !== undefined) return { window: counterWindow([last, now]), source: 'state' };
  return { window: { newConnectionsPerMinute: null, rejectedInWindow: null, windowSeconds: 0, baselineResets: 0 }, source: 'none' };
}


/**
 * Connections opened during the comparison window are the "young" ones that churn and leaks create:
 * the span of this run's samples, else the time since the last run's sample, else a minute.
 */
function youngWindowSeconds(samples: ReadonlyArray<ReadonlyArray<RawNodeSample>>, previous: readonly SampleSummary[]): number {
  const times = samples.flat().map((raw) => raw.takenAtMs);
  if (times.length === 0) return YOUNG_CONNECTION_SECONDS;
  const last = Math.max(...times);
  const first = samples.length >= 2 ? Math.min(...times) : previous[previous.length - 1]?.takenAtMs;
  if (first === undefined || last <= first) return YOUNG_CONNECTION_SECONDS;
  return Math.max(1, Math.round((last - first) / 1000));
}

/**
 * Parses one sample and analyses its clients in the same pass: each client goes into the analyser as its
 * line is read and is not kept, so memory stays bounded by the report's lists, not by the client count.
 */
/** The highest client id of a node when the comparison window started; undefined when unknown. */
type WindowStart = (node: string, runId: string | null) => number | undefined;

/** From the last run's collection memory, while the node is the same server process (ids restart with it). */
function lastRunMaxId(state: AuditState | null, node: string, runId: string | null): number | undefined {
  const memory = state?.collection?.[node];
  return memory !== undefined && runId !== null && memory.runId === runId ? memory.maxId : undefined;
}

function parseAndAnalyse(
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

function nodeReport(n: ParsedNode, samples: number, allRaw: readonly RawNodeSample[]): NodeReport {
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

function failedNodeReport(f: FailedNode): NodeReport {
  return {
    address: f.node, role: null, serverName: 'unknown', version: null, uptimeSeconds: null, run_id: null,
    connectedClients: null, maxClients: null, clientListAvailable: false, malformedClientListLines: 0, samples: 0,
    errors: [f.error],
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
