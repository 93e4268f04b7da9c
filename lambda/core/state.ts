// The history kept between runs (CLI --state-file, the Lambda's state object in S3): a bounded list of
// sample summaries. Read defensively: a damaged or foreign state file starts history afresh with a
// warning, it never stops the audit.
import { decodeIds, encodeIds, type CollectionMemory } from './collection-memory.js';
import { MAX_SAMPLES_IN_STATE, type NodeCounters, type SampleSummary } from './history.js';
import { isWorkloadCounts } from './workload-history.js';

export const STATE_SCHEMA_VERSION = 1;

export interface AuditState {
  readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
  /** The target's display form (no credentials): a state file of another target is not used. */
  readonly target: string;
  readonly updatedAt: string;
  readonly samples: readonly SampleSummary[];
  /** Per node: the client ids of the last sample, so the next run can list clients by id (ids delta-encoded). */
  readonly collection?: Readonly<Record<string, StoredCollectionMemory>>;
  /** Free space for the delivery edges (e.g. notification fingerprints), kept as it is. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Per node: the client ids reclaiming closed (issue 19), never selected again while the server runs. */
  readonly reclaimed?: Readonly<Record<string, StoredReclaimed>>;
}

/**
 * Ids closed on one node, with the server's run_id: client ids restart at 1 when the server restarts, so the
 * memory holds only for the run it was made in. The newest MAX_RECLAIMED_IDS are kept (a killed connection is
 * gone from the next listing anyway; the memory guards the one that lingers, e.g. while its output drains).
 */
export interface StoredReclaimed {
  readonly runId: string;
  readonly ids: string;
}

export const MAX_RECLAIMED_IDS = 10_000;

/** The ids reclaimed on `node` during this server run (`runId`); none when unknown or of another run. */
export function reclaimedIdsOf(state: AuditState | null, node: string, runId: string | null): number[] {
  const stored = state?.reclaimed?.[node];
  if (stored === undefined || runId === null || stored.runId !== runId) return [];
  return decodeIds(stored.ids) ?? [];
}

/** The state with `ids` added to the node's memory (a memory of another server run is replaced). */
export function withReclaimedIds(state: AuditState, node: string, runId: string | null, ids: readonly number[]): AuditState {
  if (ids.length === 0 || runId === null) return state;
  const known = reclaimedIdsOf(state, node, runId);
  const all = [...new Set([...known, ...ids])].sort((a, b) => a - b).slice(-MAX_RECLAIMED_IDS);
  return { ...state, reclaimed: { ...(state.reclaimed ?? {}), [node]: { runId, ids: encodeIds(all) } } };
}

export interface StoredCollectionMemory {
  readonly runId: string;
  readonly totalConnectionsReceived: number;
  readonly maxId: number;
  readonly ids: string;
  /** Ids below this one are still to scan (a first scan cut short); absent when none are. */
  readonly unscannedBelow?: number;
}

export function storeMemory(memory: CollectionMemory): StoredCollectionMemory {
  return {
    runId: memory.runId, totalConnectionsReceived: memory.totalConnectionsReceived, maxId: memory.maxId, ids: encodeIds(memory.ids),
    ...((memory.unscannedBelow ?? 1) > 1 ? { unscannedBelow: memory.unscannedBelow } : {}),
  };
}

/** The memory of a node from the state; null when absent or damaged (the next listing is then plain or a full id scan). */
export function memoryOf(state: AuditState | null, node: string): CollectionMemory | null {
  const stored = state?.collection?.[node];
  if (stored === undefined) return null;
  const ids = decodeIds(stored.ids);
  if (ids === null) return null;
  const below = stored.unscannedBelow;
  return {
    runId: stored.runId, totalConnectionsReceived: stored.totalConnectionsReceived, maxId: stored.maxId, ids,
    ...(typeof below === 'number' && Number.isSafeInteger(below) && below > 1 ? { unscannedBelow: below } : {}),
  };
}

export interface RestoredState {
  readonly state: AuditState | null;
  /** Why the state was not used, when it was not. */
  readonly warning: string | null;
}

