// What reclaiming leaked connections (issue 19) costs the audited server: the kill step as the product sends it,
// lambda/redis/reclaim-kills.ts `killSelected` (INFO replication, one CLIENT LIST ID of the selected ids, then
// CLIENT KILL ID one id at a time, each of which walks the server's whole client list), side by side with
//   - a plain CLIENT LIST of the same server (what an operator's script would start with),
//   - one blanket CLIENT KILL LADDR closing the same number of connections in one walk (Redis 7.0 has no other
//     filter that can single out K idle connections here: ADDR and ID name one, USER needs connections that
//     AUTH, TYPE takes every normal client), and
//   - the idle control (nothing, as long as the median killSelected run).
// Per size and kill count, a fresh redis-server listening on 127.0.0.1 and on KILL_ADDRESS: the held
// connections come from the live section's holder processes (bench/connection-holders.ts: one GET each, then
// idle, from 127.0.0.2-127.0.0.40), all to 127.0.0.1 but K, which connect to KILL_ADDRESS (the blanket kill's
// LADDR). Each method runs in a PING prober window, with SLOWLOG and commandstats read around it
// (bench/server-meters.ts); killed connections are opened again by a new holder after each method, so every
// method meets the same number of held connections. Every process started here is stopped in `finally`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis } from '../cli/demo/local-redis-server.js';
import { loopbackSourcesAvailable } from '../cli/demo/loopback.js';
import { RespClient } from '../cli/demo/resp-client.js';
import { parseClientList } from '../lambda/core/parse-client-list.js';
import { RECLAIM_DEFAULTS, type ReclaimCandidate } from '../lambda/core/reclaim-selection.js';
import { killSelected, type KillResult } from '../lambda/redis/reclaim-kills.js';
import { parseTargetUrl } from '../lambda/redis/target-url.js';
import { median, round, type Table } from './bench-util.js';
import { bundleScript } from './child-script.js';
import { HOLDER_SOURCES, holderProcessCount, holderShares, startHolder, type Holder } from './connection-holders.js';
import { pinBench, type Pinning } from './cpu-pinning.js';
import { AUDITOR_TIMEOUTS } from './live-methods.js';
import { cell, spread, type Spread } from './live-tables.js';
import { type ProbeWindow, type Prober, startProber } from './prober-process.js';
import { commandStats, configNumber, logEveryCommand, readSlowlog, resetSlowlog, serverVersion } from './server-meters.js';

/** The commands whose server time the section adds up (INFO commandstats names). */
const METERED = ['client|kill', 'client|list'] as const;

export interface ReclaimConfig {
  /** Held connections asked for; capped by the open-files limit (the size then says how many were held). */
  readonly sizes: readonly number[];
  /** Connections killed per run (killSelected's `selected`, the blanket kill's matches). */
  readonly kills: readonly number[];
  readonly repetitions: number;
}

const FULL: ReclaimConfig = { sizes: [10_000, 65_000], kills: [100, RECLAIM_DEFAULTS.maxCeiling], repetitions: 3 };
const SMOKE: ReclaimConfig = { sizes: [200], kills: [10], repetitions: 1 };

/** The server's second address: only the K connections the blanket kill closes connect to it. */
export const KILL_ADDRESS = '127.0.0.250';
/** Connections beside the held ones: control, prober, killSelected's own. */
const MARGIN = 500;
/** killSelected's minIdleSeconds: the held connections are seconds old; stillReclaimable's used-once test still applies. */
const MIN_IDLE_SECONDS = 0;

export const RECLAIM_METHODS = ['killSelected', 'killLaddr', 'plainList', 'idle'] as const;
export type ReclaimMethod = (typeof RECLAIM_METHODS)[number];

export const RECLAIM_LABELS: Record<ReclaimMethod, string> = {
  killSelected: 'killSelected (CLIENT KILL ID x K)',
  killLaddr: 'CLIENT KILL LADDR (K in one walk)',
  plainList: 'plain CLIENT LIST',
  idle: 'idle (control)',
};

