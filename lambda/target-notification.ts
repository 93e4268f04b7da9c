// Whether one target's run tells anyone (core/notify-policy.ts decides), the 'notify' step that sends the
// summary, and the notification state the next run starts from.
import type { LambdaConfig } from './config.js';
import { buildNotification } from './core/notification-text.js';
import { planNotification, readNotifyState, type NotifyReason, type NotifyState } from './core/notify-policy.js';
import type { AuditReport } from './core/report.js';
import type { AuditState } from './core/state.js';
import type { DeliveryAttempts } from './delivery-steps.js';
import type { Notifier, StoredReport } from './publish/ports.js';

export type NotifySettings = Pick<LambdaConfig, 'notifyCooldownMinutes' | 'notifyAfterFailures'>;

export interface NotifyInput {
  readonly targetName: string;
  readonly report: AuditReport;
  /** The state the run started from: what was last sent, and when. */
  readonly previousState: AuditState | null;
  /** Where the report was stored; undefined when saving it failed (the summary then has no links). */
  readonly stored: StoredReport | undefined;
  readonly now: () => number;
}

export interface NotifyOutcome {
  readonly notified: boolean;
  readonly reason: NotifyReason;
  /** The notification state to save for the next run. */
  readonly state: NotifyState;
}

/** Sends the summary when the policy says so and a topic is configured (null: none). Never throws. */
export async function notifyIfNews(settings: NotifySettings, notifier: Notifier | null, input: NotifyInput, deliveries: DeliveryAttempts): Promise<NotifyOutcome> {
  const previous = readNotifyState(input.previousState);
  const plan = planNotification({
    report: input.report,
    previous,
    nowMs: input.now(),
    cooldownMinutes: settings.notifyCooldownMinutes,
    failureThreshold: settings.notifyAfterFailures,
  });
  if (!plan.send || !notifier) return { notified: false, reason: plan.reason, state: plan.next };
  const sent = await deliveries.attempt('notify', async () => {
    await notifier.publish(buildNotification({
      report: input.report, targetName: input.targetName, reason: plan.reason, newKeys: plan.newKeys, links: linksOf(input.stored, input.now()),
    }));
    return true;
  });
  if (sent === true) return { notified: true, reason: plan.reason, state: plan.next };
  // Not sent: keep the old notification state so that the next run tries again.
  const { lastSentAtMs, fingerprint, failureNotified } = previous;
  return { notified: false, reason: plan.reason, state: { ...plan.next, lastSentAtMs, fingerprint, failureNotified } };
}

function linksOf(stored: StoredReport | undefined, nowMs: number) {
  return {
    consoleUrl: stored?.consoleUrl ?? '',
    ...(stored ? { jsonConsoleUrl: stored.jsonConsoleUrl } : {}),
    presignedUrl: stored?.presignedUrl ?? null,
    presignedExpiresAt: stored?.presignedExpiresAt ?? null,
    nowMs,
  };
}
