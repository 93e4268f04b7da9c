// `redis-leak-audit reclaim` (issue 19): selects from the audit's own last sample (reclaim-input.ts: the same
// listing and workloads the report shows, no second CLIENT LIST), with the pure rules of
// lambda/core/reclaim-selection.ts; only with --apply are the selected connections closed, by
// lambda/redis/reclaim-kills.ts (CLIENT KILL ID, one id at a time, after looking the ids up again).
// Standalone servers only: a cluster is refused. The result is the report's `reclaim` section.
import { auditDeadlineAtMs } from '../lambda/core/deadline.js';
import { isClusterAudit, reclaimInputOf } from '../lambda/core/reclaim-input.js';
import { killedSection, selectionSection, type ReclaimReport } from '../lambda/core/reclaim-report.js';
import { refusedSelection, selectReclaimable, skipText, type ReclaimSelection } from '../lambda/core/reclaim-selection.js';
import { reclaimedIdsOf, withReclaimedIds } from '../lambda/core/state.js';
import { killSelected } from '../lambda/redis/reclaim-kills.js';
import type { RedisTarget } from '../lambda/redis/target-url.js';
import type { RunAuditResult } from '../lambda/run-audit.js';
import type { AuditState } from '../lambda/core/state.js';
import type { ReclaimOptions } from './args.js';

export const CLUSTER_REFUSAL = 'The target is a Redis Cluster: reclaiming acts only on a standalone server.';

export interface CliReclaim {
  readonly section: ReclaimReport;
  /** The audit's state with the ids closed added, for the state file (never selected again). */
  readonly state: AuditState;
}

export async function reclaimAfterAudit(
  result: RunAuditResult, target: RedisTarget, options: ReclaimOptions, previousState: AuditState | null,
): Promise<CliReclaim> {
  const { report } = result;
  const sample = result.lastRound.length === 1 ? result.lastRound[0] : undefined;
  const node = sample?.node ?? null;
  const at = { mode: 'cli', node, minIdleSeconds: options.minIdleSeconds } as const;
  const section = (selection: ReclaimSelection, outcome: ReclaimReport['outcome']): CliReclaim => ({
    section: selectionSection(selection, at, outcome), state: result.state,
  });
  if (isClusterAudit(report, result.lastRound)) return section(refusedSelection(CLUSTER_REFUSAL), 'refused');
  if (sample === undefined) return section(refusedSelection(`The audit is ${report.status}: reclaiming acts only on a complete audit.`), 'refused');

  const runId = report.nodes[0]?.run_id ?? null;
  const selection = selectReclaimable({
    ...reclaimInputOf(report, sample),
    target: {
      ...(options.workload === undefined ? {} : { workload: options.workload }),
      ...(options.sourceIp === undefined ? {} : { sourceIp: options.sourceIp }),
    },
    minIdleSeconds: options.minIdleSeconds,
    ...(options.max === undefined ? {} : { max: options.max }),
    alreadyReclaimed: reclaimedIdsOf(previousState, sample.node, runId),
  });
  if (selection.refused !== null) return section(selection, 'refused');
  if (!options.apply) return section(selection, 'dry-run');
  if (selection.selected.length === 0) {
    return section({ ...selection, refused: `None of the workload's connections may be closed (${skipText(selection)}).` }, 'not-needed');
  }
  const kills = await killSelected({
    target, selected: selection.selected, minIdleSeconds: options.minIdleSeconds,
    timeouts: { connectTimeoutMs: options.connectTimeoutMs, commandTimeoutMs: options.commandTimeoutMs },
    // As in the Lambda (break-glass-run.ts): the kill step gets the audit's time budget again, from its own start.
    deadlineAtMs: auditDeadlineAtMs(Date.now(), options.deadlineSeconds),
  });
  if (kills.refused !== undefined) return section({ ...selection, refused: kills.refused }, 'refused');
  return { section: killedSection(selection, at, kills), state: withReclaimedIds(result.state, sample.node, runId, kills.killed) };
}
