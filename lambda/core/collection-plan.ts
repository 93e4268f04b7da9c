// How to read a node's clients without stalling it. A plain CLIENT LIST formats every client in one
// command on Redis's main thread (about 11 ms at 15k clients). `CLIENT LIST ID id...` (Redis 6.2+) looks up
// only the ids given, so the list can be read in bounded batches, one command after another, with other
// clients served in between. Ids are known from the previous sample; connections opened since then have
// ids above the previous maximum (ids only grow), at most as many as total_connections_received grew.
import type { ServerCounters } from './model.js';

/** What the previous sample of a node left for planning the next one. */
export interface CollectionMemory {
  readonly runId: string;
  readonly totalConnectionsReceived: number;
  /** The highest client id seen. */
  readonly maxId: number;
  /** Ids of the clients listed, ascending. */
  readonly ids: readonly number[];
}

export type ClientListPlan =
  | { readonly method: 'client-list'; readonly reason: string }
  | { readonly method: 'client-list-by-id'; readonly reason: string; readonly batches: readonly (readonly number[])[] };

export interface PlanOptions {
  /** Ids per `CLIENT LIST ID` command: 15k clients take ~11 ms in one CLIENT LIST here, so 500 stay well under 2 ms. */
  readonly batchSize: number;
  /** At or below this many clients a plain CLIENT LIST costs under a millisecond: no need for batches. */
  readonly plainUpTo: number;
  /** More batches than this (a huge id range after heavy churn) would cost more than they save. */
  readonly maxBatches: number;
  /** Ids taken by clients that are not counted as received connections (Lua, modules, AOF): scanned beyond. */
  readonly idSlack: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { batchSize: 500, plainUpTo: 1000, maxBatches: 300, idSlack: 256 };

export function planClientList(memory: CollectionMemory | null, counters: ServerCounters, options: PlanOptions = DEFAULT_PLAN_OPTIONS): ClientListPlan {
  const connected = counters.connectedClients;
  const received = counters.totalConnectionsReceived;
  if (connected !== null && connected <= options.plainUpTo) return { method: 'client-list', reason: `${connected} clients: one CLIENT LIST is cheap` };
  if (received === null) return { method: 'client-list', reason: 'INFO has no total_connections_received' };
  if (memory !== null && memory.runId === counters.runId && received < memory.totalConnectionsReceived) {
    // CONFIG RESETSTAT zeroed the counter: how many ids were handed out since is unknown.
    return { method: 'client-list', reason: 'the server\'s stats were reset since the last sample' };
  }
  const continues = memory !== null && memory.runId === counters.runId;
  // Without a usable memory, every id from 1 up to what the server can have handed out is scanned.
  const known = continues ? memory.ids : [];
  const from = continues ? memory.maxId + 1 : 1;
  const to = continues ? memory.maxId + (received - memory.totalConnectionsReceived) + options.idSlack : received + options.idSlack;
  const total = known.length + Math.max(0, to - from + 1);
  const batchCount = Math.ceil(total / options.batchSize);
  if (batchCount > options.maxBatches) {
    return { method: 'client-list', reason: `${total} ids to look up would take ${batchCount} commands` };
  }
  const batches: number[][] = [];
  let batch: number[] = [];
  const push = (id: number) => {
    batch.push(id);
    if (batch.length === options.batchSize) {
      batches.push(batch);
      batch = [];
    }
  };
  for (const id of known) if (id < from) push(id);
  for (let id = from; id <= to; id += 1) push(id);
  if (batch.length > 0) batches.push(batch);
  return {
    method: 'client-list-by-id',
    reason: continues ? `${known.length} known ids and ${Math.max(0, to - from + 1)} new` : `ids 1 to ${to}`,
    batches,
  };
}

/**
 * The ids of a CLIENT LIST reply, read without parsing the lines (`id=` opens every line), for planning the
 * next sample. Null when the counters cannot anchor it.
 */
export function rememberClients(clientListText: string, counters: ServerCounters): CollectionMemory | null {
  if (counters.runId === null || counters.totalConnectionsReceived === null) return null;
  const ids: number[] = [];
  let at = 0;
  while (at < clientListText.length) {
    let end = clientListText.indexOf('\n', at);
    if (end < 0) end = clientListText.length;
    if (clientListText.startsWith('id=', at)) {
      const id = Number.parseInt(clientListText.slice(at + 3, Math.min(end, at + 24)), 10);
      if (Number.isSafeInteger(id) && id > 0) ids.push(id);
    }
    at = end + 1;
  }
  ids.sort((a, b) => a - b);
  return { runId: counters.runId, totalConnectionsReceived: counters.totalConnectionsReceived, maxId: ids[ids.length - 1] ?? 0, ids };
}

/** Ids for the state file: ascending, delta-encoded in base 36, about 2-3 characters an id. */
export function encodeIds(ids: readonly number[]): string {
  let previous = 0;
  return ids.map((id) => {
    const delta = (id - previous).toString(36);
    previous = id;
    return delta;
  }).join(',');
}

export function decodeIds(text: string): number[] | null {
  if (text === '') return [];
  const ids: number[] = [];
  let previous = 0;
  for (const part of text.split(',')) {
    const delta = Number.parseInt(part, 36);
    if (!/^[0-9a-z]+$/.test(part) || !Number.isSafeInteger(delta)) return null;
    previous += delta;
    ids.push(previous);
  }
  return ids;
}
