// What a reclaim did, as the report's `reclaim` section (schema/report.schema.json): written by the CLI's
// `reclaim` and by the Lambda's break-glass, read by every output (terminal, HTML, e-mail, Slack, metrics).
// Types and the one sentence every output prints, so that the terminal, the page and the message say the same.
import type { ReclaimCandidate, ReclaimSelection, SkipReason } from './reclaim-selection.js';

/**
 * - reclaimed: CLIENT KILL ID was sent (CLI --apply, or the break-glass acting); `killed` says how many the
 *   server confirmed.
 * - dry-run: the CLI without --apply: `selected` is what --apply would kill.
 * - not-needed: nothing to do: the break-glass's target is below the critical level, or every selected connection
 *   was gone or used again by the kill (a leak that is not identified is a refusal: the server may still be full).
 * - refused: a safety rule, or the missing reclaim credential, said no (`reason`).
 */
export type ReclaimOutcomeKind = 'reclaimed' | 'dry-run' | 'not-needed' | 'refused';

/** The level the break-glass reclaims down to: connections in use at most `keepAtMost` of `maxClients`. */
export interface ReclaimGoal {
  readonly connectedClients: number;
  readonly maxClients: number;
  /** maxclients x the warning share, rounded down. */
  readonly keepAtMost: number;
  /** connectedClients - keepAtMost: what reaching the goal takes (before the per-run cap). */
  readonly needed: number;
}

/** Per workload (and the line of code that opened them, when named): how many were selected. */
export interface ReclaimWorkloadCount {
  readonly workload: string;
  readonly origin?: string;
  readonly selected: number;
}

export interface ReclaimReport {
  /** cli: `redis-leak-audit reclaim`; break-glass: the Lambda's opt-in reclaiming at the critical level. */
  readonly mode: 'cli' | 'break-glass';
  readonly outcome: ReclaimOutcomeKind;
  /** Why nothing was (or not everything was) killed, one sentence; null when there is nothing to explain. */
  readonly reason: string | null;
  /** The node acted on (`host:port`), null when the run stopped before choosing one. */
  readonly node: string | null;
  /** Oldest first; at most the per-run cap (RECLAIM_DEFAULTS.maxCeiling). */
  readonly selected: readonly ReclaimCandidate[];
  readonly byWorkload: readonly ReclaimWorkloadCount[];
  /** Kills the server confirmed; 0 unless `outcome` is reclaimed. */
  readonly killed: number;
  /** Selected, then left alone: gone, or used again, when checked just before the kill. */
  readonly spared: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Eligible connections left out by the per-run cap (or the goal). */
  readonly capped: number;
  readonly minIdleSeconds: number;
  /** The cap this run applied (0 when nothing was selected). */
  readonly max: number;
  /** The break-glass only: the level it reclaims down to. */
  readonly goal?: ReclaimGoal;
  /** Why killing stopped before every selected connection was handled (the kills before it are counted). */
  readonly stoppedBy?: string;
  /** The one sentence every output prints (reclaimSentence). */
  readonly summary: string;
}

/** `1,200`: the numbers of every reclaim text (notification-parts.ts reads these too). */
export const thousands = (n: number) => n.toLocaleString('en-US');
/** `1 idle connection`, `1,200 idle connections`. */
export const plural = (n: number, one: string, many = `${one}s`) => `${thousands(n)} ${n === 1 ? one : many}`;

/** Per workload and origin, most selected first: what the sentence and the tables name. */
export function countByWorkload(selected: readonly ReclaimCandidate[]): ReclaimWorkloadCount[] {
  const counts = new Map<string, { workload: string; origin?: string; selected: number }>();
  for (const c of selected) {
    const key = `${c.workload}\u0000${c.origin ?? ''}`;
    const entry = counts.get(key) ?? { workload: c.workload, ...(c.origin === undefined ? {} : { origin: c.origin }), selected: 0 };
    entry.selected += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.selected - a.selected || a.workload.localeCompare(b.workload));
}

