// What users of an audited Redis feel while the auditor lists its clients, method by method, on a live
// redis-server that looks long-lived: tens of thousands of idle held connections from many loopback sources,
// and over a million connections received before, so that the held ids sit far below the newest ones.
// Per size: a fresh redis-server pinned to CPU 0 (everything else on CPU 1), held connections in child
// processes interleaved with churn, a PING prober, our own redis_exporter; then every method once per
// repetition, in a rotating order, each in a prober window with SLOWLOG and commandstats read around it
// (bench/live-methods.ts); at the audit size, real end-to-end audits for the cost estimate
// (bench/audit-duration.ts). Every process started here is stopped in `finally`, whatever failed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis } from '../cli/demo/local-redis-server.js';
import { loopbackSourcesAvailable } from '../cli/demo/loopback.js';
import { RespClient } from '../cli/demo/resp-client.js';
import { measureAuditDuration, type AuditDuration } from './audit-duration.js';
import { median, type Table } from './bench-util.js';
import { bundleScript } from './child-script.js';
import { churn, type ChurnResult } from './churn.js';
import { HOLDER_SOURCES, holderProcessCount, holderShares, startHolder } from './connection-holders.js';
import { pinBench, type Pinning } from './cpu-pinning.js';
import { exporterBinary, exporterVersion, startExporter } from './exporter-peer.js';
import { measureMethod, METHODS, type Method, type MethodContext, type RawSample } from './live-methods.js';
import { setupTables } from './live-setup-tables.js';
import { liveSummary, sizeTables, summariseMethod, type LiveSummary, type MethodSummary } from './live-tables.js';
import { startProber } from './prober-process.js';
import { configNumber, connectedClients, logEveryCommand, serverVersion, totalConnectionsReceived } from './server-meters.js';

export interface LiveConfig {
  readonly sizes: readonly number[];
  /** total_connections_received reached, by churn, before a size is measured. */
  readonly receivedBefore: number;
  readonly repetitions: number;
  /** Holder processes at least, so that held connections and churn interleave. */
  readonly minHolders: number;
  /** New connections between the two samples of "by id, steady, churn between". */
  readonly churnBetweenSamples: number;
  /** The size at which real end-to-end audits give auditDurationMs. */
  readonly auditSize: number;
  readonly churnTimeoutMs: number;
}

const FULL: LiveConfig = { sizes: [15_000, 65_000], receivedBefore: 1_000_000, repetitions: 5, minHolders: 4, churnBetweenSamples: 10_000, auditSize: 15_000, churnTimeoutMs: 240_000 };
const SMOKE: LiveConfig = { sizes: [300], receivedBefore: 5_000, repetitions: 1, minHolders: 2, churnBetweenSamples: 500, auditSize: 300, churnTimeoutMs: 30_000 };

export const HOLD_ORDER = 'holders and churn interleaved: each holder process opens its share, then churn brings total_connections_received to its share of the goal; the newest ids are churn';

export interface SizeResult {
  /** The size asked for; `held` is smaller when this machine's open-files limit does not allow it. */
  readonly requested: number;
  readonly held: number;
  /** Why fewer than requested were held; absent when all were. */
  readonly limitedBy?: string;
  readonly maxclients: number;
  readonly redisVersion: string;
  readonly holders: ReadonlyArray<{ readonly count: number; readonly readyMs: number }>;
  readonly churn: { readonly slices: readonly ChurnResult[]; readonly connections: number; readonly durationMs: number; readonly tool: string };
  readonly connectedClients: number;
  readonly receivedAtStart: number;
  readonly receivedAtEnd: number;
  readonly proberNiceness: number;
  readonly serverNiceness: number;
  readonly methods: readonly MethodSummary[];
  readonly samples: readonly RawSample[];
  readonly audit?: AuditDuration;
}

