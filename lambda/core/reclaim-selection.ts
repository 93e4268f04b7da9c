// Issue 19, the pure first step of reclaiming leaked connections: which connections of one node may be
// closed (CLIENT KILL ID), or a sentence saying why none may. Nothing here acts; the CLI (cli/reclaim.ts) and the
// Lambda's break-glass (break-glass.ts) feed it the audit's last sample of the node (reclaim-input.ts) and
// lambda/redis/reclaim-kills.ts kills what it selects.
//
// A connection is selected only when all of these hold:
//   - it belongs to the leaking workload (a leak finding's, or the one named by --workload / --source), decided
//     by the same workloadIdentity, resolved sources and name cache the audit used, so that the reclaimer and
//     the report can never disagree on who a connection belongs to;
//   - it is idle at least minIdleSeconds AND was used only when opened (idle about its whole age): the leak
//     rule's own test (analyse-clients.ts traitsOf / usedOnceSlackSeconds), not a copy of it;
//   - it is none of: the auditor's own connection, a replication link (flags S or M), a subscriber, a blocked
//     client, a connection inside MULTI (traitsOf again), a connection of another workload, a connection
//     already reclaimed by an earlier run.
// And nothing at all is selected when the node is a replica, the report is partial, the listing was incomplete,
// there is no leak and no explicit target, or the workload is known only by a (shared) address.
import { isAuditorConnection, isReplicationLink, traitsOf } from './analyse-clients.js';
import type { Finding } from './findings/types.js';
import type { ClientRecord } from './model.js';
import { parseOriginName } from './origin-name.js';
import { POLICY_DEFAULTS, type NumberRule } from './policy-rules.js';
import { NameCache, workloadIdentity, type IdentifiedBy, type WorkloadIdentity } from './workload-identity.js';
import type { Workload } from './workloads.js';

/**
 * The defaults of reclaiming, read by the CLI and the Lambda from here (one rule, one place).
 *
 * - minIdleSeconds: an hour. A connection opened, used once and then idle for an hour is abandoned by any
 *   reasonable client; a healthy pool's spare connection is used again well within that (and then fails the
 *   used-once test anyway).
 * - maxShare, at least maxFloor, at most maxCeiling: by default one run closes 10% of the leaking workload's
 *   connections on the node, at least one, at most 1000. A leak takes hours to reach maxclients, so a tenth per
 *   run relieves it within a few runs while bounding the harm of a wrong selection: were a connection still
 *   wanted, its application loses at most a tenth of its connections, which its client reconnects. At least one,
 *   so a small leak can be reclaimed at all; at most 1000, because each CLIENT KILL walks the server's whole
 *   client list (O(clients), on the server's single thread). Measured (bench/results.json, section reclaim):
 *   about 80 µs of server time per kill at 10,000 clients and 180 µs at 19,000, so 1000 kills cost 81 and
 *   180 ms, spread over as many round trips (no command over 2.3 ms); at 65,000 clients that extrapolates to
 *   about 0.6 s a run, the most we spend. An explicit --max is bounded by the same ceiling.
 */
export const RECLAIM_DEFAULTS = {
  minIdleSeconds: 3600,
  maxShare: 0.1,
  maxFloor: 1,
  maxCeiling: 1000,
} as const;

/**
 * Reclaiming's settings at each entry point: the CLI's flags, the Lambda's break-glass variables and the CDK
 * config / construct prop `breakGlass`. One rule each, read with policy-rules.ts readSetting.
 * - minIdleSeconds: RECLAIM_DEFAULTS.minIdleSeconds by default; from a second (tests, a server with `timeout`
 *   already low) to a year.
 * - maxPerRun: bounded by the ceiling. Its default is the ceiling for the break-glass, whose own bound is the
 *   warning level (break-glass.ts); the CLI without --max takes the default share of the leak instead.
 */
export const RECLAIM_RULES = {
  minIdleSeconds: {
    kind: 'whole', min: 1, max: 31_536_000, default: RECLAIM_DEFAULTS.minIdleSeconds,
    what: 'reclaim only connections idle at least this many seconds',
    flag: 'min-idle', env: 'RECLAIM_MIN_IDLE_SECONDS', configKey: 'breakGlass.minIdleSeconds',
  },
  maxPerRun: {
    kind: 'whole', min: RECLAIM_DEFAULTS.maxFloor, max: RECLAIM_DEFAULTS.maxCeiling, default: RECLAIM_DEFAULTS.maxCeiling,
    what: 'connections one run may kill at most',
    flag: 'max', env: 'RECLAIM_MAX_PER_RUN', configKey: 'breakGlass.maxPerRun',
  },
} as const satisfies Record<string, NumberRule & { readonly flag: string; readonly env: string; readonly configKey: string }>;

