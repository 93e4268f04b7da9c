// What `reclaim` prints after the report: the refusal, or what it would kill (dry run) or killed (--apply),
// per workload, with the skip counts. Workload names come from the server: safeCell keeps them one clean line.
import type { ReclaimOutcome } from './reclaim.js';
import { safeCell } from './text-table.js';

export function renderReclaim(outcome: ReclaimOutcome): string {
  const lines = ['', outcome.applied ? 'Reclaim (--apply):' : 'Reclaim (dry run; nothing was killed, --apply kills):'];
  if (outcome.refused !== null) {
    lines.push(`  refused: ${outcome.refused}`);
    return lines.join('\n') + '\n';
  }
  const perWorkload = new Map<string, number>();
  for (const c of outcome.selected) perWorkload.set(c.workload, (perWorkload.get(c.workload) ?? 0) + 1);
  const verb = outcome.applied ? `killed ${outcome.killed} of ${outcome.selected.length} selected` : `would kill ${outcome.selected.length}`;
  lines.push(`  ${verb} connection${outcome.selected.length === 1 ? '' : 's'}${outcome.capped > 0 ? ` (${outcome.capped} more left by --max)` : ''}`);
  for (const [workload, count] of perWorkload) lines.push(`    ${safeCell(workload, 80)}: ${count}`);
  for (const c of outcome.selected) {
    lines.push(`    id ${c.id} ${safeCell(c.addr, 60)} ${safeCell(c.workload, 60)} age ${c.ageSeconds}s idle ${c.idleSeconds}s${c.origin ? ` ${safeCell(c.origin, 80)}` : ''}`);
  }
  const skipped = Object.entries(outcome.skipped).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`);
  lines.push(`  skipped: ${skipped.length > 0 ? skipped.join(', ') : 'none'}`);
  if (outcome.stoppedBy !== undefined) lines.push(`  ${safeCell(outcome.stoppedBy, 200)}`);
  return lines.join('\n') + '\n';
}
