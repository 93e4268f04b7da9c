// The stall budget: how long one listing command may hold the audited server's main thread, and what the
// auditor does when no listing fits it. Its bounds and defaults are settings like the others, in
// policy-rules.ts (maxStallMs, overBudget); these names are kept for the modules that speak of the budget.
import { OVER_BUDGET_CHOICES, POLICY_RULES, type OverBudget } from './policy-rules.js';

export { OVER_BUDGET_CHOICES, type OverBudget } from './policy-rules.js';

/** `info-only` (policy-rules.ts says why). */
export const DEFAULT_OVER_BUDGET: OverBudget = POLICY_RULES.overBudget.default;

/** One millisecond (policy-rules.ts says why). */
export const DEFAULT_MAX_STALL_MS = POLICY_RULES.maxStallMs.default;

/** 0.1 ms to 1 s (policy-rules.ts says why). */
export const MAX_STALL_MS_RANGE = { min: POLICY_RULES.maxStallMs.min, max: POLICY_RULES.maxStallMs.max } as const;

export function isOverBudget(value: unknown): value is OverBudget {
  return typeof value === 'string' && (OVER_BUDGET_CHOICES as readonly string[]).includes(value);
}
