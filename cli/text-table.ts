// Plain aligned tables for the terminal. Cells from the server (client names, libraries) are made safe:
// control characters could otherwise move the cursor or recolour the operator's terminal.

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  readonly max?: number;
}

// Control, format (bidirectional overrides such as U+202E, zero-width) and line/paragraph separators.
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `12s`, `5m`, `3h`, `2d`: an age or idle time in a terminal cell, in its largest whole unit. */
export function shortDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** `65,000`. */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

export function safeCell(value: unknown, max = 60): string {
  const text = String(value ?? '').replace(CONTROL, '?');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function table(columns: readonly Column[], rows: ReadonlyArray<readonly unknown[]>, indent = '  '): string {
  const cells = rows.map((row) => columns.map((col, i) => safeCell(row[i], col.max)));
  const widths = columns.map((col, i) => Math.max(col.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    indent + values
      .map((v, i) => (columns[i]?.align === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function palette(color: boolean): Palette {
  if (!color) {
    const same = (text: string) => text;
    return { bold: same, dim: same, red: same, yellow: same, cyan: same, green: same };
  }
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), green: wrap(32, 39) };
}
