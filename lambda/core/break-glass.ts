// The Lambda's opt-in break-glass (issue 19), decided here, purely: after the audit, whether to reclaim and what.
// It acts only when all of these hold, and otherwise says which one did not:
//   - it is armed (RECLAIM_BREAK_GLASS, the construct's `breakGlass`), and the target is one standalone server;
//   - the server is at or above the critical share of maxclients (policy.maxclientsCritical);
//   - a leak is identified, and selectReclaimable (reclaim-selection.ts, the CLI's own rules) allows it;
//   - the target has the break-glass's own credential (reclaimSecretArn), checked last, so that the report of a
//     target without one still lists what would have been closed.
// It closes at most what brings the server back to the warning share (policy.maxclientsWarn), and at most
// maxPerRun. The edge (lambda/break-glass-run.ts) connects with that credential and kills.
import type { RawNodeSample } from './model.js';
import { isClusterAudit, reclaimInputOf } from './reclaim-input.js';
import { selectionSection, type ReclaimGoal, type ReclaimReport } from './reclaim-report.js';
import { refusedSelection, selectReclaimable, skipText, type ReclaimSelection } from './reclaim-selection.js';
import type { AuditReport } from './report.js';

export interface BreakGlassSettings {
  readonly enabled: boolean;
  /** RECLAIM_RULES.maxPerRun. */
  readonly maxPerRun: number;
  /** RECLAIM_RULES.minIdleSeconds. */
  readonly minIdleSeconds: number;
}

export interface BreakGlassInput {
  readonly report: AuditReport;
  /** The audit's last round of samples (one per node). */
  readonly lastRound: readonly RawNodeSample[];
  readonly settings: BreakGlassSettings;
  /** Whether the target has the break-glass's credential (reclaimSecretArn). */
  readonly hasCredential: boolean;
  /** Ids reclaimed on this node by earlier runs (the state's memory). */
  readonly alreadyReclaimed: (node: string) => Iterable<number>;
}

/** Act: kill `selection.selected` on `node`; or the report's section, saying why not. */
export type BreakGlassPlan =
  | { readonly act: true; readonly node: string; readonly selection: ReclaimSelection; readonly goal: ReclaimGoal }
  | { readonly act: false; readonly section: ReclaimReport };

/** No one is at hand to vouch for an address (the CLI's --source): the workload must be named some other way. */
export const BREAK_GLASS_ADDRESS_ONLY_FIX = 'name its clients (CLIENT SETNAME) or turn on RESOLVE_SOURCE_IPS, so that the break-glass can tell whose '
  + 'connections they are; it never reclaims a workload known only by its address';

export const BREAK_GLASS_CLUSTER_REFUSAL = 'The target is a Redis Cluster: the break-glass acts only on a standalone server.';

export function planBreakGlass(input: BreakGlassInput): BreakGlassPlan | null {
  const { report, settings } = input;
  if (!settings.enabled) return null;
  const minIdleSeconds = settings.minIdleSeconds;
  const sample = input.lastRound.length === 1 ? input.lastRound[0] : undefined;
  if (isClusterAudit(report, input.lastRound)) {
    return notActing('refused', BREAK_GLASS_CLUSTER_REFUSAL, minIdleSeconds);
  }
  const node = report.nodes[0];
  if (sample === undefined || node === undefined || report.status === 'failed') {
    return notActing('refused', 'The audit could not read the server: the break-glass acts only on a complete audit.', minIdleSeconds);
  }
  const { connectedClients, maxClients } = node;
  if (connectedClients === null || maxClients === null || maxClients <= 0) {
    return notActing('refused', 'The server did not say its connected clients and maxclients: the break-glass cannot tell how close it is to the limit.', minIdleSeconds, sample.node);
  }
  const utilization = connectedClients / maxClients;
  const { maxclientsWarn, maxclientsCritical } = report.policy;
  if (utilization < maxclientsCritical) {
    return notActing('not-needed', `Connections are at ${percent(utilization)} of maxclients, below the critical level (${percent(maxclientsCritical)}).`, minIdleSeconds, sample.node);
  }
  const keepAtMost = Math.floor(maxClients * maxclientsWarn);
  const goal: ReclaimGoal = { connectedClients, maxClients, keepAtMost, needed: Math.max(0, connectedClients - keepAtMost) };
  // Only when the warning level equals the critical one: at it, and not above. (Checked here, because the
  // selection's floor would still allow one connection.)
  if (goal.needed === 0) {
    return notActing('not-needed', `Connections are at ${percent(utilization)} of maxclients, not above the warning level (${percent(maxclientsWarn)}) the break-glass reclaims down to.`, minIdleSeconds, sample.node, goal);
  }

  const selection = selectReclaimable({
    ...reclaimInputOf(report, sample),
    minIdleSeconds,
    max: Math.min(settings.maxPerRun, goal.needed),
    alreadyReclaimed: input.alreadyReclaimed(sample.node),
    addressOnlyFix: BREAK_GLASS_ADDRESS_ONLY_FIX,
    addressOnlyLeaks: 'leave-alone',
  });
  const at = { mode: 'break-glass', node: sample.node, minIdleSeconds, goal } as const;
  if (selection.refused !== null) return { act: false, section: selectionSection(selection, at, 'refused') };
  if (selection.selected.length === 0) {
    return { act: false, section: selectionSection(selection, at, 'refused', `None of the leaking workload's connections may be closed (${skipText(selection)}).`) };
  }
  if (!input.hasCredential) {
    const reason = 'The target has no reclaim credential (reclaimSecretArn: a Redis user with the read-only rule plus +client|kill), '
      + 'and the audit\'s own user is read-only.';
    return { act: false, section: selectionSection(selection, at, 'refused', reason) };
  }
  return { act: true, node: sample.node, selection, goal };
}

function notActing(outcome: 'refused' | 'not-needed', reason: string, minIdleSeconds: number, node: string | null = null, goal?: ReclaimGoal): BreakGlassPlan {
  return { act: false, section: selectionSection(refusedSelection(reason), { mode: 'break-glass', node, minIdleSeconds, ...(goal ? { goal } : {}) }, outcome) };
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
