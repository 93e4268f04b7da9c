// One audit of a Redis Cluster: the seed's connection lists the nodes (CLUSTER NODES), then one connection
// per other node it may contact (core/cluster-rules.ts: the seed's network or an allowed one, at most
// MAX_CLUSTER_NODES) is opened, CLUSTER_CONNECTIONS_AT_ONCE at a time (each bounded by its own timeouts),
// every sample is taken on the nodes with the same bound, and every connection is closed whatever happened.
// A node that cannot be opened, fails while sampling or is not contacted is reported with its reason (a
// partial report); it never fails the whole run.
import { guarded, type AuditProgress } from './audit-progress.js';
import { collectorOptionsFor, type NodeCollectorOptions } from './collector-options.js';
import { assessAudit, type FailedNode } from './core/audit.js';
import { CLUSTER_CONNECTIONS_AT_ONCE } from './core/cluster-rules.js';
import type { CollectionMemory } from './core/collection-memory.js';
import { AuditError, DeadlineReachedError, MaxClientsReachedError } from './core/errors.js';
import type { CollectionCost, RawNodeSample } from './core/model.js';
import { NODE_CONNECTIONS, type ConnectionBudget } from './connection-budget.js';
import { mapLimited } from './map-limited.js';
import { clusterAccess, discoverCluster, type ClusterTopology, type HostLookup } from './redis/cluster-topology.js';
import { NodeCollector } from './redis/node-collector.js';
import type { RedisTarget } from './redis/target-url.js';
import type { RunAuditOptions, RunAuditResult } from './run-audit.js';
import { resolvedSourcesOf } from './resolve-sources.js';

export interface ClusterAuditInput {
  readonly options: RunAuditOptions;
  /** The seed's collector, already open; this function owns it from now on and closes it. */
  readonly seed: NodeCollector;
  /** The seed's first sample (its INFO said cluster mode). */
  readonly firstSample: RawNodeSample;
  readonly startedAtMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Opens one node's collector; NodeCollector.open by default (tests count and place the attempts). */
  readonly openNode?: (target: RedisTarget, options: RunAuditOptions, collector: NodeCollectorOptions) => Promise<NodeCollector>;
  /** Resolves a seed given by name, to place its network; the DNS by default. */
  readonly lookupHost?: HostLookup;
  /** Node connections this process may hold at once, shared by every cluster run. @default NODE_CONNECTIONS */
  readonly budget?: ConnectionBudget;
}

/** One node of the run: its collector while it is sampled, and where its samples are. */
interface NodeRun {
  /** The seed's is renamed from its URL's `host:port` to its announced address once the cluster is listed. */
  label: string;
  collector: NodeCollector | null;
  /** Index in `rounds` of this node's last sample; -1 before the first. */
  lastRound: number;
  error: AuditError | null;
  /** This node holds a connection of the process's budget (released when it is closed). */
  budgeted?: boolean;
}

