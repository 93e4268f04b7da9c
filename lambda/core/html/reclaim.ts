// What reclaiming did (issue 19): the CLI's `reclaim` or the Lambda's break-glass, from the report's `reclaim`
// section. The sentence every output prints (reclaim-report.ts reclaimSentence), then the facts behind it:
// whose connections per workload and the line of code that opened them, the connections selected (oldest
// first), what was left alone and why, and the level the break-glass reclaims down to. Right after the verdict
// when connections were closed, would be (dry run) or the break-glass refused; near the end when it was not
// needed. Workload names, origins, addresses and reasons come from the server or the report: all escaped.
import { boundText, leftOpenBecause, type ReclaimReport } from '../reclaim-report.js';
import { facts, jsonReport, moreNote, section, table, type PageContext, type Row } from './blocks.js';
import { count, duration, plural } from './format.js';
import { clip, html, type Fragment, type Html } from './markup.js';

export const RECLAIM_ROWS = 50;
const WORKLOAD_ROWS = 20;

/** Why connections of the node were left alone, in words; an unknown reason (a newer report) is shown escaped. */
const SKIP_TEXT: Readonly<Record<string, readonly [one: string, many: string]>> = {
  'own-connection': ["the auditor's own", "the auditor's own"],
  'replication-link': ['replication link', 'replication links'],
  'other-workload': ['other workload', 'other workloads'],
  'already-reclaimed': ['already reclaimed', 'already reclaimed'],
  subscriber: ['subscriber', 'subscribers'],
  blocked: ['blocked', 'blocked'],
  'in-multi': ['inside MULTI', 'inside MULTI'],
  'not-idle-long-enough': ['not idle long enough', 'not idle long enough'],
  'used-more-than-once': ['used more than once', 'used more than once'],
};

const OUTCOME_TEXT: Readonly<Record<ReclaimReport['outcome'], string>> = {
  reclaimed: 'reclaimed', 'dry-run': 'dry run', 'not-needed': 'not needed', refused: 'refused',
};

/** The page's tone for each outcome: closing connections is a warning (the leak is still there). */
const TONE: Readonly<Record<ReclaimReport['outcome'], string>> = {
  reclaimed: 'warning', 'dry-run': 'info', 'not-needed': 'ok', refused: 'critical',
};

/** Whether the section belongs right after the verdict (true) or near the end of the page (false). */
export function reclaimLeads(reclaim: ReclaimReport): boolean {
  return reclaim.outcome !== 'not-needed';
}

function title(r: ReclaimReport): string {
  return r.mode === 'break-glass' ? 'Break-glass reclaim' : 'Reclaim';
}

function skippedText(r: ReclaimReport): Fragment {
  const parts = Object.entries(r.skipped).filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([reason, n]) => `${count(n)} ${Object.prototype.hasOwnProperty.call(SKIP_TEXT, reason) ? SKIP_TEXT[reason]?.[n === 1 ? 0 : 1] : clip(reason, 40)}`);
  return parts.length === 0 ? html`<span class="muted">none</span>` : parts.join(', ');
}

function killedText(r: ReclaimReport): Fragment {
  if (r.outcome !== 'reclaimed') {
    return r.outcome === 'dry-run'
      ? `none (dry run): ${plural(r.selected.length, 'connection')} would be closed`
      : 'none';
  }
  const spared = r.spared > 0 ? `; ${count(r.spared)} were gone or used again when checked, and left alone` : '';
  return html`<strong>${count(r.killed)}</strong> of ${count(r.selected.length)} selected${spared}`;
}

function goalText(r: ReclaimReport): Fragment | null {
  const g = r.goal;
  if (g === undefined) return null;
  return `keep at most ${count(g.keepAtMost)} of maxclients ${count(g.maxClients)} in use; ${count(g.connectedClients)} were in use, `
    + `${plural(g.needed, 'connection')} over`;
}

