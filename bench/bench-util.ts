// Small helpers shared by the bench sections: medians, timing, forced GC and plain-text tables.
// Nothing here measures anything by itself.
import { performance } from 'node:perf_hooks';

/** Median of the values (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Rounds to `digits` decimals (for tables and results.json: the raw samples are kept too). */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A full GC when node runs with --expose-gc (bench/run.sh passes it): between sizes, so one size's garbage is not billed to the next. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Milliseconds that fn takes, measured once (callers repeat and take medians). */
export function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): number {
  return round(bytes / MIB, 1);
}

/** A table as the bench prints it; `notes` are printed under it. */
export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
  readonly notes?: readonly string[];
}

/** Renders a table with aligned columns: text left, numbers right (thousands separated). */
export function formatTable(table: Table): string {
  const cells = table.rows.map((row) => row.map(formatCell));
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)));
  const numeric = table.headers.map((_, column) => table.rows.length > 0 && table.rows.every((row) => typeof row[column] === 'number'));
  const line = (values: readonly string[], header: boolean) => values
    .map((value, column) => (numeric[column] && !header ? value.padStart(widths[column] ?? 0) : value.padEnd(widths[column] ?? 0)))
    .join('  ')
    .trimEnd();
  return [
    `== ${table.title}`,
    line(table.headers, true),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((row) => line(row, false)),
    ...(table.notes ?? []).map((note) => `   ${note}`),
  ].join('\n');
}

function formatCell(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 0.1 ? 2 : 4;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
