// Which code locations a workload's leak comes from, when its connection names carry them. The rule is the
// workload's own, at the grain of one line of code in one process: an origin leaks when, on one address, it
// holds SEVERAL_PER_MEMBER or more of the connections behind the finding. One connection per process from a
// line of code is a shared client (`src/redis.ts:3`), never named; several are a client per call.
import type { OriginTally } from '../workload-origins.js';
import { OTHER_ORIGINS } from '../workload-origins.js';
import type { Finding, FindingOrigin } from './types.js';

/** Leaking origins listed in a finding (`leakingOrigins`); the evidence counts them all. */
export const LEAKING_ORIGINS_LISTED = 5;

/**
 * Which of a workload's connections make up its finding: used-once idle connections (a client per call),
 * plain idle ones (one address over the minimum), connections opened in the window and still open (growth),
 * or subscribers left idle or without a subscription (pub/sub).
 */
export type LeakBasis = 'used-once' | 'idle' | 'young' | 'subscribers';

export interface OriginsOfLeak {
  readonly basis: LeakBasis;
  /** Every leaking origin, most leaking connections first. */
  readonly origins: readonly FindingOrigin[];
}

function leakingOf(tally: OriginTally, basis: LeakBasis): number {
  switch (basis) {
    case 'used-once': return tally.onSeveral.usedOnceIdle;
    case 'idle': return tally.onSeveral.idlePlain;
    case 'young': return tally.onSeveral.young;
    // A subscriber without a subscription is a defect alone, as in the workload's rule.
    case 'subscribers': return tally.onSeveral.idleSubscribers + tally.emptySubscribers;
  }
}

/**
 * The leaking origins by the first basis (the finding's sharpest signal first) that names any; null when
 * the workload's names carry no origin or none leaks by these bases. Origins past the per-workload limit,
 * counted together, are never named: they are no place in the code (a limitation says so).
 */
export function leakingOrigins(tallies: readonly OriginTally[] | undefined, bases: readonly LeakBasis[]): OriginsOfLeak | null {
  if (tallies === undefined) return null;
  for (const basis of bases) {
    const origins = tallies
      .filter((t) => t.origin !== OTHER_ORIGINS)
      .map((t): FindingOrigin => ({
        origin: t.origin, hashed: t.origin.startsWith('#'), leakingConnections: leakingOf(t, basis), connections: t.connections,
        idleConnections: t.idlePlain, usedOnceIdleConnections: t.usedOnceIdle, idleSubscribers: t.idleSubscribers,
      }))
      .filter((o) => o.leakingConnections > 0)
      .sort((a, b) => b.leakingConnections - a.leakingConnections || b.connections - a.connections || a.origin.localeCompare(b.origin));
    if (origins.length > 0) return { basis, origins };
  }
  return null;
}

/** What a finding gains from its leaking origins: the subject's origin, two evidence numbers, the list. */
export function originFields(leak: OriginsOfLeak, finding: Finding): Finding {
  const [top] = leak.origins;
  if (top === undefined) return finding;
  return {
    ...finding,
    subject: { ...finding.subject, origin: top.origin },
    evidence: { ...finding.evidence, leakingOrigins: leak.origins.length, leakingConnectionsAtOrigin: top.leakingConnections },
    leakingOrigins: leak.origins.slice(0, LEAKING_ORIGINS_LISTED),
  };
}
