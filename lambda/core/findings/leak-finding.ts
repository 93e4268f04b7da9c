// The one finding of a leaking workload: idle connections, connections used only when opened, growth
// and the new connections it keeps holding are views of one defect, reported once, at the highest
// severity any of them earns, with all the evidence and the advice for a leak.
import type { WorkloadGroup } from '../workload-groups.js';
import type { WorkloadGrowth } from '../workload-history.js';
import { IDENTIFIED_BY_TEXT } from '../workload-identity.js';
import { formatSeconds, percent, smallestMaxClients } from './format.js';
import { leakingOrigins, originFields, type LeakBasis } from './leaking-origins.js';
import { originRecommendation, originSentence } from './origin-text.js';
import { RECOMMENDATIONS } from './recommendations.js';
import type { CheckContext, Finding, FindingSubject, Severity } from './types.js';

/** A workload holding this share of maxclients in one suspicious state is critical. */
const CRITICAL_SHARE_OF_MAXCLIENTS = 0.25;
/** Growth that would reach maxclients within this many minutes is critical. */
const CRITICAL_MINUTES_TO_EXHAUSTION = 60;

export function subjectOf(group: WorkloadGroup): FindingSubject {
  const single = group.members === 1 ? group.largestMembers[0]?.sourceIp : undefined;
  return {
    workload: group.label,
    identifiedBy: group.identifiedBy,
    ...(single === undefined ? {} : { sourceIp: single }),
    ...(group.identifiedBy === 'client-name' ? { clientName: group.label } : {}),
    ...(group.identifiedBy === 'acl-user' ? { user: group.key.slice('user:'.length) } : {}),
  };
}

/** `orders-api (client name, 30 addresses, largest 127.0.0.31)`, `10.0.0.5 (source address)`. */
export function describeWorkload(group: WorkloadGroup): string {
  const how = IDENTIFIED_BY_TEXT[group.identifiedBy];
  if (group.identifiedBy === 'source-address') return `${group.label} (${how})`;
  if (group.identifiedBy === 'address-fleet') return `${group.label} (${how}, largest ${group.largestMembers.map((m) => `${m.sourceIp} with ${m.connections}`).slice(0, 3).join(', ')})`;
  const largest = group.largestMembers[0]?.sourceIp;
  if (group.members === 1 && largest !== undefined) return `${group.label} (${how}, at ${largest})`;
  return `${group.label} (${how}, ${group.members} addresses${largest === undefined ? '' : `, largest ${largest}`})`;
}

export function escalate(count: number, context: CheckContext, base: Severity, criticalAt?: number): Severity {
  const maxClients = smallestMaxClients(context.nodes);
  if (maxClients !== null && count >= maxClients * CRITICAL_SHARE_OF_MAXCLIENTS) return 'critical';
  if (criticalAt !== undefined && count >= criticalAt) return 'critical';
  return base;
}

export interface LeakSignals {
  /** One member holds at least the minimum of plain idle connections (the single-host leak). */
  readonly idle: boolean;
  /** Connections used only when opened, at least the minimum on members holding several: a connection per request. */
  readonly usedOnce: boolean;
  readonly growth: WorkloadGrowth | undefined;
}

export function leakSignals(group: Pick<WorkloadGroup, 'connections' | 'maxMemberIdle' | 'usedOnceIdleOnSeveral'>, growth: WorkloadGrowth | undefined, min: number): LeakSignals {
  return {
    idle: group.connections >= min && group.maxMemberIdle >= min,
    usedOnce: group.usedOnceIdleOnSeveral >= min,
    growth,
  };
}

/**
 * Which connections name a leak's origins, the sharpest signal first: used-once idle connections are a client
 * per call, plain idle ones a pool left open, and connections opened in the window only speak for growth.
 */
function originBases(signals: LeakSignals): LeakBasis[] {
  const bases: LeakBasis[] = [];
  if (signals.usedOnce) bases.push('used-once');
  if (signals.idle) bases.push('idle');
  if (signals.growth !== undefined) bases.push('young');
  return bases;
}

