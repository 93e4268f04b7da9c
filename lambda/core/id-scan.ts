// Lists a node's clients by id without stalling it: `CLIENT LIST ID id...` in batches, each sized by the
// stall model (core/stall-model.ts) to fit a share of the stall budget. Ids only grow and are never reused
// while the server runs, so:
// - with the previous sample's memory, only the ids it found and the ids handed out since need looking up;
// - without it (a first run, a lost state), the scan starts at the newest ids and walks down, and stops as
//   soon as it has found as many clients older than the auditor's own connection as INFO counted: on a
//   long-lived server most of the millions of ids below are connections long closed, and need not be looked
//   up at all;
// - a scan that cannot finish within a sample's command allowance is remembered as far as it got (the ids
//   found, the stretch still to scan) and finished by the next samples or runs.
// No batch can cost more than the budget even if every id in it is a client, but no more clients can answer
// than INFO counted and the scan has not found yet: batches are short where clients may still be (known ids,
// a server with many clients left to find) and long once few can be left.
import type { CollectionMemory } from './collection-memory.js';
import type { ServerCounters } from './model.js';
import { commandCostMs, MEASURED_STALL_MODEL, type StallModel } from './stall-model.js';

export interface ScanOptions {
  readonly maxStallMs: number;
  readonly model: StallModel;
  /** Batches are planned to this share of the budget: the model's error fits in the rest. */
  readonly headroom: number;
  /** Bounds one command's size on the wire (about 14 bytes an id). */
  readonly maxIdsPerCommand: number;
  /**
   * Listing commands one sample may send; a longer scan goes on in the next sample or run. 50,000 cover a first
   * scan of 10,000,000 ids with 65,000 clients (about 21,000 commands); the audit's deadline bounds the time.
   */
  readonly maxCommands: number;
  /** Ids taken by clients that are not counted as received connections (Lua, modules, AOF): scanned beyond. */
  readonly idSlack: number;
}

export const DEFAULT_SCAN_OPTIONS: Omit<ScanOptions, 'maxStallMs'> = {
  model: MEASURED_STALL_MODEL,
  headroom: 0.75,
  maxIdsPerCommand: 20_000,
  maxCommands: 50_000,
  idSlack: 256,
};

/** One run of ids looked up in order: the known ids, or a range walked up or down. */
type Stretch =
  | { readonly kind: 'known'; readonly ids: readonly number[]; at: number }
  | { readonly kind: 'range'; readonly role: 'new' | 'old'; next: number; readonly end: number; readonly step: 1 | -1 };

export interface ScanProgress {
  readonly commands: number;
  readonly idsLookedUp: number;
  readonly listed: number;
  /** Server time so far and of the longest command, ms, by the stall model. */
  readonly estimatedServerMs: number;
  readonly estimatedLongestMs: number;
}

export class IdScan {
  private readonly stretches: Stretch[] = [];
  private readonly found: number[] = [];
  /** Clients found with an id up to the auditor's own: all of them were clients when INFO counted. */
  private foundBeforeSelf = 0;
  private readonly expected: number | null;
  private commands = 0;
  private idsLookedUp = 0;
  private estimatedServerMs = 0;
  private estimatedLongestMs = 0;
  private stoppedOnCount = false;
  private readonly top: number;
  private readonly previousMaxId: number;
  private readonly previousUnscannedBelow: number;
  private lowestOldScanned: number | null = null;
  private highestNewScanned: number | null = null;
  private current: { stretch: Stretch; ids: number[] } | null = null;
  /** How much slower than the model this server is (calibrate()); never below 1. */
  private speed = 1;
  /** The model's server time of the batches since the last calibration, ms, at the model's own speed. */
  private modelMsSinceCalibration = 0;

  /**
   * `memory` must belong to this server process (same run_id, counters not reset): see `continues`.
   * `expected`: clients INFO counted (connected_clients plus replicas), null when unknown.
   * `selfId`: the auditor's own id, which connected before INFO was read. A client with a lower id was
   * connected when INFO counted, so once as many of those are found as INFO counted, no older client is left
   * (a client that connected after INFO and is found must not count: it would stop the scan one old client
   * short). Null when unknown: every client found counts.
   */
  constructor(memory: CollectionMemory | null, received: number, expected: number | null, private readonly options: ScanOptions, private readonly selfId: number | null = null) {
    this.expected = expected;
    if (memory !== null) {
      const unscannedBelow = memory.unscannedBelow ?? 1;
      this.previousMaxId = memory.maxId;
      this.previousUnscannedBelow = unscannedBelow;
      this.top = memory.maxId + Math.max(0, received - memory.totalConnectionsReceived) + options.idSlack;
      if (memory.ids.length > 0) this.stretches.push({ kind: 'known', ids: memory.ids, at: 0 });
      if (this.top > memory.maxId) this.stretches.push({ kind: 'range', role: 'new', next: memory.maxId + 1, end: this.top, step: 1 });
      if (unscannedBelow > 1) this.stretches.push({ kind: 'range', role: 'old', next: unscannedBelow - 1, end: 1, step: -1 });
    } else {
      this.previousMaxId = 0;
      this.previousUnscannedBelow = 1;
      this.top = received + options.idSlack;
      this.stretches.push({ kind: 'range', role: 'old', next: this.top, end: 1, step: -1 });
    }
  }

