// The audit's progress as one line on a terminal's stderr, rewritten in place (carriage return, erase to
// the end of the line): the sample being taken, the countdown to the next one, the clients listed so far.
// At most one repaint per REPAINT_MS, cut to the terminal's width, erased before any other output and at the
// end. Its timers (the countdown, a deferred repaint) live only while there is something to show, and stop()
// clears them: a progress line never keeps the process alive.
import type { AuditProgress } from '../lambda/audit-progress.js';
import { safeCell, thousands } from './text-table.js';

/** A terminal: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** Width in characters; 80 when unknown. */
  readonly columns?: number;
}

/** The clock and timers, injectable for tests. */
export interface ProgressClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** Repaints at most this often (10 per second). */
export const REPAINT_MS = 100;
/** The countdown's step. */
const TICK_MS = 1000;
const ERASE = '\r\x1b[K';

const realClock: ProgressClock = {
  now: () => Date.now(),
  // Unreferenced as well as cleared: should a path ever forget stop(), the process still ends.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'sample'; readonly sample: number; readonly of: number; readonly node: string; readonly listing?: Extract<AuditProgress, { kind: 'listing' }> }
  | { readonly kind: 'waiting'; readonly sample: number; readonly of: number; readonly atMs: number };

export class ProgressLine {
  private state: State = { kind: 'idle' };
  /** What is on the terminal now ('' when nothing). */
  private shown = '';
  private lastPaintMs = Number.NEGATIVE_INFINITY;
  private repaintTimer: unknown;
  private tickTimer: unknown;
  private stopped = false;

  constructor(private readonly stream: ProgressStream, private readonly clock: ProgressClock = realClock) {}

  /** The listener to hand to runAudit (RunAuditOptions.onProgress). */
  readonly update = (event: AuditProgress): void => {
    if (this.stopped) return;
    const state = this.state;
    switch (event.kind) {
      case 'sample':
        this.state = { kind: 'sample', sample: event.sample, of: event.of, node: event.node };
        break;
      case 'listing':
        // A listing belongs to the sample being taken (on a cluster, to whichever node is listing last).
        if (state.kind !== 'sample') return;
        this.state = { ...state, listing: event };
        break;
      case 'waiting':
        this.state = { kind: 'waiting', sample: event.sample, of: event.of, atMs: this.clock.now() + event.nextInMs };
        break;
    }
    this.stopTick();
    if (this.state.kind === 'waiting') this.tick();
    this.repaint();
  };

  /** The line as it would be painted now, uncut ('' when there is nothing to show). */
  text(): string {
    const state = this.state;
    switch (state.kind) {
      case 'idle':
        return '';
      case 'waiting': {
        const seconds = Math.max(0, Math.ceil((state.atMs - this.clock.now()) / 1000));
        return `next sample in ${seconds} s (sample ${state.sample} of ${state.of})`;
      }
      case 'sample': {
        const listing = state.listing;
        const node = safeCell(listing?.node ?? state.node, 120);
        const head = `sample ${state.sample} of ${state.of} on ${node}`;
        if (listing === undefined) return head;
        const expected = listing.expected === null ? '' : ` of ${thousands(Math.max(listing.expected, listing.listed))}`;
        return `${head}: listing clients: ${thousands(listing.listed)}${expected}`;
      }
    }
  }

  /** Erases the line (before other output); a later update paints it again. */
  clear(): void {
    this.cancelRepaint();
    if (this.shown !== '') this.stream.write(ERASE);
    this.shown = '';
  }

  /** Erases the line and clears every timer; later updates are ignored. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.stopTick();
    this.clear();
    this.state = { kind: 'idle' };
  }

  /** Paints now, or once REPAINT_MS after the last paint. */
  private repaint(): void {
    if (this.repaintTimer !== undefined) return;
    const wait = this.lastPaintMs + REPAINT_MS - this.clock.now();
    if (wait <= 0) return this.paint();
    this.repaintTimer = this.clock.setTimeout(() => {
      this.repaintTimer = undefined;
      this.paint();
    }, wait);
  }

  private paint(): void {
    if (this.stopped) return;
    this.lastPaintMs = this.clock.now();
    // One column short of the width: a full line would wrap on some terminals, and \r would not reach it.
    // A terminal that reports no width (0 under `script` or some CI ptys) is taken as 80 columns.
    const columns = this.stream.columns !== undefined && this.stream.columns >= 20 ? this.stream.columns : 80;
    const width = columns - 1;
    const full = this.text();
    const line = full.length > width ? `${full.slice(0, width - 1)}…` : full;
    if (line === this.shown) return;
    this.stream.write(line === '' ? ERASE : `${ERASE}${line}`);
    this.shown = line;
  }

  /** While waiting: repaint the countdown on each whole second left, and stop at zero. */
  private tick(): void {
    const state = this.state;
    if (state.kind !== 'waiting') return;
    const left = state.atMs - this.clock.now();
    if (left <= 0) return;
    const toNextSecond = left % TICK_MS || TICK_MS;
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = undefined;
      this.repaint();
      this.tick();
    }, toNextSecond);
  }

  private stopTick(): void {
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
  }

  private cancelRepaint(): void {
    if (this.repaintTimer !== undefined) this.clock.clearTimeout(this.repaintTimer);
    this.repaintTimer = undefined;
  }
}