/** The one leak finding of a workload (or of the address fleet), from its signals; null when it has none. */
export function leakFinding(group: WorkloadGroup, signals: LeakSignals, context: CheckContext, who = describeWorkload(group)): Finding | null {
  const { policy } = context;
  const { growth } = signals;
  if (!signals.idle && !signals.usedOnce && growth === undefined) return null;
  const parts: string[] = [];
  const idleNumbers = signals.idle || signals.usedOnce;
  if (idleNumbers) {
    parts.push(`${group.idlePlain} (${percent(group.idlePlain / group.connections)}) idle for ${formatSeconds(policy.idleSeconds)} or more`);
    if (group.usedOnceIdle > 0) parts.push(`${group.usedOnceIdle} of them used only when opened`);
  }
  let growthSeverity: Severity = 'warning';
  const growthEvidence: Record<string, number> = {};
  if (growth !== undefined) {
    const maxClients = smallestMaxClients(context.nodes);
    const connected = context.nodes.reduce((sum, view) => sum + (view.counters.connectedClients ?? 0), 0);
    const minutesLeft = maxClients !== null && growth.perMinute > 0 ? Math.max(0, (maxClients - connected) / growth.perMinute) : null;
    if (minutesLeft !== null && minutesLeft < CRITICAL_MINUTES_TO_EXHAUSTION) growthSeverity = 'critical';
    const members = growth.firstMembers === growth.lastMembers ? '' : `, on ${growth.firstMembers} then ${growth.lastMembers} addresses`;
    parts.push(`grew from ${growth.first} to ${growth.last} in ${formatSeconds(Math.round(growth.windowSeconds))} (${growth.perMinute} a minute, ${growth.samples} samples${members})`
      + (minutesLeft === null ? '' : `; at this rate maxclients is reached in about ${Math.round(minutesLeft)} min`));
    Object.assign(growthEvidence, {
      firstConnections: growth.first, lastConnections: growth.last, growth: growth.last - growth.first,
      growthBeyondNewMembers: growth.unexplained, growthPerMinute: growth.perMinute, samples: growth.samples,
      windowSeconds: growth.windowSeconds, firstMembers: growth.firstMembers, lastMembers: growth.lastMembers,
      ...(minutesLeft === null ? {} : { minutesToMaxclients: Math.round(minutesLeft) }),
    });
  }
  const heldNew = context.window.windowSeconds > 0 && group.young > 0
    ? `${group.young} opened in the last ${formatSeconds(Math.round(context.window.windowSeconds))} and still open` : '';
  if (heldNew !== '') parts.push(heldNew);
  const idleSeverity = idleNumbers ? escalate(group.idlePlain, context, 'warning') : 'warning';
  const severity: Severity = growthSeverity === 'critical' || idleSeverity === 'critical' ? 'critical' : 'warning';
  const origins = leakingOrigins(context.analysis?.originsByWorkload.get(group.key), originBases(signals));
  const finding: Finding = {
    kind: growth === undefined ? 'idle-connections' : 'connection-growth',
    severity,
    subject: subjectOf(group),
    message: origins === null
      ? `${who} holds ${group.connections} connections: ${parts.join('; ')}. Connections are opened and not closed`
      : `${who}: ${originSentence(origins, policy)}. The workload holds ${group.connections} connections: ${parts.join('; ')}`,
    evidence: {
      connections: group.connections,
      members: group.members,
      idleConnections: group.idlePlain,
      idleShare: round2(group.idlePlain / Math.max(1, group.connections)),
      usedOnceIdleConnections: group.usedOnceIdle,
      maxIdleOnOneMember: group.maxMemberIdle,
      oldestAgeSeconds: group.oldestAgeSeconds,
      maxIdleSeconds: group.maxIdleSeconds,
      idleThresholdSeconds: policy.idleSeconds,
      ...(heldNew === '' ? {} : { openedInWindowStillOpen: group.young }),
      ...growthEvidence,
    },
    recommendation: origins === null ? RECOMMENDATIONS[growth === undefined ? 'idle-connections' : 'connection-growth'] : originRecommendation(origins),
    ...(group.members > 1 ? { relatedSources: group.largestMembers } : {}),
  };
  return origins === null ? finding : originFields(origins, finding);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
