// The Lambda's break-glass after one target's audit (issue 19): the core decides (core/break-glass.ts); when it
// says act, the target's separate reclaim credential (reclaimSecretArn) is read and the selected connections are
// closed (redis/reclaim-kills.ts). The report gets the `reclaim` section, the state the ids closed. Never
// throws: whatever fails is said in the section, and the audit's report is delivered as it is.
import type { LambdaConfig, TargetConfig } from './config.js';
import { planBreakGlass } from './core/break-glass.js';
import { auditDeadlineAtMs } from './core/deadline.js';
import { killedSection, selectionSection, type ReclaimReport } from './core/reclaim-report.js';
import { reclaimedIdsOf, withReclaimedIds, type AuditState } from './core/state.js';
import { killSelected } from './redis/reclaim-kills.js';
import type { RedisTarget } from './redis/target-url.js';
import type { RunAuditResult } from './run-audit.js';
import { describeError, type TargetLog } from './target-log.js';

export type BreakGlassRunSettings = Pick<LambdaConfig, 'breakGlass' | 'connectTimeoutMs' | 'commandTimeoutMs' | 'auditDeadlineSeconds'>;

export interface BreakGlassDeps {
  /** The target with its reclaim credential instead of the audit's (throws when the secret cannot be read). */
  readonly reclaimConnectable?: (target: TargetConfig) => Promise<RedisTarget>;
  readonly invocationEndsAtMs?: number;
  readonly now?: () => number;
}

/** The audit's result with the break-glass's section and memory; the same result when it is not armed. */
export async function breakGlassAfterAudit(
  settings: BreakGlassRunSettings, target: TargetConfig, result: RunAuditResult, previous: AuditState | null, deps: BreakGlassDeps, log: TargetLog,
): Promise<RunAuditResult> {
  const { report } = result;
  const runId = report.nodes[0]?.run_id ?? null;
  const plan = planBreakGlass({
    report,
    lastRound: result.lastRound,
    settings: settings.breakGlass,
    hasCredential: target.reclaimSecretArn !== undefined && deps.reclaimConnectable !== undefined,
    alreadyReclaimed: (node) => reclaimedIdsOf(previous, node, runId),
  });
  if (plan === null) return result;
  if (!plan.act) {
    if (plan.section.outcome === 'refused') log('warn', 'break-glass did not act', { reason: plan.section.reason, wouldClose: plan.section.selected.length });
    return { ...result, report: { ...report, reclaim: plan.section } };
  }

  const { node, selection, goal } = plan;
  const at = { mode: 'break-glass', node, minIdleSeconds: settings.breakGlass.minIdleSeconds, goal } as const;
  const withSection = (reclaim: ReclaimReport, state = result.state): RunAuditResult => ({ ...result, report: { ...report, reclaim }, state });

  let killer: RedisTarget;
  try {
    killer = await (deps.reclaimConnectable as NonNullable<BreakGlassDeps['reclaimConnectable']>)(target);
  } catch (err) {
    const reason = `The reclaim credential could not be read (${describeError(err)}).`;
    log('warn', 'break-glass did not act', { reason });
    return withSection(selectionSection(selection, at, 'refused', reason));
  }
  const now = deps.now ?? Date.now;
  const kills = await killSelected({
    target: killer, selected: selection.selected, minIdleSeconds: at.minIdleSeconds,
    timeouts: { connectTimeoutMs: settings.connectTimeoutMs, commandTimeoutMs: settings.commandTimeoutMs },
    deadlineAtMs: auditDeadlineAtMs(now(), settings.auditDeadlineSeconds, deps.invocationEndsAtMs),
    now,
  });
  if (kills.refused !== undefined) {
    log('warn', 'break-glass did not act', { reason: kills.refused });
    return withSection(selectionSection(selection, at, 'refused', kills.refused));
  }
  const reclaim = killedSection(selection, at, kills);
  log('warn', 'break-glass reclaimed connections', {
    node, killed: kills.killed.length, spared: kills.spared, selected: selection.selected.length, capped: selection.capped,
    connectedClients: goal.connectedClients, keepAtMost: goal.keepAtMost, ...(kills.stoppedBy === undefined ? {} : { stoppedBy: kills.stoppedBy }),
  });
  return withSection(reclaim, withReclaimedIds(result.state, node, runId, kills.killed));
}
