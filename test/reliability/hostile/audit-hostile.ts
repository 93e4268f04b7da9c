// Runs the built CLI against a hostile server, bounded and measured, and sums up what a user would see:
// exit code, wall time, peak RSS, stack trace or not, escape bytes or not, the report's status and counts.
// Shared by hostile-server*.test.ts and the BEFORE measurement (measure-hostile.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasEscapeBytes, hasStackTrace, runMeasured, type MeasuredRun } from '../../support/child-rss.js';
import type { HostileServer } from './hostile-server.js';

export interface HostileReport {
  readonly status?: string;
  readonly nodes?: ReadonlyArray<{ readonly address?: string; readonly connectedClients?: number | null; readonly errors?: readonly string[] }>;
  readonly summary?: { readonly connectedClients?: number | null; readonly analysedConnections?: number | null };
  readonly findings?: ReadonlyArray<{ readonly kind?: string }>;
  readonly limitations?: readonly string[];
}

export interface HostileAudit {
  readonly run: MeasuredRun;
  readonly stdout: string;
  readonly stderr: string;
  /** The HTML page written with --html, or null when none was written. */
  readonly html: string | null;
  /** The JSON report from stdout, or null when stdout was not one JSON document. */
  readonly report: HostileReport | null;
}

export interface HostileAuditOptions {
  readonly bin: string;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs: number;
  readonly maxRssKb: number;
  /** `--json` (the default) or the text report a terminal shows. */
  readonly json?: boolean;
}

export async function auditHostile(server: HostileServer, options: HostileAuditOptions): Promise<HostileAudit> {
  const dir = mkdtempSync(join(tmpdir(), 'rla-hostile-'));
  const page = join(dir, 'report.html');
  try {
    const args = [options.bin, 'audit', '--url', server.url, ...(options.json === false ? [] : ['--json']), '--html', page, '--command-timeout', '2000', '--connect-timeout', '2000',
      ...(server.mode === 'cluster-fanout' ? ['--cluster'] : []), ...(options.extraArgs ?? [])];
    const run = await runMeasured(process.execPath, args, {
      timeoutMs: options.timeoutMs, maxRssKb: options.maxRssKb, env: { PATH: process.env.PATH ?? '' }, maxOutputBytes: 64 * 1024 * 1024,
    });
    const stdout = run.stdout.toString('utf8');
    const html = existsSync(page) ? readFileSync(page, 'utf8') : null;
    return { run, stdout, stderr: run.stderr.toString('utf8'), html, report: parseReport(stdout, run.stdoutDroppedBytes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseReport(stdout: string, dropped: number): HostileReport | null {
  if (dropped > 0 || stdout.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(stdout);
    return typeof parsed === 'object' && parsed !== null ? (parsed as HostileReport) : null;
  } catch {
    return null;
  }
}

/** One row of the BEFORE/AFTER table. */
export interface HostileRow {
  readonly mode: string;
  readonly exit: number | null;
  readonly signal: string | null;
  readonly killedFor: string | null;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
  readonly stackTrace: boolean;
  readonly escapeBytes: boolean;
  readonly status: string | null;
  readonly analysed: number | null;
  readonly connected: number | null;
  readonly findings: number | null;
  readonly nodeErrors: readonly string[];
  readonly stdoutBytes: number;
  readonly stderrFirstLine: string;
  /** The most connections the hostile server held at once (cluster-fanout: its blackhole nodes included). */
  readonly serverPeakConnections: number;
}

export function summarise(mode: string, audit: HostileAudit, serverPeakConnections = 0): HostileRow {
  const { run, report } = audit;
  const errors = (report?.nodes ?? []).flatMap((node) => node.errors ?? []);
  return {
    mode,
    exit: run.code,
    signal: run.signal,
    killedFor: run.killedFor,
    wallSeconds: Math.round(run.wallMs / 100) / 10,
    peakRssMb: Math.round(run.peakRssKb / 1024),
    stackTrace: hasStackTrace(audit.stderr),
    escapeBytes: hasEscapeBytes(run.stdout) || hasEscapeBytes(run.stderr) || (audit.html !== null && hasEscapeBytes(audit.html)),
    status: report?.status ?? null,
    analysed: report?.summary?.analysedConnections ?? null,
    connected: report?.summary?.connectedClients ?? null,
    findings: report?.findings?.length ?? null,
    nodeErrors: errors.slice(0, 3).map((e) => JSON.stringify(e).slice(0, 200)),
    stdoutBytes: run.stdout.length + run.stdoutDroppedBytes,
    stderrFirstLine: JSON.stringify(audit.stderr.split('\n')[0] ?? '').slice(0, 240),
    serverPeakConnections,
  };
}