export interface LiveServerResult {
  readonly sizes: readonly SizeResult[];
  readonly repetitions: number;
  readonly sources: readonly string[];
  readonly order: string;
  readonly pinning: string;
  readonly exporterVersion: string | null;
  /** For the cost section: the median wall clock of real end-to-end audits (runAudit) at auditSize. */
  readonly auditDurationMs: number;
  readonly auditDurationSource: string;
  /** The headline medians, for results.json's summary. */
  readonly summary: LiveSummary;
  readonly tables: readonly Table[];
}

export async function runLiveServerBench(options: { smoke: boolean }): Promise<LiveServerResult> {
  const config = options.smoke ? SMOKE : FULL;
  const capacity = await holdCapacity();
  const dir = mkdtempSync(join(tmpdir(), 'rla-live-'));
  const pinning = pinBench();
  try {
    const scripts = { holder: await bundleScript('holder-child', dir), prober: await bundleScript('ping-prober', dir) };
    const sizes: SizeResult[] = [];
    for (const requested of config.sizes) {
      const held = Math.min(requested, capacity.connections);
      if (sizes.some((s) => s.held === held)) continue; // two sizes capped to the same count: measured once
      const limitedBy = held < requested ? capacity.why : undefined;
      sizes.push(await measureSize({ requested, held, ...(limitedBy ? { limitedBy } : {}) }, config, scripts, pinning));
    }
    const audit = sizes.find((s) => s.audit !== undefined)?.audit;
    if (audit === undefined) throw new Error('no end-to-end audit was measured');
    const binary = exporterBinary();
    const result = {
      sizes, repetitions: config.repetitions, sources: HOLDER_SOURCES, order: HOLD_ORDER, pinning: pinning.description,
      exporterVersion: binary === null ? null : exporterVersion(binary),
      auditDurationMs: audit.wallMs.median,
      auditDurationSource: `median wall clock of ${audit.runs.length} real runAudit calls in steady state (with the previous run's state, 1 sample, default policy) on the live redis-server with ${audit.held.toLocaleString('en-US')} held connections: connect, INFO, listing, CONFIG GET, QUIT and the analysis, no AWS calls; a first run (no state) took ${audit.firstRunWallMs.median} ms`,
    };
    const tables = [
      ...sizes.flatMap((s) => sizeTables({ held: s.held, requested: s.requested, received: s.receivedAtStart, repetitions: config.repetitions, methods: s.methods })),
      ...setupTables(result),
    ];
    return { ...result, summary: liveSummary(sizes, audit.wallMs.median), tables };
  } finally {
    pinning.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Connections beside the held ones: control, prober, exporter, collectors, redis-benchmark's 50. */
const MARGIN = 500;
/** File descriptors redis-server keeps for itself beyond maxclients (CONFIG_MIN_RESERVED_FDS). */
const REDIS_RESERVED_FDS = 32;

/**
 * How many connections one redis-server can hold here: it raises its own soft open-files limit up to the hard
 * one (bench/run.sh raises the hard one where it may), keeps 32 for itself, and the bench needs MARGIN more.
 */
async function holdCapacity(): Promise<{ connections: number; why: string }> {
  if (!(await loopbackSourcesAvailable()).ipv4) throw new Error('cannot bind 127.0.0.2: the live section needs Linux loopback sources 127.0.0.2-127.0.0.40');
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1];
  const hardLimit = hard === undefined || hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard);
  const room = hardLimit - REDIS_RESERVED_FDS - MARGIN;
  const connections = room >= 1000 ? Math.floor(room / 500) * 500 : Math.floor(room / 100) * 100;
  if (connections < 100) throw new Error(`the open-files hard limit is ${hardLimit}: too low to hold connections; run through bench/run.sh`);
  return {
    connections,
    why: `the open-files hard limit is ${hardLimit.toLocaleString('en-US')} per process and bench/run.sh could not raise it (that takes root with CAP_SYS_RESOURCE): one redis-server holds at most ${connections.toLocaleString('en-US')} here`,
  };
}

/** Order for repetition r: the methods rotated by r, so that each takes every position in turn. */
function rotated(r: number): Method[] {
  return METHODS.map((_, i) => METHODS[(i + r) % METHODS.length] as Method);
}