/** "orders-api opened at handlers/user.ts:15 (1,100) and billing (100)": whose connections, at most three named. */
function whose(byWorkload: readonly ReclaimWorkloadCount[]): string {
  const named = byWorkload.slice(0, 3).map((w) => `${w.workload}${w.origin === undefined ? '' : ` opened at ${w.origin}`}`
    + (byWorkload.length > 1 ? ` (${thousands(w.selected)})` : ''));
  const more = byWorkload.length > 3 ? ` and ${plural(byWorkload.length - 3, 'other workload')}` : '';
  return named.length <= 1 ? `${named[0] ?? 'the leaking workload'}${more}` : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}${more}`;
}

/** "to keep at most 8,000 of maxclients 10,000 in use": the break-glass's goal, when it has one. */
function goalText(goal: ReclaimGoal | undefined): string {
  return goal === undefined ? '' : `, to keep at most ${thousands(goal.keepAtMost)} of maxclients ${thousands(goal.maxClients)} in use`;
}

/** The one sentence every output prints for a reclaim (terminal, HTML, e-mail, Slack). */
export function reclaimSentence(r: Omit<ReclaimReport, 'summary'>): string {
  const who = r.mode === 'break-glass' ? 'Break-glass' : 'Reclaim';
  switch (r.outcome) {
    case 'reclaimed': {
      const partly = r.killed < r.selected.length
        ? ` (${thousands(r.killed)} of ${thousands(r.selected.length)} selected${r.spared > 0 ? `; ${thousands(r.spared)} were gone or used again when checked` : ''})`
        : '';
      const stopped = r.stoppedBy === undefined ? '' : ` Stopped early: ${r.stoppedBy}.`;
      return `Reclaimed ${plural(r.killed, 'idle connection')} of ${whose(r.byWorkload)}${goalText(r.goal)}${partly}; `
        + `the leak is still there: fix it (see the finding).${stopped}`;
    }
    case 'dry-run':
      return r.selected.length === 0
        ? `Reclaim (dry run): nothing to close.${r.reason === null ? '' : ` ${r.reason}`}`
        : `Reclaim (dry run): would close ${plural(r.selected.length, 'idle connection')} of ${whose(r.byWorkload)}; nothing was killed (--apply closes them).`;
    case 'not-needed':
      return `${who}: not needed. ${r.reason ?? ''}`.trim();
    case 'refused': {
      const would = r.selected.length > 0 ? ` It would have closed ${plural(r.selected.length, 'idle connection')} of ${whose(r.byWorkload)}${goalText(r.goal)}.` : '';
      return `${who} did not act: ${r.reason ?? 'refused.'} Nothing was killed.${would}`;
    }
  }
}

/** The section, with its byWorkload and summary derived from the rest (one place for both). */
export function reclaimReport(r: Omit<ReclaimReport, 'summary' | 'byWorkload'>): ReclaimReport {
  const withCounts = { ...r, byWorkload: countByWorkload(r.selected) };
  return { ...withCounts, summary: reclaimSentence(withCounts) };
}

/** Where a selection was made: who reclaims, on which node, with which idle bound, towards which level. */
export interface ReclaimContext {
  readonly mode: ReclaimReport['mode'];
  readonly node: string | null;
  readonly minIdleSeconds: number;
  readonly goal?: ReclaimGoal;
}

/** What the kills of a selection came to (redis/reclaim-kills.ts). */
export interface ReclaimKills {
  readonly killed: readonly number[];
  readonly spared: number;
  readonly stoppedBy?: string;
}

/** A selection's section: what was selected, what was left and why, and the kills when there were some. */
export function selectionSection(
  selection: ReclaimSelection, at: ReclaimContext, outcome: ReclaimOutcomeKind, reason: string | null = selection.refused, kills?: ReclaimKills,
): ReclaimReport {
  return reclaimReport({
    mode: at.mode, outcome, reason, node: at.node, selected: selection.selected,
    killed: kills?.killed.length ?? 0, spared: kills?.spared ?? 0, skipped: selection.skipped, capped: selection.capped,
    minIdleSeconds: at.minIdleSeconds, max: selection.max, ...(at.goal ? { goal: at.goal } : {}),
    ...(kills?.stoppedBy === undefined ? {} : { stoppedBy: kills.stoppedBy }),
  });
}

/**
 * The section after the kills: reclaimed when at least one was closed; refused when the first kill failed;
 * not needed when every selected connection was gone or used again by the time it was looked up.
 */
export function killedSection(selection: ReclaimSelection, at: ReclaimContext, kills: ReclaimKills): ReclaimReport {
  if (kills.killed.length > 0) return selectionSection(selection, at, 'reclaimed', null, kills);
  if (kills.stoppedBy !== undefined) return selectionSection(selection, at, 'refused', `${capitalized(kills.stoppedBy)}.`, kills);
  return selectionSection(selection, at, 'not-needed',
    `All ${selection.selected.length} selected connections were gone or used again when looked up just before the kill.`, kills);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The selection's bound in words, for every output: "at most 1,000 per run" (the CLI's --max or its default), or
 * "at most 10 this run" when the break-glass's goal bounded it (max = min(maxPerRun, goal.needed)).
 */
export function boundText(r: Pick<ReclaimReport, 'max' | 'goal'>, format: (n: number) => string): string {
  return `at most ${format(r.max)} ${r.goal === undefined ? 'per' : 'this'} run`;
}

/** Why eligible connections stayed open: the break-glass's goal was met, or the per-run cap was reached. */
export function leftOpenBecause(r: Pick<ReclaimReport, 'max' | 'goal'>, format: (n: number) => string): string {
  if (r.goal !== undefined && r.max >= r.goal.needed) {
    return `closing ${format(r.goal.needed)} was enough to get down to ${format(r.goal.keepAtMost)}`;
  }
  return 'the per-run cap';
}
