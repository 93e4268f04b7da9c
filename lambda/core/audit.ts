// The pipeline's pure middle: raw samples in, report and next state out. The CLI and the Lambda both
// call this after collecting; neither decides anything about leaks itself, and nothing reopens the report
// it returns to decide again (a serverless cache's CloudWatch metrics are one of its inputs).
import { auditorFootprint } from './auditor-footprint.js';
import type { ClientAnalysis } from './analyse-clients.js';
import { clientListLimitations } from './client-list-limitations.js';
import type { CollectionMemory } from './collection-memory.js';
import { withResolvedSources } from './enrich-report.js';
import { mergeFindings, runChecks, type Finding, type NodeView } from './findings/index.js';
import { counterWindow, growthOfWorkloads, summariseSample, type CounterWindow, type SampleSummary } from './history.js';
import type { AuditPolicy, RawNodeSample } from './model.js';
import { failedNodeReport, nodeReport, type FailedNode } from './node-reports.js';
import { parseInfo, readCounters } from './parse-info.js';
import { boundedGroups, countSuspectedLeaks, REPORT_SCHEMA_VERSION, type AuditReport } from './report.js';
import { lastRunMaxId, parseAndAnalyse, youngWindowSeconds, type ParsedNode, type WindowStart } from './sample-analysis.js';
import { assessServiceMetrics, summaryWithServiceMetrics, type ServiceMetricsEvidence } from './service-metrics.js';
import { nextState, type AuditState } from './state.js';
import { buildSummary } from './summary.js';
import { libraryLimitations, MAX_FINDINGS, nodesWithoutLibraries, overflowLimitations } from './workload-limitations.js';
import type { Workload } from './workloads.js';

export type { FailedNode } from './node-reports.js';

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
  /**
   * A serverless cache's own CloudWatch connection metrics (ElastiCache Serverless refuses CLIENT LIST), or why
   * they could not be read: churn and growth from the series, the summary numbers INFO did not give, the
   * `serviceMetrics` section and what they cannot tell. Ignored when nothing was read from the cache. @default none
   */
  readonly serviceMetrics?: ServiceMetricsEvidence;
}

export interface AuditOutcome {
  readonly report: AuditReport;
  readonly state: AuditState;
}

export function assessAudit(input: AuditInput): AuditOutcome {
  const { policy } = input;
  const previous = input.previousState?.samples ?? [];
  const { summaries, latest, analysis, stoppedEarly, sampleCounts, connectionsOpened } = readSamples(input, previous);
  const { window, source } = comparisonWindow(previous, summaries);
  const growth = growthOfWorkloads([...previous, ...summaries], policy.minGrowthConnections, policy.minGroupConnections);
  const views = nodeViews(latest, input.failedNodes);
  const fromInfo = runChecks({ policy, analysis, nodes: views, window, growth });
  const counters = latest.map((n) => n.counters);
  const summaryOf = (all: readonly Finding[]) => buildSummary(counters, views, analysis, window, all, countSuspectedLeaks(all));
  // A failed audit (nothing read from the cache) ignores the evidence: its errors are what matters then.
  // The series' growth is projected to the summary's maxclients (INFO's or CONFIG's, summed over the nodes).
  const service = input.serviceMetrics === undefined || latest.length === 0 ? null
    : assessServiceMetrics(input.serviceMetrics, { policy, findings: fromInfo, maxClients: summaryOf(fromInfo).maxClients });
  const allFindings = service === null ? fromInfo : mergeFindings(fromInfo, service.findings);
  // Most severe and largest first: the report keeps the head, the summary still counts them all.
  const findings = allFindings.slice(0, MAX_FINDINGS);
  const allRaw = input.samples.flat();
  const latestReports = [...latest, ...stoppedEarly].map((n) => nodeReport(n, sampleCounts.get(n.raw.node) ?? 0, allRaw));
  const nodes = [...latestReports, ...input.failedNodes.map((f) => failedNodeReport(f))];
  const summary = summaryOf(allFindings);

  const report: AuditReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'redis-leak-auditor', version: input.toolVersion },
    target: input.target,
    generatedAt: new Date(input.nowMs).toISOString(),
    status: latest.length === 0 ? 'failed'
      : input.failedNodes.length > 0 || (input.interruptedNodes?.length ?? 0) > 0 || latest.some((n) => n.raw.incomplete === true) ? 'partial' : 'ok',
    policy,
    nodes,
    summary: service === null ? summary : summaryWithServiceMetrics(summary, service),
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
    auditor: auditorFootprint({
      latest, allRaw, maxStallMs: policy.maxStallMs, connectionsOpened, durationMs: input.nowMs - input.startedAtMs, analysis,
    }),
  };
  const limitations = [...new Set([
    // What the nodes without a client list could not show (CLIENT LIST refused or too slow).
    ...clientListLimitations(nodes, { serverless: service !== null }),
    ...libraryLimitations(nodes, analysis),
    ...overflowLimitations(analysis, allFindings.length - findings.length),
    ...(service?.limitations ?? []),
  ])];
  const resolved = withResolvedSources(report, input.resolvedSources ?? new Map());
  return {
    report: { ...resolved, ...(service === null ? {} : { serviceMetrics: service.section }), ...(limitations.length > 0 ? { limitations } : {}) },
    state: nextState(input.previousState, input.target, summaries, input.nowMs, input.collectionMemory ?? {}),
  };
}