export async function runClusterAudit(input: ClusterAuditInput): Promise<RunAuditResult> {
  const { options, seed } = input;
  const budget = input.budget ?? NODE_CONNECTIONS;
  const rounds: RawNodeSample[][] = [];
  const failedNodes: FailedNode[] = [];
  const runs: NodeRun[] = [];
  let unexpected: AuditError | null = null;
  /** Nodes not audited beyond one per failed node: a skipped entry may stand for many. */
  let countedOnce = 0;

  const stop = (run: NodeRun, error: AuditError): void => {
    run.error = error;
    void run.collector?.close(); // free the node now; the finally below awaits the same close
    if (run.lastRound < 0) {
      failedNodes.push({ node: run.label, error: error.message, refusedMaxClients: error instanceof MaxClientsReachedError });
      return;
    }
    // Keep what was read before the failure and say why sampling stopped.
    const round = rounds[run.lastRound] ?? [];
    const at = round.findIndex((raw) => raw.node === run.label);
    const last = round[at];
    if (last !== undefined) round[at] = { ...last, errors: [...last.errors, `sampling stopped early: ${error.message}`] };
  };

  const seedRun: NodeRun = { label: seed.node, collector: seed, lastRound: 0, error: null };
  runs.push(seedRun);
  try {
    let topology: ClusterTopology;
    let first = input.firstSample;
    try {
      const { access, errors } = await clusterAccess(options.target, options.clusterAllow, options.connectTimeoutMs, input.lookupHost);
      const discovered = await discoverCluster(seed, options.target, access);
      topology = discovered.topology;
      first = { ...first, errors: [...first.errors, ...errors, ...topology.errors], cost: addCost(first.cost, discovered.cost) };
    } catch (err) {
      // The seed alone is still worth a report; the run is partial because the other nodes are unknown.
      const error = asAuditError(err);
      rounds.push([{ ...first, errors: [...first.errors, `the other cluster nodes are unknown: ${error.message}`] }]);
      await sampleRounds(input, rounds, [seedRun], 1, stop);
      return finish(input, rounds, failedNodes, runs, [seed.node], error);
    }
    seedRun.label = topology.seedLabel;
    rounds.push([{ ...first, node: topology.seedLabel }]);
    for (const { label, reason, count = 1 } of topology.skipped) {
      failedNodes.push({ node: label, error: reason, refusedMaxClients: false });
      countedOnce += count - 1;
    }

    const open = input.openNode ?? ((target, opts, collector) => NodeCollector.open(target, opts, collector));
    const others = topology.members.map((m): NodeRun => ({ label: m.label, collector: null, lastRound: -1, error: null }));
    runs.push(...others);
    // Bounded: a 500-node cluster opened all at once is a burst of 500 handshakes and descriptors.
    await mapLimited(topology.members.map((m, i) => ({ m, run: others[i] })), CLUSTER_CONNECTIONS_AT_ONCE, async ({ m, run }) => {
      if (run === undefined) return;
      try {
        // Nodes still waiting for a slot when the deadline comes are not contacted at all.
        if (timeLeft(input) <= 0) throw new DeadlineReachedError(`the audit deadline was reached before ${m.label} was contacted`);
        if (!budget.tryAcquire()) {
          throw new AuditError(`${m.label} was not contacted: this process already holds ${budget.limit} node connections (other clusters audited at the same time)`);
        }
        run.budgeted = true;
        const connectTimeoutMs = Math.max(1, Math.min(options.connectTimeoutMs, timeLeft(input)));
        run.collector = await open(m.target, { ...options, connectTimeoutMs }, collectorOptionsFor(options, m.label, guarded(options.onProgress)));
      } catch (err) {
        stop(run, asAuditError(err));
      }
    });
    // The seed's first sample is taken; the others take theirs now, into the same round.
    await sampleRound(input, rounds, 0, others, stop);
    await sampleRounds(input, rounds, runs, 1, stop);
  } catch (err) {
    unexpected = asAuditError(err);
  } finally {
    await Promise.all(runs.map(async (run) => {
      await run.collector?.close();
      if (run.budgeted === true) budget.release();
      run.budgeted = false;
    }));
  }
  const interrupted = runs.filter((run) => run.error !== null && run.lastRound >= 0).map((run) => run.label);
  return finish(input, rounds, failedNodes, runs, interrupted, unexpected, countedOnce);
}

/** Rounds `from` .. samples-1 on every node still sampling, `intervalMs` apart. */
async function sampleRounds(input: ClusterAuditInput, rounds: RawNodeSample[][], runs: readonly NodeRun[], from: number, stop: (run: NodeRun, error: AuditError) => void): Promise<void> {
  for (let i = from; i < input.options.samples; i += 1) {
    const active = runs.filter((run) => run.collector !== null && run.error === null);
    if (active.length === 0) return;
    if (timeLeft(input) <= input.options.intervalMs) {
      for (const run of active) stop(run, new DeadlineReachedError(`the audit deadline was reached after ${i} of ${input.options.samples} samples`));
      return;
    }
    tell(input, { kind: 'waiting', sample: i + 1, of: input.options.samples, nextInMs: input.options.intervalMs });
    await input.sleep(input.options.intervalMs);
    rounds.push([]);
    await sampleRound(input, rounds, rounds.length - 1, active, stop);
  }
}

