// Building blocks shared by the sections: tables, "and N more" notes, fact lists, the page context.
import { severityRank, type Finding } from '../findings/index.js';
import type { AuditReport } from '../report.js';
import { count } from './format.js';
import { html, type Fragment, type Html } from './markup.js';

/** What every section may need besides the report. */
export interface PageContext {
  readonly report: AuditReport;
  /** Where the JSON report is, already checked to be a safe href; null when not given. */
  readonly jsonHref: string | null;
}

export interface Column {
  readonly label: string;
  readonly numeric?: boolean;
  /** Cell class for the column (`bars` keeps room for a bar). */
  readonly cls?: string;
}

export interface Row {
  readonly cells: readonly Fragment[];
  /** Row class, e.g. `flag` for a source with a finding. */
  readonly cls?: string;
}

export function table(columns: readonly Column[], rows: readonly Row[], caption?: string): Html {
  const head = columns.map((c) => html`<th${c.numeric ? html` class="n"` : ''} scope="col">${c.label}</th>`);
  const cellClass = (i: number) => (columns[i]?.numeric ? 'n' : columns[i]?.cls ?? (i === 0 ? 'k' : ''));
  const body = rows.map((row) => html`<tr${row.cls ? html` class="${row.cls}"` : ''}>${row.cells.map((cell, i) =>
    html`<td${cellClass(i) === '' ? '' : html` class="${cellClass(i)}"`}>${cell}</td>`)}</tr>`);
  return html`<div class="scroll"><table>${caption ? html`<caption class="muted">${caption}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** A link to the JSON report where one was given, the words "the JSON report" otherwise. */
export function jsonReport(context: PageContext): Html {
  return context.jsonHref === null ? html`the JSON report` : html`<a href="${context.jsonHref}">the JSON report</a>`;
}

/**
 * Says what a bounded list left out: rows of the report not shown here (they are in the JSON), and rows the
 * report itself left out (beyond its list limit). Nothing when everything is shown.
 */
export function moreNote(context: PageContext, what: string, shown: number, inReport: number, omittedFromReport = 0): Html | '' {
  const hidden = Math.max(0, inReport - shown);
  if (hidden === 0 && omittedFromReport === 0) return '';
  const total = inReport + omittedFromReport;
  const parts: Fragment[] = [`Showing ${count(shown)} of ${count(total)} ${what}`];
  if (hidden > 0) parts.push(html`; ${count(hidden)} more are in ${jsonReport(context)}`);
  if (omittedFromReport > 0) parts.push(`; ${count(omittedFromReport)} smaller ones were left out of the report itself (list limit ${count(context.report.policy.listLimit)})`);
  return html`<p class="more">${parts}.</p>`;
}

export function facts(entries: ReadonlyArray<readonly [string, Fragment]>): Html {
  return html`<dl class="facts">${entries.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

export function section(id: string, title: string, body: Fragment): Html {
  return html`<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2>${body}</section>`;
}

/**
 * Where an href from the caller is safe to put on the page: https URLs and plain relative paths only
 * (no scheme, no `//host`). A relative path with a colon further on (`2026-05-01T12:00:00.000Z.json`) gets
 * `./` in front, so that no browser could read its start as a scheme.
 */
export function safeHref(href: string | undefined): string | null {
  if (href === undefined || href.length > 4096) return null;
  if (/^https:\/\/[^\s"'<>`\\]+$/.test(href)) return href;
  if (!/^[A-Za-z0-9._~%/\-+=&?#:]+$/.test(href) || href.startsWith('//') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(href)) return null;
  return href.includes(':') && !/^\.{0,2}\//.test(href) ? `./${href}` : href;
}

/**
 * Findings at warning or above per row key (one per kind, the most severe), to flag the rows of a table:
 * sources by `subject.sourceIp`, workloads by `subject.workload`.
 */
export function findingsBy(report: AuditReport, keyOf: (f: Finding) => string | undefined): Map<string, Finding[]> {
  const byKey = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = keyOf(f);
    if (key === undefined || f.severity === 'info') continue;
    const list = byKey.get(key) ?? [];
    const same = list.findIndex((g) => g.kind === f.kind);
    if (same === -1) list.push(f);
    else if (severityRank(f.severity) > severityRank(list[same]?.severity ?? 'info')) list[same] = f;
    byKey.set(key, list);
  }
  return byKey;
}

/** The row class of a table row with these findings: a warning stripe, red when one is critical. */
export function flagClass(flagged: readonly Finding[]): string | undefined {
  if (flagged.length === 0) return undefined;
  return flagged.some((f) => f.severity === 'critical') ? 'flag flag-c' : 'flag';
}
