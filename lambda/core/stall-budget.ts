// The stall budget: how long one listing command may hold the audited server's main thread, and what the
// auditor does when no listing fits it. The bounds and defaults live here only: the CLI flags, the Lambda's
// environment, the CDK config and the construct all read them from this module.

/** What to do when no listing fits the budget (`--over-budget`). */
export const OVER_BUDGET_CHOICES = ['info-only', 'list-all'] as const;
/** `info-only` or `list-all` (OVER_BUDGET_CHOICES): what the auditor does when no listing fits `maxStallMs`. */
export type OverBudget = (typeof OVER_BUDGET_CHOICES)[number];

/**
 * `info-only`: this run reports from INFO alone, with a limitation, and the ids found so far are kept so that
 * the next runs finish the listing within the budget. `list-all`: one plain CLIENT LIST, whatever it stalls.
 */
export const DEFAULT_OVER_BUDGET: OverBudget = 'info-only';

/** One millisecond: a request arriving during the auditor's command waits at most about that long. */
export const DEFAULT_MAX_STALL_MS = 1;

/** Below 0.1 ms a batch could not hold even a few live clients; above 1 s it is no budget at all. */
export const MAX_STALL_MS_RANGE = { min: 0.1, max: 1000 } as const;

export function isOverBudget(value: unknown): value is OverBudget {
  return typeof value === 'string' && (OVER_BUDGET_CHOICES as readonly string[]).includes(value);
}
