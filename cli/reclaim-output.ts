// What `reclaim` prints after the report, from the report's `reclaim` section (lambda/core/reclaim-report.ts):
// the sentence every output prints, then whose connections per workload, the connections selected (oldest
// first, the first SELECTED_ROWS), what was left alone and why, and why killing stopped early. Workload names,
// origins, addresses and reasons come from the server: safeCell keeps each one clean and on its line.
import { boundText, leftOpenBecause, type ReclaimReport } from '../lambda/core/reclaim-report.js';
import { palette, safeCell, shortDuration, table, thousands } from './text-table.js';

/** Selected connections listed; the rest are counted (the --json report has them all). */
export const SELECTED_ROWS = 50;

const OUTCOME_TEXT: Readonly<Record<ReclaimReport['outcome'], string>> = {
  reclaimed: '--apply', 'dry-run': 'dry run; nothing was killed, --apply kills', 'not-needed': 'not needed', refused: 'refused',
};

export function renderReclaim(r: ReclaimReport, color = false): string {
  const p = palette(color);
  const outcome = r.mode === 'break-glass' && r.outcome === 'reclaimed' ? 'reclaimed' : OUTCOME_TEXT[r.outcome] ?? safeCell(r.outcome, 20);
  const lines = ['', p.bold(`${r.mode === 'break-glass' ? 'Break-glass' : 'Reclaim'} (${outcome}):`)];
  // The sentence whole: the page and the messages print the same words.
  const sentence = safeCell(r.summary, 2000);
  lines.push(`  ${r.outcome === 'reclaimed' ? p.yellow(sentence) : r.outcome === 'refused' ? p.red(sentence) : sentence}`);
  if (r.node !== null) lines.push(`  node: ${safeCell(r.node, 120)}`);
  if (r.goal !== undefined) {
    const g = r.goal;
    lines.push(`  goal: keep at most ${thousands(g.keepAtMost)} of maxclients ${thousands(g.maxClients)} in use (${thousands(g.connectedClients)} in use, ${thousands(g.needed)} over)`);
  }
  if (r.reason !== null && !r.summary.includes(r.reason)) lines.push(`  reason: ${safeCell(r.reason, 400)}`);
  if (r.outcome === 'not-needed') return lines.join('\n') + '\n';

  if (r.outcome === 'reclaimed') {
    lines.push(`  killed: ${thousands(r.killed)} of ${thousands(r.selected.length)} selected`
      + (r.spared > 0 ? ` (${thousands(r.spared)} gone or used again when checked, left alone)` : ''));
  }
  lines.push(`  eligible: idle at least ${shortDuration(r.minIdleSeconds)} and used only when opened; ${boundText(r, thousands)}`
    + (r.capped > 0 ? ` (${thousands(r.capped)} more left open: ${leftOpenBecause(r, thousands)})` : ''));

  if (r.byWorkload.length > 0) {
    lines.push('  per workload:');
    lines.push(table([{ header: 'workload', max: 60 }, { header: 'opened at', max: 80 }, { header: 'selected', align: 'right' }],
      r.byWorkload.map((w) => [w.workload, w.origin ?? '-', thousands(w.selected)]), '    '));
  }
  if (r.selected.length > 0) {
    lines.push(`  selected (oldest first${r.outcome === 'reclaimed' ? '; each looked up again just before CLIENT KILL ID' : ''}):`);
    lines.push(table([
      { header: 'id', align: 'right' }, { header: 'address', max: 60 }, { header: 'workload', max: 60 }, { header: 'age', align: 'right' },
      { header: 'idle', align: 'right' }, { header: 'opened at', max: 80 },
    ], r.selected.slice(0, SELECTED_ROWS).map((c) => [c.id, c.addr, c.workload, shortDuration(c.ageSeconds), shortDuration(c.idleSeconds), c.origin ?? '-']), '    '));
    const more = r.selected.length - SELECTED_ROWS;
    if (more > 0) lines.push(`    ... and ${thousands(more)} more (--json lists them all)`);
  }
  const skipped = Object.entries(r.skipped).filter(([, n]) => n > 0).map(([reason, n]) => `${safeCell(reason, 40)} ${thousands(n)}`);
  lines.push(`  skipped: ${skipped.length > 0 ? skipped.join(', ') : 'none'}`);
  if (r.stoppedBy !== undefined) lines.push(p.yellow(`  stopped early: ${safeCell(r.stoppedBy, 300)}`));
  return lines.join('\n') + '\n';
}
