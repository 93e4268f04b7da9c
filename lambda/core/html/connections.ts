// Where the connections are: headroom against maxclients, churn and rejections, the largest sources with
// their idle share and age spread (and their trend where history is given), the groups, the most idle.
import { AGE_BUCKETS, type ClientGroup } from '../client-groups.js';
import type { SampleSummary } from '../history.js';
import { bar, meter, swatch, trendChart, trendSeries } from './charts.js';
import { facts, findingsBy, flagClass, moreNote, section, table, type PageContext, type Row } from './blocks.js';
import { count, duration, percent, plural } from './format.js';
import { clip, html, type Fragment, type Html } from './markup.js';

export const SOURCES_SHOWN = 20;
export const GROUP_ROWS = 10;
export const IDLE_ROWS = 15;
const METERS_SHOWN = 12;
const TREND_LINES = 5;
const TREND_SAMPLES = 48;
const KEY_MAX = 120;

const AGE_CLASSES = ['b-age0', 'b-age1', 'b-age2', 'b-age3'] as const;

/** What the age and idle bars mean, under each table that draws them. */
export function barLegend(context: PageContext): Html {
  return html`<ul class="legend">${AGE_BUCKETS.map((b, i) => html`<li>${swatch(AGE_CLASSES[i] ?? 'b-age0')}age ${b}</li>`)}<li>${swatch('b-idle')}idle ≥ ${duration(context.report.policy.idleSeconds)}</li></ul>`;
}

export function ageBar(g: ClientGroup): Html {
  const segments = AGE_BUCKETS.map((bucket, i) => ({ value: g.ageBuckets[bucket] ?? 0, cls: AGE_CLASSES[i] ?? 'b-age0' }));
  return bar(segments, g.connections, AGE_BUCKETS.map((b) => `${b}: ${count(g.ageBuckets[b] ?? 0)}`).join(', '));
}

export function idleCell(g: ClientGroup): Html {
  const share = g.connections > 0 ? g.idle / g.connections : 0;
  return html`${bar([{ value: g.idle, cls: 'b-idle' }], g.connections, `${percent(share)} idle`)}<span class="muted">${count(g.idle)} (${percent(share)})</span>`;
}

export function headroomSection(context: PageContext): Html | '' {
  const { report } = context;
  if (report.status === 'failed') return '';
  const s = report.summary;
  const measured = report.nodes.filter((n) => n.connectedClients !== null && n.maxClients !== null && n.maxClients > 0);
  const fullest = [...measured].sort((a, b) => (b.connectedClients ?? 0) / (b.maxClients ?? 1) - (a.connectedClients ?? 0) / (a.maxClients ?? 1));
  const meters = fullest.slice(0, METERS_SHOWN).map((n) => html`<div><span class="mono">${clip(n.address, KEY_MAX)}</span>:
<span class="muted">${count(n.connectedClients)} of ${count(n.maxClients)} (${percent((n.connectedClients ?? 0) / (n.maxClients ?? 1))})</span>
${meter(n.connectedClients ?? 0, n.maxClients ?? 1, report.policy.maxclientsWarn, report.policy.maxclientsCritical)}</div>`);
  const headroom: Fragment = measured.length === 0
    ? html`<p class="muted">maxclients or the connection count was not reported: headroom unknown.</p>`
    : html`${meters}<ul class="legend"><li>${swatch('b-warn')}warning at ${percent(report.policy.maxclientsWarn)}</li><li>${swatch('b-crit')}critical at ${percent(report.policy.maxclientsCritical)}</li></ul>${moreNote(context, 'nodes (fullest first)', Math.min(METERS_SHOWN, measured.length), measured.length)}`;
  const rate = s.newConnectionsPerMinute;
  const churn = facts([
    ['New connections', rate === null ? html`<span class="muted">not measured: ${report.history.source === 'none'
      ? 'needs two samples (in one run, or with a state file)' : 'the samples were less than a second apart'}</span>` : html`<strong>${count(rate)}/min</strong> (threshold ${count(report.policy.churnPerMinute)}/min)`],
    ['Compared over', report.history.source === 'none' ? 'no history' : `${duration(report.history.windowSeconds)} (${report.history.source === 'samples' ? `${report.history.samplesThisRun} samples this run` : 'the last run'})`],
    ['Rejected (lifetime)', count(s.rejectedConnections)],
    ['Rejected since last sample', s.rejectedSinceLastAudit === null ? 'unknown (no history)' : html`<strong>${count(s.rejectedSinceLastAudit)}</strong>`],
    ['Blocked / pub/sub / in MULTI', `${count(s.blockedClients)} / ${count(s.pubsubClients)} / ${count(s.inTransactionClients)}`],
  ]);
  return section('headroom', 'Headroom, churn and rejected connections', html`<div class="grid2"><div>${headroom}</div><div>${churn}</div></div>`);
}

function names(g: ClientGroup): Fragment {
  const entries = Object.entries(g.names ?? {}).slice(0, 5);
  return entries.map(([name, n], i) => html`${i > 0 ? html`<br>` : ''}<span class="mono nw">${clip(name, 60)}</span> <span class="muted">${count(n)}</span>`);
}

