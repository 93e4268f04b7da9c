// The sampling of one run, whatever the target: a standalone server is a run of one node, a cluster a run
// of many. Each node has its collector while it is sampled and the round of its last sample; a node that
// fails is stopped alone (what it gave so far is kept, and says why it ended), the others go on. Every
// connection is closed at the end, whatever happened. What the run decides is the core's (run-assessment.ts).
import { guarded, type AuditProgress, type ProgressListener } from './audit-progress.js';
import { collectorOptionsFor, type NodeCollectorOptions } from './collector-options.js';
import type { FailedNode } from './core/audit.js';
import { CLUSTER_CONNECTIONS_AT_ONCE } from './core/cluster-rules.js';
import { asAuditError, DeadlineReachedError, MaxClientsReachedError, type AuditError } from './core/errors.js';
import type { RawNodeSample } from './core/model.js';
import { mapLimited } from './map-limited.js';
import { NodeCollector } from './redis/node-collector.js';
import type { RedisTarget } from './redis/target-url.js';
import type { RunAuditOptions } from './run-audit-options.js';

/** Opens one node's collector; NodeCollector.open in production (tests count and place the attempts). */
export type OpenNode = (target: RedisTarget, options: RunAuditOptions, collector: NodeCollectorOptions) => Promise<NodeCollector>;

const openCollector: OpenNode = (target, options, collector) => NodeCollector.open(target, options, collector);

/** One node of the run. */
export interface NodeRun {
  /** Its name in the report; a cluster's seed is renamed from its URL's `host:port` to its announced address. */
  label: string;
  collector: NodeCollector | null;
  /** Index in `rounds` of this node's last sample; -1 before the first. */
  lastRound: number;
  error: AuditError | null;
  /** Gives back what opening the node took (a cluster's share of the process's connections), once, after it is closed. */
  release?: () => void;
}

export interface SamplerClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class NodeSampler {
  /** Samples oldest first, one entry per node sampled in that round, in the nodes' order. */
  readonly rounds: RawNodeSample[][] = [];
  /** Nodes that gave no sample at all, with why. */
  readonly failedNodes: FailedNode[] = [];
  readonly runs: NodeRun[] = [];
  private readonly progress: ProgressListener;

  constructor(readonly options: RunAuditOptions, readonly clock: SamplerClock, readonly startedAtMs: number) {
    this.progress = guarded(options.onProgress);
  }

  /** A node of the run, not sampled yet; `collector` when it is already open (a cluster's seed). */
  add(label: string, collector: NodeCollector | null = null): NodeRun {
    const run: NodeRun = { label, collector, lastRound: -1, error: null };
    this.runs.push(run);
    return run;
  }

  /** Milliseconds until the run's deadline (RunAuditOptions.deadlineAtMs); unbounded without one. */
  timeLeft(): number {
    const { deadlineAtMs } = this.options;
    return deadlineAtMs === undefined ? Number.POSITIVE_INFINITY : deadlineAtMs - this.clock.now();
  }

  tell(event: AuditProgress): void {
    this.progress(event);
  }

  /** Throws when the deadline leaves no time to contact `name`: a node still waiting for it is not contacted at all. */
  beforeContact(name: string): void {
    if (this.timeLeft() <= 0) throw new DeadlineReachedError(`the audit deadline was reached before ${name} was contacted`);
  }

  /** Opens the node's collector, its connect timeout cut to what is left before the deadline. */
  async connect(run: NodeRun, target: RedisTarget, open: OpenNode = openCollector): Promise<NodeCollector> {
    const connectTimeoutMs = Math.max(1, Math.min(this.options.connectTimeoutMs, this.timeLeft()));
    run.collector = await open(target, { ...this.options, connectTimeoutMs }, collectorOptionsFor(this.options, run.label, this.progress));
    return run.collector;
  }

  /** The node's first sample, taken by the caller, in round 0. */
  first(run: NodeRun, sample: RawNodeSample): void {
    (this.rounds[0] ??= []).push(sample);
    run.lastRound = 0;
  }

  /** Ends one node's sampling: a node that gave nothing is a failed node, one that did keeps its samples and says why they stopped. */
  stop(run: NodeRun, err: unknown): void {
    const error = asAuditError(err);
    run.error = error;
    void run.collector?.close(); // free the node now; close() awaits the same close
    if (run.lastRound < 0) {
      this.failedNodes.push({ node: run.label, error: error.message, refusedMaxClients: error instanceof MaxClientsReachedError });
      return;
    }
    const round = this.rounds[run.lastRound] ?? [];
    const at = round.findIndex((raw) => raw.node === run.label);
    const last = round[at];
    if (last !== undefined) round[at] = { ...last, errors: [...last.errors, `sampling stopped early: ${error.message}`] };
  }

  /** Rounds `from` .. samples-1 on every node still sampling, `intervalMs` apart. */
  async sampleRounds(from: number): Promise<void> {
    const { samples, intervalMs } = this.options;
    for (let i = from; i < samples; i += 1) {
      const active = this.sampling(this.runs);
      if (active.length === 0) return;
      if (this.timeLeft() <= intervalMs) {
        for (const run of active) this.stop(run, new DeadlineReachedError(`the audit deadline was reached after ${i} of ${samples} samples`));
        return;
      }
      this.tell({ kind: 'waiting', sample: i + 1, of: samples, nextInMs: intervalMs });
      await this.clock.sleep(intervalMs);
      this.rounds.push([]);
      await this.sampleRound(this.rounds.length - 1, active);
    }
  }

  /** One sample on each given node still sampling, CLUSTER_CONNECTIONS_AT_ONCE at a time, into `rounds[index]`. */
  async sampleRound(index: number, runs: readonly NodeRun[]): Promise<void> {
    const active = this.sampling(runs);
    const { deadlineAtMs } = this.options;
    const results = await mapLimited(active, CLUSTER_CONNECTIONS_AT_ONCE, async (run) => {
      try {
        if (this.timeLeft() <= 0) throw new DeadlineReachedError('the audit deadline was reached before this node\'s sample');
        this.tell({ kind: 'sample', sample: index + 1, of: this.options.samples, node: run.label });
        const sample = await (run.collector as NodeCollector).sample(this.clock.now, deadlineAtMs === undefined ? {} : { deadlineAtMs });
        return { ok: true as const, sample };
      } catch (err) {
        return { ok: false as const, err };
      }
    });
    // In the nodes' order, whatever order they answered in.
    const round = (this.rounds[index] ??= []);
    results.forEach((result, i) => {
      const run = active[i];
      if (run === undefined) return;
      if (!result.ok) {
        this.stop(run, result.err);
        return;
      }
      round.push({ ...result.sample, node: run.label });
      run.lastRound = index;
    });
  }

  /** Nodes whose sampling stopped after their first sample: the run is partial. */
  interrupted(): string[] {
    return this.runs.filter((run) => run.error !== null && run.lastRound >= 0).map((run) => run.label);
  }

  /** Closes every node's connection (each at most once) and gives back what opening it took. Never throws. */
  async close(): Promise<void> {
    await Promise.all(this.runs.map(async (run) => {
      await run.collector?.close();
      const release = run.release;
      run.release = undefined;
      release?.();
    }));
  }

  private sampling(runs: readonly NodeRun[]): NodeRun[] {
    return runs.filter((run) => run.collector !== null && run.error === null);
  }
}