/** The Lambda variable that arms the break-glass ('true'; off when absent or 'false'). */
export const BREAK_GLASS_ENV = 'RECLAIM_BREAK_GLASS';

/** Workloads known only by their address: a NAT gateway, an EKS node or a host of several services is no workload. */
const ADDRESS_ONLY: ReadonlySet<IdentifiedBy> = new Set<IdentifiedBy>(['source-address', 'address-fleet']);
/** The finding kinds that are a leak (findings/leak-finding.ts). */
const LEAK_KINDS: ReadonlySet<Finding['kind']> = new Set<Finding['kind']>(['idle-connections', 'connection-growth']);

export interface ReclaimTarget {
  /** A workload's label as the report prints it (`orders-api`) or its key (`name:orders-api`). */
  readonly workload?: string;
  /** A source address: only connections from it. */
  readonly sourceIp?: string;
}

export interface ReclaimInput {
  /** The node's clients from the audit's last sample, parsed (parseClientList). */
  readonly clients: readonly ClientRecord[];
  readonly role: 'primary' | 'replica';
  /** The audit report's status. */
  readonly reportStatus: 'ok' | 'partial' | 'failed';
  /** False when the node's listing was incomplete (RawNodeSample.incomplete). */
  readonly listingComplete: boolean;
  /** The auditor's own connections: ids and/or `addr` as the server prints it (RawNodeSample.auditorAddresses). */
  readonly auditorIds?: readonly number[];
  readonly auditorAddresses?: readonly string[];
  /** The audit's findings (only leak findings are read), or just the workloads they name. */
  readonly findings: ReadonlyArray<Pick<Finding, 'kind' | 'subject'>>;
  readonly target?: ReclaimTarget;
  readonly minIdleSeconds?: number;
  /** At most this many per run; default RECLAIM_DEFAULTS' share of the workload's connections on the node. */
  readonly max?: number;
  /** Client ids closed by earlier runs on this node: never selected again. */
  readonly alreadyReclaimed?: Iterable<number>;
  /** Source IP -> AWS resource, exactly as the audit was given it (AuditInput.resolvedSources). */
  readonly resolvedSources?: ReadonlyMap<string, Workload>;
  /** The audit's name cache, when the caller kept it; a fresh one normalises the same. */
  readonly names?: NameCache;
  /**
   * How the operator, at this entry point, makes a workload known only by its address reclaimable: the refusal's
   * fix. Default the CLI's (--source vouches for the address); the break-glass has no operator at hand.
   */
  readonly addressOnlyFix?: string;
  /**
   * Whether one leak known only by its address refuses the whole run (default, the CLI: --workload narrows it), or
   * only itself (the break-glass, which cannot be narrowed: an unnamed leak elsewhere must not keep it from
   * reclaiming a named one). Either way such a workload's connections are never selected.
   */
  readonly addressOnlyLeaks?: 'refuse-run' | 'leave-alone';
}

export const CLI_ADDRESS_ONLY_FIX = 'name the address with --source to reclaim its connections';

export interface ReclaimCandidate {
  readonly id: number;
  readonly addr: string;
  /** The workload's label, as in the report. */
  readonly workload: string;
  readonly ageSeconds: number;
  readonly idleSeconds: number;
  /** The line of code that opened it, when its name carries one (origin-name.ts). */
  readonly origin?: string;
}

