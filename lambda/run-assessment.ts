// The end of every run, standalone or cluster: with every connection closed, resolve the sources of the
// last sample (Lambda only), then hand everything the run gathered, the cache's service metrics included,
// to the core's assessment, which decides once.
import { assessAudit } from './core/audit.js';
import type { CollectionMemory } from './core/collection-memory.js';
import type { AuditError } from './core/errors.js';
import type { NodeSampler } from './node-sampler.js';
import { resolvedSourcesOf } from './resolve-sources.js';
import type { RunAuditResult } from './run-audit-options.js';

/** `error` is the run's result error; `interruptedNodes` are the nodes whose sampling stopped early (the run is partial). */
export async function assessRun(sampler: NodeSampler, error: AuditError | null, interruptedNodes: readonly string[]): Promise<RunAuditResult> {
  const { options } = sampler;
  const sampled = sampler.rounds.filter((round) => round.length > 0);
  const outcome = assessAudit({
    target: options.target.display,
    resolvedSources: await resolvedSourcesOf(options.resolveSources, sampled[sampled.length - 1]),
    samples: sampled,
    failedNodes: sampler.failedNodes,
    interruptedNodes,
    previousState: options.previousState,
    stateWarnings: options.stateWarnings ?? [],
    policy: options.policy,
    startedAtMs: sampler.startedAtMs,
    nowMs: sampler.clock.now(),
    toolVersion: options.toolVersion,
    collectionMemory: collectionMemory(sampler),
    ...(options.serviceMetrics ? { serviceMetrics: options.serviceMetrics } : {}),
  });
  return { ...outcome, error, lastRound: sampled[sampled.length - 1] ?? [] };
}

/**
 * What each node's listing found this run, kept in the state for the next one: only nodes that gave a
 * sample (a node that failed keeps the previous run's memory).
 */
function collectionMemory(sampler: NodeSampler): Record<string, CollectionMemory | null> {
  const memory: Record<string, CollectionMemory | null> = {};
  for (const run of sampler.runs) {
    if (run.collector !== null && run.lastRound >= 0) memory[run.label] = run.collector.memory;
  }
  // A cluster's seed (the first node) is planned before the run knows its announced name, from the memory
  // kept under the URL's `host:port`: keep it there too (the plan checks run_id, so a configuration endpoint
  // that lands on another node next time only costs a plain listing).
  const seed = sampler.runs[0];
  if (seed?.collector && seed.lastRound >= 0 && seed.collector.node !== seed.label) memory[seed.collector.node] = seed.collector.memory;
  return memory;
}