export function restoreState(text: string | null, target: string): RestoredState {
  if (text === null || text.trim() === '') return { state: null, warning: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { state: null, warning: 'the state is not valid JSON; history starts again from this run' };
  }
  if (!isRecord(value) || value.schemaVersion !== STATE_SCHEMA_VERSION || !Array.isArray(value.samples)) {
    return { state: null, warning: `the state is not a schemaVersion ${STATE_SCHEMA_VERSION} state; history starts again from this run` };
  }
  if (value.target !== target) {
    return { state: null, warning: 'the state belongs to another target; history starts again from this run' };
  }
  const samples = value.samples.filter(isSampleSummary);
  const dropped = value.samples.length - samples.length;
  return {
    state: {
      schemaVersion: STATE_SCHEMA_VERSION,
      target,
      updatedAt: typeof value.updatedAt === 'string' ? value.updatedAt : '',
      samples: samples.sort((a, b) => a.takenAtMs - b.takenAtMs),
      ...(isRecord(value.collection) ? { collection: validCollection(value.collection) } : {}),
      ...(isRecord(value.extensions) ? { extensions: value.extensions } : {}),
      ...(isRecord(value.reclaimed) ? { reclaimed: validReclaimed(value.reclaimed) } : {}),
    },
    warning: dropped > 0 ? `${dropped} damaged samples in the state were ignored` : null,
  };
}

export function nextState(
  previous: AuditState | null,
  target: string,
  newSamples: readonly SampleSummary[],
  nowMs: number,
  memories: Readonly<Record<string, CollectionMemory | null>> = {},
): AuditState {
  const samples = [...(previous?.samples ?? []), ...newSamples].slice(-MAX_SAMPLES_IN_STATE);
  const collection: Record<string, StoredCollectionMemory> = { ...(previous?.collection ?? {}) };
  for (const [node, memory] of Object.entries(memories)) {
    if (memory === null) delete collection[node];
    else collection[node] = storeMemory(memory);
  }
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    target,
    updatedAt: new Date(nowMs).toISOString(),
    samples,
    ...(Object.keys(collection).length > 0 ? { collection } : {}),
    ...(previous?.extensions ? { extensions: previous.extensions } : {}),
    ...(previous?.reclaimed ? { reclaimed: previous.reclaimed } : {}),
  };
}

function validReclaimed(value: Record<string, unknown>): Record<string, StoredReclaimed> {
  const valid: Record<string, StoredReclaimed> = {};
  for (const [node, entry] of Object.entries(value)) {
    if (isRecord(entry) && typeof entry.runId === 'string' && typeof entry.ids === 'string' && decodeIds(entry.ids) !== null) {
      valid[node] = { runId: entry.runId, ids: entry.ids };
    }
  }
  return valid;
}

function validCollection(value: Record<string, unknown>): Record<string, StoredCollectionMemory> {
  const valid: Record<string, StoredCollectionMemory> = {};
  for (const [node, entry] of Object.entries(value)) {
    if (isRecord(entry) && typeof entry.runId === 'string' && isFiniteNumber(entry.totalConnectionsReceived)
      && isFiniteNumber(entry.maxId) && typeof entry.ids === 'string') {
      valid[node] = {
        runId: entry.runId, totalConnectionsReceived: entry.totalConnectionsReceived, maxId: entry.maxId, ids: entry.ids,
        ...(isFiniteNumber(entry.unscannedBelow) && entry.unscannedBelow > 1 ? { unscannedBelow: entry.unscannedBelow } : {}),
      };
    }
  }
  return valid;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown): boolean => v === null || isFiniteNumber(v);

function isNodeCounters(value: unknown): value is NodeCounters {
  return isRecord(value)
    && typeof value.node === 'string'
    && isFiniteNumber(value.takenAtMs)
    && (value.runId === null || typeof value.runId === 'string')
    && isNumberOrNull(value.uptimeSeconds)
    && isNumberOrNull(value.totalConnectionsReceived)
    && isNumberOrNull(value.rejectedConnections)
    && isNumberOrNull(value.connectedClients)
    && isFiniteNumber(value.auditorConnects);
}

function isSampleSummary(value: unknown): value is SampleSummary {
  return isRecord(value)
    && isFiniteNumber(value.takenAtMs)
    && Array.isArray(value.nodes) && value.nodes.every(isNodeCounters)
    && isRecord(value.sources) && Object.values(value.sources).every(isFiniteNumber)
    && typeof value.sourcesComplete === 'boolean'
    && (value.workloads === undefined || isWorkloadCounts(value.workloads));
}