export const SKIP_REASONS = [
  'own-connection', 'replication-link', 'other-workload', 'already-reclaimed', 'subscriber', 'blocked',
  'in-multi', 'not-idle-long-enough', 'used-more-than-once',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ReclaimSelection {
  /** Why nothing may be selected, as a sentence; null when the selection went ahead. */
  readonly refused: string | null;
  /** Oldest first, at most `max`. */
  readonly selected: ReclaimCandidate[];
  readonly skipped: Record<SkipReason, number>;
  /** Eligible connections left out by `max`. */
  readonly capped: number;
  /** The cap applied (0 when refused). */
  readonly max: number;
}

/** The default cap: RECLAIM_DEFAULTS.maxShare of the workload's connections, within the floor and the ceiling. */
export function defaultReclaimMax(workloadConnections: number): number {
  return boundMax(Math.ceil(Math.max(0, workloadConnections) * RECLAIM_DEFAULTS.maxShare));
}

function boundMax(max: number): number {
  const whole = Number.isFinite(max) ? Math.floor(max) : RECLAIM_DEFAULTS.maxCeiling;
  return Math.min(RECLAIM_DEFAULTS.maxCeiling, Math.max(RECLAIM_DEFAULTS.maxFloor, whole));
}

function noSkips(): Record<SkipReason, number> {
  return Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
}

/** Nothing selected, and why: also for refusals the caller decides (a cluster). */
export function refusedSelection(reason: string): ReclaimSelection {
  return { refused: reason, selected: [], skipped: noSkips(), capped: 0, max: 0 };
}

/** Which workloads are targeted: a predicate on a client's identity, or a refusal. */
type Targeting = { readonly matches: (identity: WorkloadIdentity, client: ClientRecord) => boolean } | { readonly refused: string };

export function selectReclaimable(input: ReclaimInput): ReclaimSelection {
  // Refusals that depend on nothing but the run: a replica's connections are not the application's leak (and
  // killing a replica's clients hides nothing on the primary); a partial report or listing may have missed
  // connections that would change who leaks, or which ids are whose.
  if (input.role !== 'primary') return refusedSelection('The node is a replica: reclaiming acts only on a primary.');
  if (input.reportStatus !== 'ok') return refusedSelection(`The audit is ${input.reportStatus}: reclaiming acts only on a complete audit.`);
  if (!input.listingComplete) return refusedSelection("The node's client listing was incomplete: reclaiming acts only on a complete listing.");

  const names = input.names ?? new NameCache();
  // Each client's workload, decided once: the targeting and the selection both read it.
  const identities = new Map<ClientRecord, WorkloadIdentity>();
  const identify = (client: ClientRecord): WorkloadIdentity => {
    let identity = identities.get(client);
    if (identity === undefined) {
      identity = workloadIdentity(client, input.resolvedSources, names);
      identities.set(client, identity);
    }
    return identity;
  };
  const auditorIds = new Set(input.auditorIds ?? []);
  const auditorAddresses = new Set(input.auditorAddresses ?? []);
  const own = (c: ClientRecord) => auditorIds.has(c.id) || isAuditorConnection(c, auditorAddresses);
  // The clients that could belong to any workload at all (as the analysis counts them, analyse-clients.ts add).
  const counted = input.clients.filter((c) => !own(c) && !isReplicationLink(c));

  const targeting = targetOf(input, counted, identify);
  if ('refused' in targeting) return refusedSelection(targeting.refused);

  const reclaimed = new Set(input.alreadyReclaimed ?? []);
  const minIdleSeconds = input.minIdleSeconds ?? RECLAIM_DEFAULTS.minIdleSeconds;
  // traitsOf reads only the idle threshold from the policy: the same subscriber, blocked, MULTI and used-once
  // rules the leak findings count with.
  const policy = { ...POLICY_DEFAULTS, idleSeconds: minIdleSeconds };
  const skipped = noSkips();
  const eligible: ReclaimCandidate[] = [];
  let workloadConnections = 0;
  for (const client of input.clients) {
    if (own(client)) { skipped['own-connection'] += 1; continue; }
    if (isReplicationLink(client)) { skipped['replication-link'] += 1; continue; }
    const identity = identify(client);
    if (!targeting.matches(identity, client)) { skipped['other-workload'] += 1; continue; }
    workloadConnections += 1;
    if (reclaimed.has(client.id)) { skipped['already-reclaimed'] += 1; continue; }
    const traits = traitsOf(client, policy);
    if (traits.subscriber) { skipped.subscriber += 1; continue; }
    if (traits.blocked) { skipped.blocked += 1; continue; }
    if (traits.inTransaction) { skipped['in-multi'] += 1; continue; }
    if (!traits.idle) { skipped['not-idle-long-enough'] += 1; continue; }
    if (!traits.usedOnce) { skipped['used-more-than-once'] += 1; continue; }
    const origin = parseOriginName(client.name)?.origin;
    eligible.push({
      id: client.id, addr: client.addr, workload: identity.label, ageSeconds: client.ageSeconds, idleSeconds: client.idleSeconds,
      ...(origin === undefined ? {} : { origin }),
    });
  }
  // Oldest first: the longest abandoned are the surest; ids break ties (a lower id was opened earlier).
  eligible.sort((a, b) => b.ageSeconds - a.ageSeconds || a.id - b.id);
  const max = input.max === undefined ? defaultReclaimMax(workloadConnections) : boundMax(input.max);
  const selected = eligible.slice(0, max);
  return { refused: null, selected, skipped, capped: eligible.length - selected.length, max };
}

/**
 * Whether a selected connection, listed again just before the kill, may still be closed: same address, and still
 * idle at least minIdleSeconds, used only when opened, and no subscriber, blocked client or open MULTI. A
 * connection used again between the audit and the kill is spared.
 */
export function stillReclaimable(client: ClientRecord, selected: Pick<ReclaimCandidate, 'id' | 'addr'>, minIdleSeconds: number): boolean {
  if (client.id !== selected.id || client.addr !== selected.addr) return false;
  const traits = traitsOf(client, { ...POLICY_DEFAULTS, idleSeconds: minIdleSeconds });
  return traits.idle && traits.usedOnce && !traits.subscriber && !traits.blocked && !traits.inTransaction;
}

/** "12 not idle long enough, 3 subscribers": why the workload's connections were all left alone. */
export function skipText(selection: ReclaimSelection): string {
  const parts = Object.entries(selection.skipped).filter(([reason, n]) => n > 0 && reason !== 'other-workload' && reason !== 'own-connection' && reason !== 'replication-link')
    .map(([reason, n]) => `${n} ${reason.replace(/-/g, ' ')}`);
  return parts.length > 0 ? parts.join(', ') : 'it has none on this node';
}

function targetOf(input: ReclaimInput, counted: readonly ClientRecord[], identify: (c: ClientRecord) => WorkloadIdentity): Targeting {
  const { workload, sourceIp } = input.target ?? {};
  const fromAddress = sourceIp === undefined ? () => true : (c: ClientRecord) => c.sourceIp === sourceIp;

  if (workload !== undefined) {
    const named = (id: WorkloadIdentity) => id.label === workload || id.key === workload;
    // Weak identification: see the note in the finding branch. Naming the address as well is the operator's
    // word that the address is one program.
    const weak = counted.find((c) => {
      const identity = identify(c);
      return fromAddress(c) && named(identity) && ADDRESS_ONLY.has(identity.identifiedBy);
    });
    if (weak !== undefined && sourceIp === undefined) return weakRefusal(workload, input.addressOnlyFix);
    return { matches: (id, c) => named(id) && fromAddress(c) };
  }

  if (sourceIp !== undefined) {
    // An address alone names one workload only if its connections all belong to one: a host running two named
    // services, or a NAT gateway, must be narrowed with --workload rather than emptied.
    const keys = new Set(counted.filter(fromAddress).map((c) => identify(c).key));
    if (keys.size > 1) {
      return { refused: `The address ${sourceIp} holds connections of ${keys.size} workloads: name the one to reclaim with --workload.` };
    }
    return { matches: (_id, c) => fromAddress(c) };
  }

  const leaks = input.findings.filter((f) => LEAK_KINDS.has(f.kind) && f.subject.workload !== undefined);
  if (leaks.length === 0) return { refused: 'No leak was found and no workload or address was named: there is nothing to reclaim.' };
  // Weak identification: a workload known only by its address (a lone address, or the fleet of unnamed ones)
  // may be several programs behind one address (a NAT gateway, an EKS node, a Lambda Hyperplane interface, a
  // host of several services), and the used-once signature is also how a healthy pool's pre-opened spares look.
  // The audit may say "this address leaks"; closing its connections needs someone to vouch that the address is
  // one program, which is what --source says. One weak finding refuses the whole run rather than silently
  // reclaiming the others: --workload narrows the run to a well identified one.
  const isWeak = (f: Pick<Finding, 'subject'>) => f.subject.identifiedBy !== undefined && ADDRESS_ONLY.has(f.subject.identifiedBy);
  const weak = leaks.find(isWeak);
  const strong = leaks.filter((f) => !isWeak(f));
  if (weak !== undefined && (input.addressOnlyLeaks !== 'leave-alone' || strong.length === 0)) {
    return weakRefusal(weak.subject.workload ?? '', input.addressOnlyFix);
  }
  const targets = strong.map((f) => ({ label: f.subject.workload, identifiedBy: f.subject.identifiedBy }));
  // A label and how it was identified: a client named `10.0.0.5` is not the address 10.0.0.5.
  return { matches: (id) => targets.some((t) => t.label === id.label && (t.identifiedBy === undefined || t.identifiedBy === id.identifiedBy)) };
}

function weakRefusal(workload: string, fix = CLI_ADDRESS_ONLY_FIX): { refused: string } {
  return { refused: `The workload ${workload} is known only by its address, which may be shared by several programs: ${fix}.` };
}