/** One sample on each given node, CLUSTER_CONNECTIONS_AT_ONCE at a time, into `rounds[index]`; a node that fails is stopped. */
async function sampleRound(input: ClusterAuditInput, rounds: RawNodeSample[][], index: number, runs: readonly NodeRun[], stop: (run: NodeRun, error: AuditError) => void): Promise<void> {
  const active = runs.filter((run) => run.collector !== null && run.error === null);
  const { deadlineAtMs } = input.options;
  const results = await mapLimited(active, CLUSTER_CONNECTIONS_AT_ONCE, async (run) => {
    try {
      if (timeLeft(input) <= 0) throw new DeadlineReachedError('the audit deadline was reached before this node\'s sample');
      tell(input, { kind: 'sample', sample: index + 1, of: input.options.samples, node: run.label });
      return { ok: true as const, sample: await (run.collector as NodeCollector).sample(input.now, deadlineAtMs === undefined ? {} : { deadlineAtMs }) };
    } catch (err) {
      return { ok: false as const, err };
    }
  });
  // In the nodes' order, whatever order they answered in.
  const round = rounds[index] ?? [];
  results.forEach((result, i) => {
    const run = active[i];
    if (run === undefined) return;
    if (!result.ok) {
      stop(run, asAuditError(result.err));
      return;
    }
    round.push({ ...result.sample, node: run.label });
    run.lastRound = index;
  });
}

async function finish(
  input: ClusterAuditInput, rounds: RawNodeSample[][], failedNodes: readonly FailedNode[], runs: readonly NodeRun[],
  interruptedNodes: readonly string[], error: AuditError | null, countedOnce = 0,
): Promise<RunAuditResult> {
  const { options } = input;
  const collectionMemory: Record<string, CollectionMemory | null> = {};
  for (const run of runs) {
    if (run.collector === null || run.lastRound < 0) continue;
    collectionMemory[run.label] = run.collector.memory;
  }
  // The seed's first sample is planned before the run knows the seed's announced name, from the memory
  // kept under the URL's `host:port`: keep it there too (the plan checks run_id, so a configuration
  // endpoint that lands on another node next time only costs a plain listing).
  const seed = runs[0];
  if (seed?.collector && seed.lastRound >= 0 && seed.collector.node !== seed.label) collectionMemory[seed.collector.node] = seed.collector.memory;

  const notAudited = failedNodes.length + countedOnce + interruptedNodes.length;
  const known = new Set([...runs.map((run) => run.label), ...failedNodes.map((f) => f.node)]).size + countedOnce;
  const summary = error ?? (notAudited > 0
    ? new AuditError(`${notAudited} of ${known} cluster nodes were not fully audited (${firstError(failedNodes, runs)})`)
    : null);
  const sampled = rounds.filter((round) => round.length > 0);
  const outcome = assessAudit({
    target: options.target.display,
    resolvedSources: await resolvedSourcesOf(options.resolveSources, sampled[sampled.length - 1]),
    samples: sampled,
    failedNodes,
    interruptedNodes,
    previousState: options.previousState,
    stateWarnings: options.stateWarnings ?? [],
    policy: options.policy,
    startedAtMs: input.startedAtMs,
    nowMs: input.now(),
    toolVersion: options.toolVersion,
    collectionMemory,
  });
  return { ...outcome, error: summary };
}

function firstError(failedNodes: readonly FailedNode[], runs: readonly NodeRun[]): string {
  const failed = failedNodes[0];
  if (failed !== undefined) return `${failed.node}: ${failed.error}`;
  const run = runs.find((r) => r.error !== null);
  return run?.error ? `${run.label}: ${run.error.message}` : 'unknown';
}

/** Tells the run's progress listener, if any; what it throws is ignored. */
function tell(input: ClusterAuditInput, event: AuditProgress): void {
  guarded(input.options.onProgress)(event);
}

/** Milliseconds until the run's deadline (RunAuditOptions.deadlineAtMs); unbounded without one. */
function timeLeft(input: ClusterAuditInput): number {
  const { deadlineAtMs } = input.options;
  return deadlineAtMs === undefined ? Number.POSITIVE_INFINITY : deadlineAtMs - input.now();
}

function addCost(a: CollectionCost, b: CollectionCost): CollectionCost {
  return {
    commandsSent: a.commandsSent + b.commandsSent,
    bytesRead: a.bytesRead + b.bytesRead,
    roundTripMs: Math.round((a.roundTripMs + b.roundTripMs) * 1000) / 1000,
  };
}

/** Any failure as an AuditError; unexpected ones keep their cause but show only a generic line. */
export function asAuditError(err: unknown): AuditError {
  if (err instanceof AuditError) return err;
  // Their text may hold anything.
  return new AuditError(`the audit failed unexpectedly (${err instanceof Error ? err.name : typeof err})`, { cause: err });
}
