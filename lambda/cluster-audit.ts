// One audit of a Redis Cluster: the seed's connection lists the nodes (CLUSTER NODES), then one connection
// per other node it may contact (core/cluster-rules.ts: the seed's network or an allowed one, at most
// MAX_CLUSTER_NODES) is opened, CLUSTER_CONNECTIONS_AT_ONCE at a time (each bounded by its own timeouts).
// Every node is sampled by the same NodeSampler as a standalone server, which closes every connection
// whatever happened. A node that cannot be opened, fails while sampling or is not contacted is reported
// with its reason (a partial report); it never fails the whole run.
import { CLUSTER_CONNECTIONS_AT_ONCE } from './core/cluster-rules.js';
import { AuditError, asAuditError } from './core/errors.js';
import type { CollectionCost, RawNodeSample } from './core/model.js';
import { NODE_CONNECTIONS, type ConnectionBudget } from './connection-budget.js';
import { mapLimited } from './map-limited.js';
import { NodeSampler, type NodeRun, type OpenNode } from './node-sampler.js';
import { clusterAccess, discoverCluster, type ClusterMember, type ClusterTopology, type HostLookup } from './redis/cluster-topology.js';
import type { NodeCollector } from './redis/node-collector.js';
import type { RunAuditOptions, RunAuditResult } from './run-audit-options.js';
import { assessRun } from './run-assessment.js';

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
  readonly openNode?: OpenNode;
  /** Resolves a seed given by name, to place its network; the DNS by default. */
  readonly lookupHost?: HostLookup;
  /** Node connections this process may hold at once, shared by every cluster run. @default NODE_CONNECTIONS */
  readonly budget?: ConnectionBudget;
}

export async function runClusterAudit(input: ClusterAuditInput): Promise<RunAuditResult> {
  const { options, seed } = input;
  const sampler = new NodeSampler(options, input, input.startedAtMs);
  const seedRun = sampler.add(seed.node, seed);
  let topology: ClusterTopology | undefined;
  let unexpected: AuditError | null = null;
  try {
    const discovered = await discover(input);
    sampler.first(seedRun, discovered.first);
    if ('error' in discovered) {
      // The seed alone is still worth a report; the run is partial because the other nodes are unknown.
      await sampler.sampleRounds(1);
      unexpected = discovered.error;
    } else {
      topology = discovered.topology;
      seedRun.label = topology.seedLabel;
      for (const { label, reason } of topology.skipped) sampler.failedNodes.push({ node: label, error: reason, refusedMaxClients: false });
      const others = topology.members.map((m) => sampler.add(m.label));
      await openOthers(input, sampler, topology.members, others);
      // The seed's first sample is taken; the others take theirs now, into the same round.
      await sampler.sampleRound(0, others);
      await sampler.sampleRounds(1);
    }
  } catch (err) {
    unexpected = asAuditError(err);
  } finally {
    await sampler.close();
  }
  if (topology === undefined) return assessRun(sampler, unexpected, [seed.node]);
  const interrupted = sampler.interrupted();
  return assessRun(sampler, unexpected ?? notFullyAudited(sampler, topology, interrupted), interrupted);
}

type Discovery = { readonly first: RawNodeSample; readonly topology: ClusterTopology } | { readonly first: RawNodeSample; readonly error: AuditError };

/** The nodes the seed announces and may be contacted, with the seed's first sample carrying what listing them found and cost. */
async function discover(input: ClusterAuditInput): Promise<Discovery> {
  const { options, seed, firstSample: first } = input;
  try {
    const { access, errors } = await clusterAccess(options.target, options.clusterAllow, options.connectTimeoutMs, input.lookupHost);
    const { topology, cost } = await discoverCluster(seed, options.target, access);
    return { topology, first: { ...first, node: topology.seedLabel, errors: [...first.errors, ...errors, ...topology.errors], cost: addCost(first.cost, cost) } };
  } catch (err) {
    const error = asAuditError(err);
    return { error, first: { ...first, errors: [...first.errors, `the other cluster nodes are unknown: ${error.message}`] } };
  }
}

/** Opens the other nodes, CLUSTER_CONNECTIONS_AT_ONCE at a time: a 500-node cluster opened at once is a burst of 500 handshakes and descriptors. */
async function openOthers(input: ClusterAuditInput, sampler: NodeSampler, members: readonly ClusterMember[], runs: readonly NodeRun[]): Promise<void> {
  const budget = input.budget ?? NODE_CONNECTIONS;
  await mapLimited(members.map((m, i) => ({ m, run: runs[i] })), CLUSTER_CONNECTIONS_AT_ONCE, async ({ m, run }) => {
    if (run === undefined) return;
    try {
      sampler.beforeContact(m.label);
      if (!budget.tryAcquire()) {
        throw new AuditError(`${m.label} was not contacted: this process already holds ${budget.limit} node connections (other clusters audited at the same time)`);
      }
      run.release = () => budget.release();
      await sampler.connect(run, m.target, input.openNode);
    } catch (err) {
      sampler.stop(run, err);
    }
  });
}

/** The run's error when some nodes were not fully audited: how many of how many, and the first reason. */
function notFullyAudited(sampler: NodeSampler, topology: ClusterTopology, interrupted: readonly string[]): AuditError | null {
  const { failedNodes, runs } = sampler;
  /** Nodes not audited beyond one per skipped entry: the last entry may stand for many. */
  const countedOnce = topology.skipped.reduce((sum, { count = 1 }) => sum + count - 1, 0);
  const notAudited = failedNodes.length + countedOnce + interrupted.length;
  if (notAudited === 0) return null;
  const known = new Set([...runs.map((run) => run.label), ...failedNodes.map((f) => f.node)]).size + countedOnce;
  const failed = failedNodes[0];
  const stopped = runs.find((run) => run.error !== null);
  const first = failed !== undefined ? `${failed.node}: ${failed.error}` : stopped?.error ? `${stopped.label}: ${stopped.error.message}` : 'unknown';
  return new AuditError(`${notAudited} of ${known} cluster nodes were not fully audited (${first})`);
}

function addCost(a: CollectionCost, b: CollectionCost): CollectionCost {
  return {
    commandsSent: a.commandsSent + b.commandsSent,
    bytesRead: a.bytesRead + b.bytesRead,
    roundTripMs: Math.round((a.roundTripMs + b.roundTripMs) * 1000) / 1000,
  };
}
