// What the audit could not see, and the cache's own CloudWatch connection metrics where they stood in for
// CLIENT LIST (ElastiCache Serverless). Both sections are absent from reports without them.
import { facts, section, type PageContext } from './blocks.js';
import { count, timestamp } from './format.js';
import { clip, html, type Html } from './markup.js';

const LIMITATIONS_SHOWN = 10;

export function limitationsSection(context: PageContext): Html | '' {
  const limitations = context.report.limitations ?? [];
  if (limitations.length === 0) return '';
  const more = limitations.length - LIMITATIONS_SHOWN;
  return section('limitations', 'What this audit could not see', html`<ul>${limitations.slice(0, LIMITATIONS_SHOWN).map((l) => html`<li>${clip(l, 600)}</li>`)}${more > 0 ? html`<li class="muted">and ${count(more)} more in the JSON report</li>` : ''}</ul>`);
}

export function serviceMetricsSection(context: PageContext): Html | '' {
  const m = context.report.serviceMetrics;
  if (m === undefined) return '';
  const curr = m.currConnections;
  const fresh = m.newConnectionsPerMinute;
  const body = facts([
    ['Metrics', html`<span class="mono">${clip(m.namespace, 40)}</span>, clusterId <span class="mono">${clip(m.dimensions.clusterId, 80)}</span>, ${count(m.periodSeconds)} s periods`],
    ['Window', `${count(m.windowMinutes)} min, ${timestamp(clip(m.windowStart, 40))} to ${timestamp(clip(m.windowEnd, 40))}`],
    ['Open connections (CurrConnections, max per minute)', curr === null
      ? html`<span class="muted">no data</span>`
      : `${count(curr.latest)} at ${timestamp(clip(curr.latestAt, 40))}; ${count(curr.first)} at the start, between ${count(curr.min)} and ${count(curr.max)} (${count(curr.datapoints)} minutes)`],
    ['New connections per minute (NewConnections, sum per minute)', fresh === null
      ? html`<span class="muted">no data</span>`
      : `${count(fresh.average)} on average, peak ${count(fresh.max)}, latest ${count(fresh.latest)} (${count(fresh.total)} in ${count(fresh.datapoints)} minutes)`],
    ...(m.error === undefined ? [] : [['Error', html`<span class="err mono">${clip(m.error, 300)}</span>`] as const]),
  ]);
  return section('service-metrics', 'Service metrics (CloudWatch)', body);
}