  /** Ids a complete scan would look up at most (the count can stop it sooner). */
  get idsToScan(): number {
    return this.stretches.reduce((sum, s) => sum + (s.kind === 'known' ? s.ids.length - s.at : Math.abs(s.end - s.next) + 1), 0);
  }

  /** The ids of the next command, or null when the scan is done or out of commands. */
  next(): number[] | null {
    if (this.current !== null) throw new Error('IdScan.next() before the previous batch was recorded');
    if (this.commands >= this.options.maxCommands) return null;
    for (;;) {
      const stretch = this.stretches[0];
      if (stretch === undefined) return null;
      if (stretch.kind === 'range' && stretch.role === 'old' && this.expected !== null && this.foundBeforeSelf >= this.expected) {
        // INFO's count is reached: every id below is a connection that closed (see the header).
        this.stoppedOnCount = true;
        this.stretches.length = 0;
        return null;
      }
      const ids = this.take(stretch);
      if (ids.length > 0) {
        this.current = { stretch, ids };
        return ids;
      }
      this.stretches.shift();
    }
  }

  /** What the last batch found: the ids of the clients listed. */
  record(listedIds: readonly number[]): void {
    const batch = this.current;
    if (batch === null) throw new Error('IdScan.record() without a batch');
    this.current = null;
    const { stretch, ids } = batch;
    this.commands += 1;
    this.idsLookedUp += ids.length;
    for (const id of listedIds) {
      this.found.push(id);
      if (this.selfId === null || id <= this.selfId) this.foundBeforeSelf += 1;
    }
    const modelCost = commandCostMs(this.options.model, ids.length, listedIds.length);
    this.modelMsSinceCalibration += modelCost;
    const cost = modelCost * this.speed;
    this.estimatedServerMs += cost;
    this.estimatedLongestMs = Math.max(this.estimatedLongestMs, cost);
    if (stretch.kind === 'range') {
      const last = ids[ids.length - 1] ?? stretch.next;
      if (stretch.role === 'old') this.lowestOldScanned = Math.min(this.lowestOldScanned ?? last, last);
      else this.highestNewScanned = Math.max(this.highestNewScanned ?? last, last);
    }
  }

  /**
   * The server's own account of the batches since the last call: main-thread CPU time, ms (INFO cpu). The next
   * batches are sized for a server that much slower than the model, never faster (the CPU time includes other
   * clients' work, so a busy server gets shorter batches: the safe side). Returns the speed factor in use.
   */
  calibrate(serverCpuMs: number): number {
    const modelMs = this.modelMsSinceCalibration;
    this.modelMsSinceCalibration = 0;
    if (modelMs <= 0 || !Number.isFinite(serverCpuMs)) return this.speed;
    this.speed = Math.min(MAX_SPEED_FACTOR, Math.max(1, serverCpuMs / modelMs));
    return this.speed;
  }

  get speedFactor(): number {
    return this.speed;
  }

  /** The batch handed out was not sent (the deadline came first): it is looked up next time instead. */
  abandon(): void {
    const batch = this.current;
    if (batch === null) return;
    this.current = null;
    const { stretch, ids } = batch;
    if (stretch.kind === 'known') stretch.at -= ids.length;
    else stretch.next -= stretch.step * ids.length;
    if (!this.stretches.includes(stretch)) this.stretches.unshift(stretch);
  }

  /** True when every id that can hold a client was looked up (or INFO's count was reached). */
  get complete(): boolean {
    return this.current === null && (this.stoppedOnCount || this.stretches.every((s) => (s.kind === 'known' ? s.at >= s.ids.length : s.step === 1 ? s.next > s.end : s.next < s.end)));
  }

