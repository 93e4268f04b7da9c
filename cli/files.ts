// The CLI's file edges: the state file between runs and the report files of --out.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../lambda/core/errors.js';
import type { AuditReport } from '../lambda/core/report.js';
import type { AuditState } from '../lambda/core/state.js';
import { safeJson } from '../lambda/core/text-safety.js';

/** The state file's text, or null when it does not exist yet (the first run). */
export function readStateFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`--state-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): give a readable, writable file path`);
  }
}

/** Written to a temporary file and renamed, so a crash or a concurrent run never leaves half a file. */
export function writeStateFile(path: string, state: AuditState): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state) + '\n', { mode: 0o600 });
  renameSync(temporary, path);
}

/** Writes the report as `<dir>/redis-leak-audit-<timestamp>.json` and returns the path. */
export function writeReportFile(dir: string, report: AuditReport): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `redis-leak-audit-${report.generatedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, safeJson(report, 2) + '\n');
  return path;
}

/** Writes the HTML page of a report (creating its folder) and returns the path. */
export function writeHtmlFile(path: string, html: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return path;
}
