// Numbers as a person reads them on the page: thousands separated, durations in the largest unit,
// shares as percentages, and a plain "unknown" where the server did not say.

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'unknown';
  const rounded = Math.round(value * 10) / 10;
  const [whole = '0', fraction] = Math.abs(rounded).toString().split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${rounded < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return 'unknown';
  const value = share * 100;
  return `${value > 0 && value < 1 ? '<1' : Math.round(value)}%`;
}

/** 45 s, 12 min, 3.5 h, 2.1 d. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'unknown';
  if (seconds < 60) return `${count(seconds)} s`;
  if (seconds < 3600) return `${count(Math.round(seconds / 6) / 10)} min`;
  if (seconds < 86_400) return `${count(Math.round(seconds / 360) / 10)} h`;
  return `${count(Math.round(seconds / 8640) / 10)} d`;
}

export function bytes(value: number): string {
  if (value < 1024) return `${count(value)} B`;
  if (value < 1024 * 1024) return `${count(Math.round(value / 102.4) / 10)} kB`;
  return `${count(Math.round(value / 104857.6) / 10)} MB`;
}

/** `usedOnceIdleConnections` → `used once idle connections`. */
export function label(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** One evidence number, formatted after what its key says it measures. */
export function evidenceValue(key: string, value: number): string {
  if (/Seconds$/.test(key)) return duration(value);
  if (/(Share|^utilization|^warnAt)$/.test(key)) return percent(value);
  return count(value);
}

/** `2024-05-01 12:34:56 UTC` from an ISO timestamp; the text as it is when it is not one. */
export function timestamp(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** `HH:MM` (UTC) of an epoch time, for chart axes; `HH:MM:SS` when the axis spans less than ten minutes. */
export function clockTime(ms: number, spanMs = Infinity): string {
  return new Date(ms).toISOString().slice(11, spanMs < 600_000 ? 19 : 16);
}

/** `MM-DD HH:MM` (UTC) when the axis spans more than a day. */
export function axisTime(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : clockTime(ms, spanMs);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