interface SamplesRead {
  /** One summary per sample, oldest first (what the state keeps). */
  readonly summaries: SampleSummary[];
  /** The nodes of the last sample, and the analysis of its clients. */
  readonly latest: ParsedNode[];
  readonly analysis: ClientAnalysis | null;
  /** Sampled earlier in this run but missing from the last sample (several nodes: one stopped early). */
  readonly stoppedEarly: ParsedNode[];
  readonly sampleCounts: ReadonlyMap<string, number>;
  /** Nodes the run read from: one connection each. */
  readonly connectionsOpened: number;
}

function readSamples(input: AuditInput, previous: readonly SampleSummary[]): SamplesRead {
  const seenNodes = new Set<string>();
  const summaries: SampleSummary[] = [];
  let latest: { nodes: ParsedNode[]; analysis: ClientAnalysis | null } = { nodes: [], analysis: null };
  const sampleCounts = new Map<string, number>();
  /** Each node's last parsed sample: a node whose sampling stopped early is reported from it. */
  const lastOfNode = new Map<string, ParsedNode>();
  const youngSeconds = youngWindowSeconds(input.samples, previous);
  // The highest client id per node when the window started: this run's first sample, else the last run's.
  let windowStart: WindowStart = (node, runId) => lastRunMaxId(input.previousState, node, runId);
  for (const [index, sample] of input.samples.entries()) {
    const { nodes, analysis, maxIds } = parseAndAnalyse(sample, input.policy, youngSeconds, input.resolvedSources, windowStart);
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
  const stoppedEarly = [...lastOfNode.values()].filter((n) => !inLatest.has(n.raw.node));
  return { summaries, latest: latest.nodes, analysis: latest.analysis, stoppedEarly, sampleCounts, connectionsOpened: seenNodes.size };
}

/** What the checks see of each node: the last sample's, and the nodes that could not be read at all. */
function nodeViews(latest: readonly ParsedNode[], failedNodes: readonly FailedNode[]): NodeView[] {
  return [
    ...latest.map((n): NodeView => ({
      node: n.raw.node,
      counters: n.counters,
      config: n.config,
      clientListAvailable: n.clientList !== null,
      refusedMaxClients: false,
      failed: false,
    })),
    ...failedNodes.map((f): NodeView => ({
      node: f.node,
      counters: readCounters(parseInfo('')),
      config: { timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null },
      clientListAvailable: false,
      refusedMaxClients: f.refusedMaxClients,
      failed: true,
    })),
  ];
}

/** This run's samples when there are two or more; otherwise the last run's sample against this one. */
function comparisonWindow(previous: readonly SampleSummary[], current: readonly SampleSummary[]): { window: CounterWindow; source: AuditReport['history']['source'] } {
  if (current.length >= 2) return { window: counterWindow(current), source: 'samples' };
  const last = previous[previous.length - 1];
  const now = current[0];
  if (last !== undefined && now !== undefined) return { window: counterWindow([last, now]), source: 'state' };
  return { window: { newConnectionsPerMinute: null, rejectedInWindow: null, windowSeconds: 0, baselineResets: 0 }, source: 'none' };
}