/** One method, measured once. */
export interface ReclaimSample {
  readonly method: ReclaimMethod;
  readonly repetition: number;
  readonly position: number;
  /** Wall time of the call (killSelected: connect, INFO, look-up, kills, close; the others: one round trip), ms. */
  readonly wallMs: number;
  /** Held connections (from the holder sources) listed just before and just after, outside the window. */
  readonly heldBefore: number;
  readonly heldAfter: number;
  /** heldBefore - heldAfter: kills the server's own listing confirms. */
  readonly killsConfirmed: number;
  /** What the method itself reported closed: killSelected's `killed`, CLIENT KILL's integer reply. */
  readonly killsReported: number;
  /** commandstats deltas: CLIENT KILL and CLIENT LIST (any form) calls and server µs. */
  readonly killCalls: number;
  readonly killUs: number;
  readonly listCalls: number;
  readonly listUs: number;
  /** The longest single CLIENT KILL or CLIENT LIST, µs (SLOWLOG at 0 µs), and the longest CLIENT KILL alone. */
  readonly longestCommandUs: number;
  readonly longestKillUs: number;
  readonly slowlogOverflowed: boolean;
  readonly probe: ProbeWindow;
  /** killSelected only: spared, refused, stoppedBy, when any. */
  readonly killNotes?: readonly string[];
}

export interface ReclaimMethodSummary {
  readonly method: ReclaimMethod;
  readonly label: string;
  readonly samples: number;
  readonly killsConfirmed: Spread;
  readonly killsReported: Spread;
  readonly serverTotalMs: Spread;
  readonly killServerMs: Spread;
  readonly listServerMs: Spread;
  /** CLIENT KILL server µs per call (killUs / killCalls); absent when no kill ran. */
  readonly perKillUs?: Spread;
  /** CLIENT KILL server µs per connection it closed (killUs / killsReported); absent when none was closed. */
  readonly perClosedUs?: Spread;
  readonly longestCommandMs: Spread;
  readonly longestKillMs: Spread;
  readonly commands: Spread;
  readonly wallMs: Spread;
  readonly delayedOver1ms: Spread;
  readonly openLoopDelayedOver1ms: Spread;
  readonly proberMaxMs: Spread;
  readonly proberP99Ms: Spread;
  readonly proberRequests: Spread;
}

export interface ReclaimCase {
  readonly requested: number;
  readonly held: number;
  readonly limitedBy?: string;
  /** Connections killed per run. */
  readonly kills: number;
  readonly maxclients: number;
  readonly redisVersion: string;
  readonly holders: ReadonlyArray<{ readonly role: 'held' | 'kill-address' | 'refill'; readonly to: string; readonly count: number; readonly readyMs: number }>;
  readonly proberNiceness: number;
  readonly methods: readonly ReclaimMethodSummary[];
  readonly samples: readonly ReclaimSample[];
}

export interface ReclaimResult {
  readonly cases: readonly ReclaimCase[];
  readonly repetitions: number;
  readonly pinning: string;
  readonly killAddress: string;
  readonly selection: string;
  readonly minIdleSeconds: number;
  /** When and under what load this section ran (it may be merged into a results file of another run). */
  readonly measuredAt: string;
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
}

export const SELECTION = 'the K oldest held connections (age descending, then id), as selectReclaimable orders them; workload "bench-holders"';

