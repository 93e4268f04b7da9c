// Inline SVG: bars for shares, a meter for headroom, a line chart for the trend of the largest sources.
// No library, no script: geometry is computed here, colours come from the style sheet's classes.
import type { SampleSummary } from '../history.js';
import { axisTime, count } from './format.js';
import { clip, html, type Html } from './markup.js';

export interface Segment {
  readonly value: number;
  /** A style-sheet class (`b-idle`, `b-age0`...). */
  readonly cls: string;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.max(0, Math.min(100, (part / whole) * 100)) : 0);
const fixed = (n: number) => Math.round(n * 100) / 100;

/** A thin horizontal bar of segments laid end to end, out of total. */
export function bar(segments: readonly Segment[], total: number, description: string): Html {
  let x = 0;
  const rects = segments.map((s) => {
    const width = pct(s.value, total);
    const rect = width > 0 ? html`<rect class="${s.cls}" x="${fixed(x)}" width="${fixed(width)}" height="10"/>` : '';
    x += width;
    return rect;
  });
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${description}"><rect class="b-track" width="100" height="10"/>${rects}</svg>`;
}

/** Connected against maxclients, with ticks at the warning and critical shares. */
export function meter(connected: number, max: number, warnAt: number, criticalAt: number): Html {
  const used = pct(connected, max);
  const cls = used >= criticalAt * 100 ? 'b-crit' : used >= warnAt * 100 ? 'b-warn' : 'b-used';
  const tick = (share: number, tickCls: string) => html`<rect class="${tickCls}" x="${fixed(Math.min(99.6, share * 100))}" width="0.4" height="18"/>`;
  return html`<svg class="meter" viewBox="0 0 100 18" preserveAspectRatio="none" role="img" aria-label="${`${count(connected)} of ${count(max)} connections`}"><rect class="b-track" y="3" width="100" height="12"/><rect class="${cls}" y="3" width="${fixed(used)}" height="12"/>${tick(warnAt, 'b-warn')}${tick(criticalAt, 'b-crit')}</svg>`;
}

/** Colour swatch for legends. */
export function swatch(cls: string): Html {
  return html`<svg viewBox="0 0 10 10" aria-hidden="true"><rect class="${cls}" width="10" height="10" rx="2"/></svg>`;
}

export interface TrendSeries {
  readonly source: string;
  readonly points: ReadonlyArray<{ readonly at: number; readonly count: number }>;
}

/** Up to `lines` largest sources of the last sample, over the samples (a source missing from a cut sample is unknown). */
export function trendSeries(history: readonly SampleSummary[], lines: number): TrendSeries[] {
  const last = history[history.length - 1];
  if (last === undefined) return [];
  const largest = Object.entries(last.sources).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, lines);
  return largest.map(([source]) => ({
    source,
    points: history.flatMap((s) => {
      const value = Object.prototype.hasOwnProperty.call(s.sources, source) ? s.sources[source] : s.sourcesComplete ? 0 : undefined;
      return value === undefined || !Number.isFinite(value) ? [] : [{ at: s.takenAtMs, count: value }];
    }),
  }));
}

const W = 480;
const H = 200;
const PAD = { left: 40, right: 10, top: 10, bottom: 24 };

function niceMax(value: number): number {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= value) ?? 10;
  return step * magnitude;
}

/** The line chart; null when the samples do not span any time. */
export function trendChart(series: readonly TrendSeries[]): Html | null {
  const points = series.flatMap((s) => s.points);
  const times = points.map((p) => p.at);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  if (points.length === 0 || !(t1 > t0)) return null;
  const yMax = niceMax(Math.max(...points.map((p) => p.count)));
  const x = (at: number) => fixed(PAD.left + ((at - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (n: number) => fixed(H - PAD.bottom - (n / yMax) * (H - PAD.top - PAD.bottom));
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(yMax * f)}" y2="${y(yMax * f)}"/><text x="${PAD.left - 6}" y="${y(yMax * f) + 4}" text-anchor="end">${count(yMax * f)}</text>`);
  const lines = series.map((s, i) => html`<polyline class="c${i}" points="${s.points.map((p) => `${x(p.at)},${y(p.count)}`).join(' ')}"><title>${clip(s.source, 80)}</title></polyline>`);
  const dots = series.map((s, i) => s.points.length === 1 ? s.points.map((p) => html`<circle class="c${i}" cx="${x(p.at)}" cy="${y(p.count)}" r="3"/>`) : '');
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Connections of the largest sources over the last ${series[0]?.points.length ?? 0} samples">${grid}<text x="${PAD.left}" y="${H - 6}">${axisTime(t0, t1 - t0)} UTC</text><text x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${axisTime(t1, t1 - t0)} UTC</text>${lines}${dots}</svg>`;
}
