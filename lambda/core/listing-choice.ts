// How to list a node's clients this sample, within the stall budget: one plain CLIENT LIST when it fits
// (few clients), else by id (core/id-scan.ts), else what the user chose for a listing that cannot fit
// (`overBudget`): nothing this sample (INFO alone, with the reason), or one plain CLIENT LIST anyway.
import type { CollectionMemory } from './collection-memory.js';
import { continues, DEFAULT_SCAN_OPTIONS, IdScan, type ScanOptions } from './id-scan.js';
import type { AuditPolicy, ServerCounters } from './model.js';
import { plainListingCostMs } from './stall-model.js';

export type StallPolicy = Pick<AuditPolicy, 'maxStallMs' | 'overBudget'>;

export type ListingChoice =
  | { readonly method: 'client-list'; readonly reason: string }
  | { readonly method: 'client-list-by-id'; readonly reason: string; readonly scan: IdScan }
  | { readonly method: 'none'; readonly reason: string };

export interface ListingInput {
  readonly memory: CollectionMemory | null;
  readonly counters: Pick<ServerCounters, 'runId' | 'connectedClients' | 'totalConnectionsReceived'>;
  /** Replicas are listed but not in connected_clients (INFO replication's connected_slaves). */
  readonly replicas: number;
  /** The auditor's own client id (HELLO), the newest id when it connected; null when unknown. */
  readonly selfId: number | null;
  readonly stall: StallPolicy;
  /** The server refused CLIENT LIST ID earlier (before Redis 6.2). */
  readonly byIdUnsupported?: boolean;
  /** `plain` forces one CLIENT LIST (the bench's comparison). @default 'auto' */
  readonly listing?: 'auto' | 'plain';
  readonly scanOptions?: Partial<Omit<ScanOptions, 'maxStallMs'>>;
}

function scanOptionsFor(stall: StallPolicy, overrides: Partial<Omit<ScanOptions, 'maxStallMs'>> = {}): ScanOptions {
  return { ...DEFAULT_SCAN_OPTIONS, ...overrides, maxStallMs: stall.maxStallMs };
}

export function chooseListing(input: ListingInput): ListingChoice {
  const options = scanOptionsFor(input.stall, input.scanOptions);
  const connected = input.counters.connectedClients;
  const received = input.counters.totalConnectionsReceived;
  const plainMs = plainListingCostMs(options.model, (connected ?? 0) + input.replicas);
  const plain = (reason: string) => ({ method: 'client-list' as const, reason });
  if (input.listing === 'plain') return plain('a plain CLIENT LIST was asked for');
  if (connected !== null && plainMs <= options.headroom * input.stall.maxStallMs) {
    return plain(`${connected} clients: one CLIENT LIST fits the ${input.stall.maxStallMs} ms stall budget`);
  }
  const overBudget = (why: string): ListingChoice => (input.stall.overBudget === 'list-all'
    ? plain(`${why}; listed them all at once, as --over-budget list-all allows (about ${formatMs(plainMs)} of server time)`)
    : { method: 'none', reason: `${why}, and one CLIENT LIST of ${connected ?? 'all'} clients would hold the server about ${formatMs(plainMs)}, over the ${input.stall.maxStallMs} ms stall budget: clients were not listed (--over-budget list-all lists them anyway)` });
  if (input.byIdUnsupported === true) return overBudget('this server cannot list clients by id (CLIENT LIST ID needs Redis 6.2)');
  if (received === null) return overBudget('INFO has no total_connections_received to tell which ids to look up');
  const memory = continues(input.memory, input.counters) ? input.memory : null;
  // The auditor's own id bounds the newest ids even when CONFIG RESETSTAT zeroed the counter.
  const anchor = input.selfId === null ? received : Math.max(received, input.selfId);
  const expected = connected === null ? null : connected + input.replicas;
  const scan = new IdScan(memory, memory === null ? anchor : received, expected, options, input.selfId);
  const reason = memory === null
    ? `no ids from an earlier sample: ids from ${anchor + options.idSlack} down, until the ${expected ?? '?'} clients INFO counted are found`
    : `${memory.ids.length} known ids, the ids handed out since${(memory.unscannedBelow ?? 1) > 1 ? `, and ids below ${memory.unscannedBelow} still to scan` : ''}`;
  if (input.stall.overBudget === 'list-all' && scan.idsToScan > options.maxCommands * typicalBatch(options)) {
    return plain(`${scan.idsToScan} ids to look up would take more than ${options.maxCommands} commands; listed them all at once, as --over-budget list-all allows`);
  }
  return { method: 'client-list-by-id', reason, scan };
}

/** Ids per command while many clients are left to find (the scan's shortest batches). */
function typicalBatch(options: ScanOptions): number {
  return Math.max(1, Math.floor((options.headroom * options.maxStallMs * 1000) / (options.model.perIdUs + options.model.perClientUs)));
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