export async function runReclaimBench(options: { smoke: boolean }): Promise<ReclaimResult> {
  const config = options.smoke ? SMOKE : FULL;
  if (!(await loopbackSourcesAvailable()).ipv4) throw new Error('cannot bind 127.0.0.2: the reclaim section needs Linux loopback sources 127.0.0.2-127.0.0.40');
  const measuredAt = new Date().toISOString();
  const loadAverageAtStart = loadavg().map((l) => round(l, 2));
  const dir = mkdtempSync(join(tmpdir(), 'rla-reclaim-'));
  const pinning = pinBench();
  try {
    const scripts = { holder: await bundleScript('holder-child', dir), prober: await bundleScript('ping-prober', dir) };
    const cases: ReclaimCase[] = [];
    for (const requested of config.sizes) {
      for (const kills of config.kills) {
        const measured = await measureCase(requested, kills, config, scripts, pinning, cases);
        if (measured !== null) cases.push(measured);
      }
    }
    return {
      cases, repetitions: config.repetitions, pinning: pinning.description, killAddress: KILL_ADDRESS, selection: SELECTION,
      minIdleSeconds: MIN_IDLE_SECONDS, measuredAt, loadAverageAtStart, loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
    };
  } finally {
    pinning.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Holder connections of a listing: from the holder sources; `toKillAddress` those connected to KILL_ADDRESS. */
interface Listed {
  readonly held: ReturnType<typeof parseClientList>['clients'];
  readonly toKillAddress: number;
}

async function listHeld(control: RespClient): Promise<Listed> {
  const sources = new Set(HOLDER_SOURCES);
  const held = parseClientList(String(await control.command('CLIENT', 'LIST'))).clients.filter((c) => sources.has(c.sourceIp));
  const toKillAddress = held.filter((c) => (c.fields.laddr ?? '').startsWith(`${KILL_ADDRESS}:`)).length;
  return { held, toKillAddress };
}

function rotated(r: number): ReclaimMethod[] {
  return RECLAIM_METHODS.map((_, i) => RECLAIM_METHODS[(i + r) % RECLAIM_METHODS.length] as ReclaimMethod);
}

interface Scripts { readonly holder: string; readonly prober: string }

async function measureCase(requested: number, kills: number, config: ReclaimConfig, scripts: Scripts, pinning: Pinning, done: readonly ReclaimCase[]): Promise<ReclaimCase | null> {
  const undo: Array<() => Promise<unknown>> = [];
  try {
    const server = await startLocalRedis({ ipv6: false, args: ['--maxclients', String(requested + MARGIN), '--bind', '127.0.0.1', KILL_ADDRESS] });
    undo.push(() => server.stop());
    pinning.pinServer(server.process.pid ?? -1);
    const target = { host: server.host, port: server.port };
    const killTarget = { host: KILL_ADDRESS, port: server.port };
    const control = await RespClient.connect(target);
    undo.push(async () => control.destroy());
    // redis-server lowers maxclients to what its open-files limit allows: that, less the margin, is the size held.
    const maxclients = await configNumber(control, 'maxclients');
    const room = maxclients - MARGIN;
    const held = Math.min(requested, room >= 1000 ? Math.floor(room / 500) * 500 : Math.floor(room / 100) * 100);
    if (held < requested && done.some((c) => c.held === held && c.kills === kills)) return null; // capped to a size already measured
    if (held < 2 * kills) throw new Error(`only ${held} connections can be held here: too few for ${kills} kills`);
    const limitedBy = held < requested
      ? `redis-server could raise its open-files limit only to allow maxclients ${maxclients.toLocaleString('en-US')} (bench/run.sh could not raise the hard limit: that takes root with CAP_SYS_RESOURCE)`
      : undefined;

    const holders: Array<ReclaimCase['holders'][number]> = [];
    let nextKey = 0;
    const hold = async (role: 'held' | 'kill-address' | 'refill', to: { host: string; port: number }, count: number) => {
      const holder: Holder = await startHolder(scripts.holder, to, count, nextKey);
      undo.push(() => holder.stop());
      nextKey += count;
      holders.push({ role, to: to.host, count: holder.count, readyMs: holder.readyMs });
    };
    const ordinary = held - kills;
    for (const share of holderShares(ordinary, holderProcessCount(ordinary, 1))) await hold('held', target, share);
    await hold('kill-address', killTarget, kills);

    const prober = await startProber(scripts.prober, target);
    undo.push(() => prober.stop());
    // The server's first CLIENT LIST costs it more (its reply buffers grow once): no method should pay for that.
    const first = await listHeld(control);
    if (first.held.length !== held || first.toKillAddress !== kills) {
      throw new Error(`${first.held.length} held connections (${first.toKillAddress} to ${KILL_ADDRESS}) instead of ${held} (${kills})`);
    }
    await logEveryCommand(control);

    const samples: ReclaimSample[] = [];
    const idleMs = () => {
      const walls = samples.filter((s) => s.method === 'killSelected').map((s) => s.wallMs);
      return walls.length > 0 ? Math.max(1, Math.round(median(walls))) : 100;
    };
    for (let r = 0; r < config.repetitions; r += 1) {
      for (const [position, method] of rotated(r).entries()) {
        const sample = await measureMethod(method, r, position, { control, prober, url: server.url, killLaddr: `${KILL_ADDRESS}:${server.port}`, kills, idleMs });
        samples.push(sample);
        // Open again what was killed, from a new holder, so that the next method meets `held` connections again.
        const now = await listHeld(control);
        const missingToKillAddress = kills - now.toKillAddress;
        const missingOrdinary = ordinary - (now.held.length - now.toKillAddress);
        if (missingOrdinary > 0) await hold('refill', target, missingOrdinary);
        if (missingToKillAddress > 0) await hold('refill', killTarget, missingToKillAddress);
      }
    }
    return {
      requested, held, ...(limitedBy ? { limitedBy } : {}), kills, maxclients, redisVersion: await serverVersion(control), holders,
      proberNiceness: prober.niceness,
      methods: RECLAIM_METHODS.map((m) => summarise(m, samples.filter((s) => s.method === m))),
      samples,
    };
  } finally {
    for (const step of undo.reverse()) await step().catch(() => undefined);
  }
}

interface MethodContext {
  readonly control: RespClient;
  readonly prober: Prober;
  readonly url: string;
  /** CLIENT KILL LADDR's argument: KILL_ADDRESS and the server's port. */
  readonly killLaddr: string;
  readonly kills: number;
  readonly idleMs: () => number;
}

async function measureMethod(method: ReclaimMethod, repetition: number, position: number, context: MethodContext): Promise<ReclaimSample> {
  const { control, kills } = context;
  // The audit's listing before the kill, outside the window: the selection comes from it, and after it the
  // server has every client's addresses formatted (an ADDR/LADDR filter compares those strings).
  const before = await listHeld(control);
  let run: () => Promise<{ reported: number; notes?: string[] }>;
  switch (method) {
    case 'killSelected': {
      const selected: ReclaimCandidate[] = before.held
        .filter((c) => !(c.fields.laddr ?? '').startsWith(`${KILL_ADDRESS}:`))
        .sort((a, b) => b.ageSeconds - a.ageSeconds || a.id - b.id)
        .slice(0, kills)
        .map((c) => ({ id: c.id, addr: c.addr, workload: 'bench-holders', ageSeconds: c.ageSeconds, idleSeconds: c.idleSeconds }));
      const target = parseTargetUrl(context.url);
      run = async () => {
        const result: KillResult = await killSelected({ target, selected, minIdleSeconds: MIN_IDLE_SECONDS, timeouts: AUDITOR_TIMEOUTS });
        const notes = [
          ...(result.spared > 0 ? [`${result.spared} spared`] : []),
          ...(result.refused ? [`refused: ${result.refused}`] : []),
          ...(result.stoppedBy ? [`stopped: ${result.stoppedBy}`] : []),
        ];
        return { reported: result.killed.length, ...(notes.length > 0 ? { notes } : {}) };
      };
      break;
    }
    case 'killLaddr':
      run = async () => ({ reported: Number(await control.command('CLIENT', 'KILL', 'LADDR', context.killLaddr)) });
      break;
    case 'plainList':
      run = async () => {
        await control.command('CLIENT', 'LIST');
        return { reported: 0 };
      };
      break;
    case 'idle': {
      const waitMs = context.idleMs();
      run = async () => {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        return { reported: 0 };
      };
      break;
    }
  }

  await resetSlowlog(control);
  const statsBefore = await commandStats(control, METERED);
  const { result, probe } = await context.prober.during(`${method} #${repetition}`, async () => {
    const started = performance.now();
    const outcome = await run();
    return { ...outcome, wallMs: performance.now() - started };
  });
  const statsAfter = await commandStats(control, METERED);
  const { us: slowlog, overflowed } = await readSlowlog(control, ['client kill', 'client list']);
  const spent = (name: (typeof METERED)[number], of: 'calls' | 'usec') => statsAfter[name][of] - statsBefore[name][of];
  const after = await listHeld(control);
  return {
    method, repetition, position,
    wallMs: round(result.wallMs, 3),
    heldBefore: before.held.length, heldAfter: after.held.length, killsConfirmed: before.held.length - after.held.length,
    killsReported: result.reported,
    killCalls: spent('client|kill', 'calls'), killUs: spent('client|kill', 'usec'),
    listCalls: spent('client|list', 'calls'), listUs: spent('client|list', 'usec'),
    longestCommandUs: Math.max(0, ...slowlog['client kill'], ...slowlog['client list']), longestKillUs: Math.max(0, ...slowlog['client kill']),
    slowlogOverflowed: overflowed,
    probe,
    ...(result.notes ? { killNotes: result.notes } : {}),
  };
}

function summarise(method: ReclaimMethod, samples: readonly ReclaimSample[]): ReclaimMethodSummary {
  const of = (pick: (s: ReclaimSample) => number) => spread(samples.map(pick));
  const withKills = samples.filter((s) => s.killCalls > 0);
  const withClosed = samples.filter((s) => s.killsReported > 0);
  return {
    method, label: RECLAIM_LABELS[method], samples: samples.length,
    killsConfirmed: of((s) => s.killsConfirmed),
    killsReported: of((s) => s.killsReported),
    serverTotalMs: of((s) => (s.killUs + s.listUs) / 1000),
    killServerMs: of((s) => s.killUs / 1000),
    listServerMs: of((s) => s.listUs / 1000),
    ...(withKills.length > 0 ? { perKillUs: spread(withKills.map((s) => s.killUs / s.killCalls), 1) } : {}),
    ...(withClosed.length > 0 ? { perClosedUs: spread(withClosed.map((s) => s.killUs / s.killsReported), 1) } : {}),
    longestCommandMs: of((s) => s.longestCommandUs / 1000),
    longestKillMs: of((s) => s.longestKillUs / 1000),
    commands: of((s) => s.killCalls + s.listCalls),
    wallMs: of((s) => s.wallMs),
    delayedOver1ms: of((s) => s.probe.delayedOver1ms),
    openLoopDelayedOver1ms: of((s) => s.probe.openLoopDelayedOver1ms),
    proberMaxMs: of((s) => s.probe.maxMs),
    proberP99Ms: of((s) => s.probe.p99Ms),
    proberRequests: of((s) => s.probe.requests),
  };
}

const count = (n: number) => n.toLocaleString('en-US');

export function reclaimTables(result: ReclaimResult): Table[] {
  const n = result.repetitions;
  const heldSizes = [...new Set(result.cases.map((c) => c.held))];
  const main = heldSizes.map((held): Table => {
    const cases = result.cases.filter((c) => c.held === held);
    const requested = cases[0]?.requested ?? held;
    return {
      title: `Reclaim: the kill step on a live redis-server, ${count(held)} held connections${held < requested ? ` (${count(requested)} asked: see setup)` : ''}: ${n === 1 ? '1 run' : `median (min-max) of ${n}`}`,
      headers: ['K', 'method', 'kills confirmed', 'server time ms (kill + list)', 'CLIENT KILL ms', 'µs per CLIENT KILL', 'kill µs per closed', 'longest command ms (SLOWLOG)', 'wall ms', 'PINGs delayed >1 ms', 'delayed >1 ms (open loop)', 'PING max ms', 'PING p99 ms', 'commands'],
      rows: cases.flatMap((c) => c.methods.map((m) => [
        count(c.kills), m.label, cell(m.killsConfirmed), cell(m.serverTotalMs), cell(m.killServerMs), cell(m.perKillUs), cell(m.perClosedUs), cell(m.longestCommandMs),
        cell(m.wallMs), cell(m.delayedOver1ms), cell(m.openLoopDelayedOver1ms), cell(m.proberMaxMs), cell(m.proberP99Ms), cell(m.commands),
      ])),
      notes: [
        'killSelected: lambda/redis/reclaim-kills.ts as the product calls it (connect, INFO replication, CLIENT LIST ID of the K ids, K x CLIENT KILL ID, QUIT);',
        `CLIENT KILL LADDR: one command closing the K connections made to ${KILL_ADDRESS}; plain CLIENT LIST: one command, all clients; idle: nothing, as long as the median killSelected;`,
        'server time: CLIENT KILL + CLIENT LIST usec (INFO commandstats); longest command: the longest single CLIENT KILL or CLIENT LIST (SLOWLOG at 0 µs, the loop only);',
        'PINGs: 3 prober connections, about 1 PING per ms each, during the method',
        ...(result.cases.some((c) => c.samples.some((s) => s.killNotes !== undefined)) ? ['some killSelected runs spared, refused or stopped: see killNotes in the results'] : []),
      ],
    };
  });
  const setup: Table = {
    title: 'Reclaim: setup',
    headers: ['held', 'K', 'maxclients', 'holders (held / to kill address / refills)', 'redis', 'prober nice'],
    rows: result.cases.map((c) => {
      const byRole = (role: string) => c.holders.filter((h) => h.role === role).length;
      return [`${count(c.held)}${c.held < c.requested ? ` (${count(c.requested)} asked)` : ''}`, count(c.kills), count(c.maxclients),
        `${byRole('held')} / ${byRole('kill-address')} / ${byRole('refill')}`, c.redisVersion, String(c.proberNiceness)];
    }),
    notes: [
      `selection: ${result.selection}; minIdleSeconds ${result.minIdleSeconds}; a fresh redis-server per (held, K); ${result.pinning}`,
      ...[...new Set(result.cases.flatMap((c) => (c.limitedBy ? [c.limitedBy] : [])))],
    ],
  };
  return [...main, setup];
}

/** The headline medians, for results.json's summary. */
export function reclaimSummary(result: ReclaimResult): Record<string, unknown> {
  return {
    measuredAt: result.measuredAt,
    cases: result.cases.map((c) => ({
      held: c.held, requested: c.requested, kills: c.kills,
      methods: Object.fromEntries(c.methods.map((m) => [m.method, {
        killsConfirmed: m.killsConfirmed.median, serverTotalMs: m.serverTotalMs.median, killServerMs: m.killServerMs.median,
        ...(m.perKillUs ? { perKillUs: m.perKillUs.median } : {}), ...(m.perClosedUs ? { perClosedUs: m.perClosedUs.median } : {}), longestCommandMs: m.longestCommandMs.median, wallMs: m.wallMs.median,
        delayedOver1ms: m.delayedOver1ms.median, proberMaxMs: m.proberMaxMs.median, proberP99Ms: m.proberP99Ms.median,
      }])),
    })),
  };
}
