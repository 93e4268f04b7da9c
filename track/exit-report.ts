// reportOpenAtExit: at process exit, the clients still open, grouped by origin, written synchronously to stderr
// (an 'exit' listener may not wait for anything). What a test run or a short job shows the engineer at its end.
import { writeSync } from 'node:fs';
import type { ClientRegistry, Entry } from './client-registry.js';

/** The report's text for these still-open clients; '' when there are none. */
export function formatExitReport(entries: readonly Pick<Entry, 'name' | 'library' | 'kind'>[]): string {
  if (entries.length === 0) return '';
  const groups = new Map<string, number>();
  for (const e of entries) {
    const key = `${e.name} (${e.library} ${e.kind})`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const rows = [...groups].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = String(rows[0]?.[1] ?? 1).length;
  const plural = entries.length === 1 ? 'client' : 'clients';
  return [
    `redis-leak-auditor/track: ${entries.length} Redis ${plural} still open at exit, by origin (create one client and share it, or close it):`,
    ...rows.map(([key, count]) => `  ${String(count).padStart(width)}  ${key}`),
    '',
  ].join('\n');
}

let installed = false;

/** Installs the one 'exit' listener (once per process), reporting the clients tracked with reportOpenAtExit. */
export function reportOpenAtExit(registry: ClientRegistry): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    try {
      const text = formatExitReport(registry.openEntries().filter((e) => e.reportOpenAtExit));
      if (text !== '') writeSync(2, text);
    } catch {
      // A report must never change how the process exits.
    }
  });
}
