// The top of the page: the verdict in one line, the numbers that back it, then every finding by severity
// (what, where, the evidence, the fix).
import type { Finding, Severity } from '../findings/index.js';
import { severityRank } from '../findings/index.js';
import type { AuditReport } from '../report.js';
import { jsonReport, section, type PageContext } from './blocks.js';
import { count, duration, evidenceValue, label, percent, plural } from './format.js';
import { clip, html, withCode, type Fragment, type Html } from './markup.js';
import { fleetAddresses, identifiedByText, leakingOriginsNote } from './workloads.js';

export const FINDINGS_SHOWN = 60;
const RELATED_SHOWN = 10;
const ERRORS_SHOWN = 10;

type Tone = 'critical' | 'warning' | 'ok' | 'failed';

function tone(report: AuditReport): Tone {
  if (report.status === 'failed') return 'failed';
  if (report.summary.findingsBySeverity.critical > 0 || report.findings.some((f) => f.severity === 'critical')) return 'critical';
  if (report.summary.findingsBySeverity.warning > 0 || report.findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

function headline(report: AuditReport, t: Tone): string {
  const { critical, warning } = report.summary.findingsBySeverity;
  if (t === 'failed') return 'Audit failed: nothing could be read from the target';
  const need = (n: number) => (n === 1 ? 'needs' : 'need');
  if (t === 'critical') return `Critical: ${plural(critical, 'finding')} ${need(critical)} action now${warning > 0 ? `, ${count(warning)} more ${need(warning)} attention` : ''}`;
  if (t === 'warning') return `Warning: ${plural(warning, 'finding')} ${need(warning)} attention`;
  return 'Healthy: no connection leak suspected';
}

export function nodeErrors(report: AuditReport): string[] {
  return report.nodes.flatMap((n) => n.errors.map((e) => `${n.address}: ${e}`));
}

function errorList(errors: readonly string[]): Html | '' {
  if (errors.length === 0) return '';
  const more = errors.length - ERRORS_SHOWN;
  return html`<ul class="errors">${errors.slice(0, ERRORS_SHOWN).map((e) => html`<li class="err mono">${clip(e, 400)}</li>`)}${more > 0 ? html`<li class="muted">and ${count(more)} more</li>` : ''}</ul>`;
}

function tile(value: Fragment, caption: Fragment): Html {
  return html`<div class="tile"><b>${value}</b><span>${caption}</span></div>`;
}

function tiles(report: AuditReport): Html {
  const s = report.summary;
  const rate = s.newConnectionsPerMinute;
  return html`<div class="tiles">
${tile(count(s.connectedClients), s.maxClients === null ? 'connections (maxclients unknown)' : `connections of ${count(s.maxClients)} (${percent(s.utilization)})`)}
${tile(count(s.idleClients), `idle ≥ ${duration(report.policy.idleSeconds)} of ${count(s.analysedConnections)} analysed`)}
${tile(rate === null ? 'n/a' : count(rate), rate === null ? 'new connections/min (not measured)' : `new connections/min (limit ${count(report.policy.churnPerMinute)})`)}
${tile(count(s.rejectedSinceLastAudit ?? s.rejectedConnections), s.rejectedSinceLastAudit === null ? 'rejected connections (lifetime)' : 'rejected since the last sample')}
${tile(count(s.suspectedLeaks), s.suspectedLeaks === 0 ? 'suspected leaks' : `suspected leaks (${plural(s.suspectedLeakConnections, 'connection')})`)}
${largestTile(report)}
</div>`;
}

/** The largest workload (the largest address when there is none: no client list was read). */
function largestTile(report: AuditReport): Html {
  const w = report.summary.largestWorkload;
  const source = report.summary.largestSource;
  if (w !== null) {
    return tile(html`<span class="mono">${clip(w.label, 60)}</span>`,
      `largest workload: ${count(w.connections)} conns on ${plural(w.members, 'address', 'addresses')}`);
  }
  return tile(source === null ? 'none' : html`<span class="mono">${clip(source.key, 60)}</span>`, source === null ? 'largest source' : `largest source: ${plural(source.connections, 'connection')}`);
}

export function verdictSection(context: PageContext): Html {
  const { report } = context;
  const t = tone(report);
  const first = report.findings.find((f) => f.severity !== 'info');
  const body: Fragment[] = [html`<h2 id="verdict-h">${headline(report, t)}</h2>`];
  if (t === 'failed') {
    body.push(html`<p>No connection was audited, so this page is <strong>not</strong> a clean bill of health. The errors:</p>`, errorList(nodeErrors(report)));
  } else {
    if (first) body.push(html`<p><strong>${clip(first.message, 500)}</strong></p>`);
    if (report.status === 'partial') body.push(html`<p>Partial audit: not every node could be read completely; the errors are under Nodes.</p>`);
    body.push(tiles(report));
  }
  return html`<section id="verdict" class="verdict v-${t}" aria-labelledby="verdict-h">${body}</section>`;
}

function subject(f: Finding): Html {
  const s = f.subject;
  // A workload named after its client name or user says it already: no second chip with the same words.
  const parts: Array<[string, string | undefined, boolean?]> = [
    ['workload', s.workload], ['identified by', s.workload === undefined ? undefined : identifiedByText(s.identifiedBy) || undefined, true],
    ['source', s.sourceIp], ['name', s.identifiedBy === 'client-name' ? undefined : s.clientName],
    ['user', s.identifiedBy === 'acl-user' ? undefined : s.user], ['node', s.node], ['origin', s.origin]];
  return html`<span class="subject">${parts.filter(([, v]) => v !== undefined).map(([k, v, words]) =>
    html`<span class="chip"><i>${k}</i> <span${words ? '' : html` class="mono"`}>${clip(v ?? '', 120)}</span></span>`)}</span>`;
}

/** `maxIdleOnOneMember` → `max idle on one address`: a workload's members are its addresses. */
function evidenceLabel(key: string): string {
  return label(key).replace(/\bmembers\b/g, 'addresses').replace(/\bmember\b/g, 'address');
}

function findingCard(f: Finding): Html {
  const evidence = Object.entries(f.evidence).slice(0, 16).filter(([, v]) => typeof v === 'number');
  const related = f.relatedSources ?? [];
  return html`<article class="finding f-${f.severity}">
<header><span class="badge s-${f.severity}">${f.severity.toUpperCase()}</span><span class="kind">${f.kind}</span>${subject(f)}</header>
<p>${clip(f.message, 600)}</p>
${leakingOriginsNote(f)}
${evidence.length > 0 ? html`<dl class="evidence">${evidence.map(([k, v]) => html`<div><dt>${evidenceLabel(clip(k, 60))}</dt><dd>${evidenceValue(k, v)}</dd></div>`)}</dl>` : ''}
${fleetAddresses(f) ?? (related.length > 0 ? html`<p class="muted">From: ${related.slice(0, RELATED_SHOWN).map((r, i) => html`${i > 0 ? ', ' : ''}<span class="mono">${clip(r.sourceIp, 80)}</span> (${count(r.connections)})`)}${related.length > RELATED_SHOWN ? ` and ${count(related.length - RELATED_SHOWN)} more` : ''}</p>` : '')}
<p class="fix"><b>Fix:</b> ${withCode(clip(f.recommendation, 1200))}</p>
</article>`;
}

export function findingsSection(context: PageContext): Html {
  const { report } = context;
  if (report.findings.length === 0) {
    return section('findings', 'Findings', report.status === 'failed'
      ? html`<p>None could be checked: the audit read nothing.</p>`
      : html`<p>No findings: no source holds idle, blocked or subscribed connections above the thresholds.</p>`);
  }
  const sorted = report.findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity) || a.index - b.index)
    .map(({ finding }) => finding);
  const shown = sorted.slice(0, FINDINGS_SHOWN);
  const groups = (['critical', 'warning', 'info'] as const satisfies readonly Severity[]).map((severity) => {
    const list = shown.filter((f) => f.severity === severity);
    const total = sorted.filter((f) => f.severity === severity).length;
    if (total === 0) return '';
    return html`<h3>${severity === 'info' ? 'Info' : severity === 'warning' ? 'Warning' : 'Critical'} (${count(total)})</h3>${list.map(findingCard)}`;
  });
  const hidden = sorted.length - shown.length;
  const note = hidden > 0 ? html`<p class="more">Showing the ${count(shown.length)} most severe of ${count(sorted.length)} findings; the other ${count(hidden)} are in ${jsonReport(context)}.</p>` : '';
  return section('findings', `Findings (${count(report.findings.length)})`, [groups, note]);
}