interface Size {
  readonly requested: number;
  readonly held: number;
  readonly limitedBy?: string;
}

async function measureSize(size: Size, config: LiveConfig, scripts: { holder: string; prober: string }, pinning: Pinning): Promise<SizeResult> {
  const { held } = size;
  const undo: Array<() => Promise<unknown>> = [];
  try {
    const server = await startLocalRedis({ ipv6: false, args: ['--maxclients', String(held + MARGIN)] });
    undo.push(() => server.stop());
    pinning.pinServer(server.process.pid ?? -1);
    const target = { host: server.host, port: server.port };
    const control = await RespClient.connect(target);
    undo.push(() => control.destroy());
    const maxclients = await configNumber(control, 'maxclients');
    if (maxclients < held + MARGIN) throw new Error(`redis-server accepted maxclients ${maxclients} only (open-files limit too low for ${held} connections)`);
    const received = () => totalConnectionsReceived(control);

    const shares = holderShares(held, holderProcessCount(held, config.minHolders));
    const holders: Array<{ count: number; readyMs: number }> = [];
    const slices: ChurnResult[] = [];
    for (const [i, share] of shares.entries()) {
      const holder = await startHolder(scripts.holder, target, share, holders.reduce((n, h) => n + h.count, 0));
      undo.push(() => holder.stop());
      holders.push({ count: holder.count, readyMs: holder.readyMs });
      const missing = Math.round((config.receivedBefore * (i + 1)) / shares.length) - (await received());
      if (missing > 0) slices.push(await churn({ ...target, connections: missing, readReceived: received, timeoutMs: config.churnTimeoutMs }));
    }
    const connected = await connectedClients(control);
    if (connected < held) throw new Error(`only ${connected} of ${held} held connections are connected`);

    const prober = await startProber(scripts.prober, target);
    undo.push(() => prober.stop());
    const exporter = await startExporter(server.url);
    if (exporter !== null) undo.push(() => exporter.stop());
    // The server's first CLIENT LIST costs it more (its reply buffers grow once): no method should pay for that.
    await control.command('CLIENT', 'LIST');
    await logEveryCommand(control);
    const receivedAtStart = await received();

    const samples: RawSample[] = [];
    const skipped = new Map<Method, string>();
    const context: MethodContext = {
      url: server.url, control, prober, exporter,
      churnBetween: () => churn({ ...target, connections: config.churnBetweenSamples, readReceived: received, timeoutMs: 60_000 }),
      idleMs: () => {
        const others = samples.filter((s) => s.method !== 'idle').map((s) => s.wallMs);
        return others.length > 0 ? Math.max(1, Math.round(median(others))) : 100;
      },
    };
    for (let r = 0; r < config.repetitions; r += 1) {
      for (const [position, method] of rotated(r).entries()) {
        const sample = await measureMethod(method, r, position, context);
        if (sample === null) skipped.set(method, 'no redis_exporter binary installed');
        else samples.push(sample);
      }
    }
    const audit = size.requested === config.auditSize ? await measureAuditDuration(server.url, held, prober, config.repetitions) : undefined;
    return {
      ...size, maxclients, serverNiceness: niceness(server.process.pid), redisVersion: await serverVersion(control), holders,
      churn: {
        slices, connections: slices.reduce((n, s) => n + s.connections, 0), durationMs: slices.reduce((n, s) => n + s.durationMs, 0),
        tool: [...new Set(slices.map((s) => s.tool))].join(', ') || 'none',
      },
      connectedClients: connected, receivedAtStart, receivedAtEnd: await received(), proberNiceness: prober.niceness,
      methods: METHODS.map((m) => summariseMethod(m, samples.filter((s) => s.method === m), skipped.get(m))),
      samples,
      ...(audit ? { audit } : {}),
    };
  } finally {
    for (const step of undo.reverse()) await step().catch(() => undefined);
  }
}

function niceness(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return getPriority(pid);
  } catch {
    return Number.NaN;
  }
}