function workloadTable(context: PageContext, r: ReclaimReport): Html | '' {
  if (r.byWorkload.length === 0) return '';
  const rows: Row[] = r.byWorkload.slice(0, WORKLOAD_ROWS).map((w) => ({
    cells: [
      html`<span class="mono">${clip(w.workload, 120)}</span>`,
      w.origin === undefined ? html`<span class="muted">not named</span>` : html`<code>${clip(w.origin, 120)}</code>`,
      count(w.selected),
    ],
  }));
  return html`<h3>Per workload</h3>${table([{ label: 'Workload' }, { label: 'Opened at' }, { label: 'Selected', numeric: true }], rows)}${
    moreNote(context, 'workloads', Math.min(WORKLOAD_ROWS, r.byWorkload.length), r.byWorkload.length)}`;
}

function selectedTable(context: PageContext, r: ReclaimReport): Html | '' {
  if (r.selected.length === 0) return '';
  const rows: Row[] = r.selected.slice(0, RECLAIM_ROWS).map((c) => ({
    cells: [
      html`<span class="mono">${String(c.id)}</span>`,
      html`<span class="mono nw">${clip(c.addr, 80)}</span>`,
      html`<span class="mono">${clip(c.workload, 80)}</span>`,
      duration(c.ageSeconds), duration(c.idleSeconds),
      c.origin === undefined ? html`<span class="muted">not named</span>` : html`<code>${clip(c.origin, 120)}</code>`,
    ],
  }));
  const caption = r.outcome === 'reclaimed'
    ? `Oldest first; each was looked up again just before CLIENT KILL ID: the server closed ${count(r.killed)}`
      + (r.spared > 0 ? `, ${count(r.spared)} gone or used again were left alone` : '')
    : r.outcome === 'dry-run' ? 'Connections a run with --apply would close, oldest first'
      : 'Connections it would have closed, oldest first';
  const more = r.selected.length - RECLAIM_ROWS;
  return html`<h3>Selected connections (${count(r.selected.length)})</h3>${table([
    { label: 'Id' }, { label: 'Address' }, { label: 'Workload' }, { label: 'Age', numeric: true }, { label: 'Idle', numeric: true }, { label: 'Opened at' },
  ], rows, caption)}${more > 0 ? html`<p class="more">… and ${count(more)} more (the oldest ${count(RECLAIM_ROWS)} are shown); all ${count(r.selected.length)} are in ${jsonReport(context)}.</p>` : ''}`;
}

export function reclaimSection(context: PageContext): Html | '' {
  const r = context.report.reclaim;
  if (r === undefined) return '';
  const tone = TONE[r.outcome] ?? 'info';
  const goal = goalText(r);
  // The reason is in the sentence when nothing was closed; said again only when the sentence does not carry it.
  const reason = r.reason !== null && !r.summary.includes(r.reason) ? r.reason : null;
  const rows: Array<readonly [string, Fragment]> = [
    ['Outcome', html`<span class="badge s-${tone}">${OUTCOME_TEXT[r.outcome] ?? clip(String(r.outcome), 20)}</span> <span class="muted">${r.mode === 'break-glass' ? "the Lambda's break-glass" : 'redis-leak-audit reclaim'}</span>`],
    ...(r.node === null ? [] : [['Node', html`<span class="mono">${clip(r.node, 120)}</span>`] as const]),
    ...(r.outcome === 'not-needed' ? [] : [['Killed', killedText(r)] as const]),
    ...(goal === null ? [] : [['Goal', goal] as const]),
    ...(r.outcome === 'not-needed' ? [] : [
      ['Eligible', `idle at least ${duration(r.minIdleSeconds)} and used only when opened; ${boundText(r, count)}`
        + (r.capped > 0 ? `; ${count(r.capped)} more left open (${leftOpenBecause(r, count)})` : '')] as const,
      ['Left alone', skippedText(r)] as const,
    ]),
    ...(reason === null ? [] : [['Reason', clip(reason, 600)] as const]),
    ...(r.stoppedBy === undefined ? [] : [['Stopped early', html`<span class="err">${clip(r.stoppedBy, 400)}</span>`] as const]),
  ];
  const body = html`<div class="reclaim r-${tone}"><p><strong>${clip(r.summary, 2000)}</strong></p></div>${facts(rows)}${workloadTable(context, r)}${selectedTable(context, r)}`;
  return section('reclaim', title(r), body);
}
