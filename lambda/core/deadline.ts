// One deadline per audit of a target: after it no command is started, sampling stops, and what was read is
// reported (partial). A slow server must not keep a run going past the Lambda's timeout, nor a cron job for
// hours. The bounds and defaults live here; the CLI flag, the Lambda setting and the CDK construct import them.

/** `--deadline-seconds` / `AUDIT_DEADLINE_SECONDS`: whole seconds, from 1 s to an hour. */
export const DEADLINE_SECONDS_RANGE = { min: 1, max: 3600 } as const;
/** Beyond the planned sampling (samples and intervals): connecting, listing and closing every node. */
export const DEADLINE_SLACK_SECONDS = 60;
/** In the Lambda: time kept after the audits for delivery (S3 report and state, CloudWatch, SNS). */
export const DELIVERY_RESERVE_MS = 15_000;

/** The default deadline of one audit: its planned sampling plus the slack. */
export function defaultDeadlineSeconds(samples: number, intervalSeconds: number): number {
  return Math.min(DEADLINE_SECONDS_RANGE.max, Math.ceil(Math.max(0, samples - 1) * intervalSeconds) + DEADLINE_SLACK_SECONDS);
}

/**
 * When one target's audit must end: its own deadline from now, and in the Lambda no later than the
 * invocation's end less the delivery reserve (a target that starts late, behind others, gets what is left).
 */
export function auditDeadlineAtMs(nowMs: number, deadlineSeconds: number, invocationEndsAtMs?: number): number {
  const own = nowMs + deadlineSeconds * 1000;
  return invocationEndsAtMs === undefined ? own : Math.min(own, invocationEndsAtMs - DELIVERY_RESERVE_MS);
}
