// What every NodeCollector of a run is opened with, in one place for the single-node and the cluster paths:
// the node's memory from the previous run, the policy's stall budget, and its listing progress.
import type { ProgressListener } from './audit-progress.js';
import type { CollectionMemory } from './core/collection-memory.js';
import { memoryOf } from './core/state.js';
import type { CollectorOptions } from './redis/node-collector.js';
import type { RunAuditOptions } from './run-audit-options.js';

/** CollectorOptions whose memory is always told (null: list as if the node were new). */
export type NodeCollectorOptions = CollectorOptions & { readonly memory: CollectionMemory | null };

/** `node` is the label the node's memory is kept under in the state (`host:port`). */
export function collectorOptionsFor(options: RunAuditOptions, node: string, progress: ProgressListener): NodeCollectorOptions {
  return {
    memory: memoryOf(options.previousState, node),
    stall: { maxStallMs: options.policy.maxStallMs, overBudget: options.policy.overBudget },
    onListing: (listing) => progress({ kind: 'listing', ...listing }),
  };
}