export function sourcesSection(context: PageContext, history: readonly SampleSummary[] | undefined): Html | '' {
  const { report } = context;
  const groups = report.groups.bySourceIp;
  const chart = trendSection(history);
  if (groups.length === 0 && chart === '') return '';
  const flags = findingsBy(report, (f) => f.subject.sourceIp);
  const rows: Row[] = groups.slice(0, SOURCES_SHOWN).map((g) => {
    const flagged = flags.get(g.key) ?? [];
    return {
      cls: flagClass(flagged),
      cells: [
        html`<span class="mono">${clip(g.key, KEY_MAX)}</span>${g.workload ? html`<br><span class="muted">${clip(g.workload.label, 80)}</span>` : ''}${flagged.slice(0, 4).map((f) => html`<br><span class="badge s-${f.severity}">${f.kind}</span>`)}`,
        count(g.connections), idleCell(g), ageBar(g), duration(g.oldestAgeSeconds), duration(g.maxIdleSeconds), names(g),
      ],
    };
  });
  const list = groups.length === 0 ? '' : html`${table([
    { label: 'Source' }, { label: 'Conns', numeric: true }, { label: 'Idle', cls: 'bars' }, { label: 'Age spread', cls: 'bars' },
    { label: 'Oldest', numeric: true }, { label: 'Longest idle', numeric: true }, { label: 'Client names' },
  ], rows)}${barLegend(context)}${moreNote(context, 'sources', Math.min(SOURCES_SHOWN, groups.length), groups.length, report.groupsOmitted.bySourceIp)}`;
  return section('sources', 'Largest sources (by client IP)', [list, chart]);
}

function trendSection(history: readonly SampleSummary[] | undefined): Html | '' {
  const samples = [...(history ?? [])].sort((a, b) => a.takenAtMs - b.takenAtMs).slice(-TREND_SAMPLES);
  if (samples.length < 2) return '';
  const series = trendSeries(samples, TREND_LINES);
  const chart = trendChart(series);
  if (chart === null) return '';
  return html`<h3>Trend over the last ${plural(samples.length, 'sample')}</h3>${chart}<ul class="legend">${series.map((s, i) => html`<li>${swatch(`c${i}`)}<span class="mono">${clip(s.source, 60)}</span> ${count(s.points[s.points.length - 1]?.count ?? 0)}</li>`)}</ul>`;
}

function groupTable(context: PageContext, title: string, list: readonly ClientGroup[], omitted: number, what: string): Html {
  const rows: Row[] = list.slice(0, GROUP_ROWS).map((g) => ({
    cells: [html`<span class="mono nw">${clip(g.key === '' ? '(empty)' : g.key, 60)}</span>`, count(g.connections), count(g.idle), duration(g.oldestAgeSeconds)],
  }));
  return html`<div><h3>${title}</h3>${list.length === 0 ? html`<p class="muted">none</p>` : table([
    { label: what }, { label: 'Conns', numeric: true }, { label: 'Idle', numeric: true }, { label: 'Oldest', numeric: true },
  ], rows)}${moreNote(context, `${what.toLowerCase()}s`, Math.min(GROUP_ROWS, list.length), list.length, omitted)}</div>`;
}

export function groupsSection(context: PageContext): Html | '' {
  const { groups, groupsOmitted } = context.report;
  if (groups.byName.length + groups.byUser.length + groups.byLibrary.length === 0) return '';
  return section('groups', 'By client name, ACL user and library', html`<div class="grid2">
${groupTable(context, 'Client names', groups.byName, groupsOmitted.byName, 'Name')}
${groupTable(context, 'ACL users', groups.byUser, groupsOmitted.byUser, 'User')}
${groupTable(context, 'Libraries', groups.byLibrary, groupsOmitted.byLibrary, 'Library')}</div>`);
}

function endpoint(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function idleSection(context: PageContext): Html | '' {
  const { report } = context;
  if (report.topIdle.length === 0) return '';
  const multiNode = report.nodes.length > 1;
  const rows: Row[] = report.topIdle.slice(0, IDLE_ROWS).map((c) => ({
    cells: [
      html`<span class="mono">${clip(endpoint(c.sourceIp, c.sourcePort), KEY_MAX)}</span>`,
      html`<span class="mono">${clip(c.name === '' ? '(unnamed)' : c.name, 60)}</span>`,
      html`<span class="mono">${clip(c.user, 40)}</span>`, html`<span class="mono">${clip(c.library, 40)}</span>`,
      duration(c.idleSeconds), duration(c.ageSeconds), html`<span class="mono">${clip(c.flags, 12)}</span>`,
      html`<span class="mono">${clip(c.cmd, 30)}</span>`, ...(multiNode ? [html`<span class="mono">${clip(c.node, 60)}</span>`] : []),
    ],
  }));
  const columns = [
    { label: 'Client' }, { label: 'Name' }, { label: 'User' }, { label: 'Library' }, { label: 'Idle', numeric: true },
    { label: 'Age', numeric: true }, { label: 'Flags' }, { label: 'Last cmd' }, ...(multiNode ? [{ label: 'Node' }] : []),
  ];
  return section('idle', 'Most idle connections', [table(columns, rows), moreNote(context, 'idle connections', Math.min(IDLE_ROWS, report.topIdle.length), report.topIdle.length)]);
}