  get progress(): ScanProgress {
    return {
      commands: this.commands, idsLookedUp: this.idsLookedUp, listed: this.found.length,
      estimatedServerMs: round(this.estimatedServerMs), estimatedLongestMs: round(this.estimatedLongestMs),
    };
  }

  /**
   * What the next sample needs to go on: the ids found (and known ids not yet looked at again), the highest id
   * covered, and where the stretch still to scan starts. Null without the counters that anchor it.
   */
  memory(runId: string | null, received: number | null): CollectionMemory | null {
    if (runId === null || received === null) return null;
    const ids = new Set(this.found);
    const known = this.stretches.find((s) => s.kind === 'known');
    if (known?.kind === 'known') for (let i = known.at; i < known.ids.length; i += 1) ids.add(known.ids[i] as number);
    const newPending = this.stretches.some((s) => s.kind === 'range' && s.role === 'new');
    const oldPending = this.stretches.some((s) => s.kind === 'range' && s.role === 'old');
    const unscannedBelow = this.stoppedOnCount || !oldPending ? 1 : (this.lowestOldScanned ?? this.previousUnscannedBelow);
    // Only ids up to the newest id found were surely handed out when they were looked up: an id above it that
    // was looked up and found free may be taken by a client later, so it is not counted as covered.
    const newestFound = maxOf(this.found);
    const surely = newestFound > 0 ? newestFound : this.top - this.options.idSlack;
    let maxId: number;
    let anchored: number;
    if (newPending) {
      // Covered up to where the new range got: the next sample goes on from there, anchored to match.
      maxId = Math.max(this.previousMaxId, Math.min(this.highestNewScanned ?? this.previousMaxId, surely));
      anchored = received - (this.top - maxId);
    } else {
      maxId = Math.max(this.previousMaxId, surely);
      anchored = received;
    }
    return {
      runId, totalConnectionsReceived: Math.max(0, anchored), maxId, ids: [...ids].sort((a, b) => a - b),
      ...(unscannedBelow > 1 ? { unscannedBelow } : {}),
    };
  }

  private take(stretch: Stretch): number[] {
    const size = this.batchSize();
    const ids: number[] = [];
    if (stretch.kind === 'known') {
      const end = Math.min(stretch.ids.length, stretch.at + size);
      for (let i = stretch.at; i < end; i += 1) ids.push(stretch.ids[i] as number);
      stretch.at = end;
      return ids;
    }
    for (let n = 0; n < size; n += 1) {
      if (stretch.step === 1 ? stretch.next > stretch.end : stretch.next < stretch.end) break;
      ids.push(stretch.next);
      stretch.next += stretch.step;
    }
    return ids;
  }

  /**
   * The most ids whose worst case fits headroom × budget. The worst case is every id a client, but no more
   * clients can answer than INFO's count leaves unfound (plus a margin for clients that connected since
   * INFO), so once most clients are found, batches of absent ids grow long.
   */
  private batchSize(): number {
    const { headroom, maxStallMs, maxIdsPerCommand } = this.options;
    const model = { perIdUs: this.options.model.perIdUs * this.speed, perClientUs: this.options.model.perClientUs * this.speed };
    const budgetUs = headroom * maxStallMs * 1000;
    const allClients = Math.floor(budgetUs / (model.perIdUs + model.perClientUs));
    let size = allClients;
    if (this.expected !== null) {
      const left = Math.max(0, this.expected - this.foundBeforeSelf) + Math.max(16, Math.ceil(this.expected / 100));
      if (left < allClients) size = Math.floor((budgetUs - left * model.perClientUs) / model.perIdUs);
    }
    return Math.max(1, Math.min(size, maxIdsPerCommand));
  }
}

/** The ids of a listing's lines, read without parsing them (`id=` opens every line). */
export function listedIds(text: string): number[] {
  const ids: number[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (text.startsWith('id=', at)) {
      const id = Number.parseInt(text.slice(at + 3, Math.min(end, at + 24)), 10);
      if (Number.isSafeInteger(id) && id > 0) ids.push(id);
    }
    at = end + 1;
  }
  return ids;
}

/** Whether a memory can plan this sample: same server process, counter not reset since. */
export function continues(memory: CollectionMemory | null, counters: Pick<ServerCounters, 'runId' | 'totalConnectionsReceived'>): memory is CollectionMemory {
  return memory !== null && memory.runId === counters.runId && counters.totalConnectionsReceived !== null && counters.totalConnectionsReceived >= memory.totalConnectionsReceived;
}

/** A server measured slower than this is taken as this slow: batches never shrink below 1/20 of their size. */
const MAX_SPEED_FACTOR = 20;

function maxOf(values: readonly number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
