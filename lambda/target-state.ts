// One target's state between runs (state/<target>.json): read before its audit, written after it. A state that
// could not be read is not written back: that would erase the history it may still hold.
import { baseTarget } from './auth/target-credentials.js';
import type { TargetConfig } from './config.js';
import { restoreState, type AuditState } from './core/state.js';
import type { DeliveryAttempts } from './delivery-steps.js';
import type { ReportStore } from './publish/ports.js';
import type { TargetLog } from './target-log.js';

export interface PreviousState {
  /** null: a first run, or a stored state that could not be read or used. */
  readonly state: AuditState | null;
  /** Why a stored state was not used, for the report. */
  readonly warnings: readonly string[];
  /** False when reading it failed: the state is then left as it is. */
  readonly loaded: boolean;
}

/** The 'load-state' step: the stored state, restored when it belongs to this target. */
export async function loadPreviousState(store: ReportStore, target: TargetConfig, deliveries: DeliveryAttempts, log: TargetLog): Promise<PreviousState> {
  const text = await deliveries.attempt('load-state', () => store.loadState(target.name));
  const restored = restoreState(text ?? null, baseTarget(target).display);
  if (restored.warning) log('warn', 'state not used', { reason: restored.warning });
  return { state: restored.state, warnings: restored.warning ? [restored.warning] : [], loaded: !deliveries.failed('load-state') };
}

/** The 'save-state' step, skipped when the previous state could not be read. */
export async function saveNextState(store: ReportStore, targetName: string, previous: PreviousState, next: AuditState, deliveries: DeliveryAttempts): Promise<void> {
  if (!previous.loaded) return;
  await deliveries.attempt('save-state', () => store.saveState(targetName, next));
}
