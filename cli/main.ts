// The CLI's flow: flags -> audit (or demo) -> output -> exit code. Errors become one line on stderr.
import { AuditError, errorText } from '../lambda/core/errors.js';
import { auditDeadlineAtMs } from '../lambda/core/deadline.js';
import { safeJson } from '../lambda/core/text-safety.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtmlReport } from '../lambda/core/html-report.js';
import type { SampleSummary } from '../lambda/core/history.js';
import type { AuditReport } from '../lambda/core/report.js';
import { restoreState } from '../lambda/core/state.js';
import { runAudit } from '../lambda/run-audit.js';
import { parseTargetUrl, redactUrl, redactUrlsIn } from '../lambda/redis/target-url.js';
import { parseCli, type AuditOptions, type DemoOptions, type ReclaimOptions } from './args.js';
import { runDemo } from './demo/run-demo.js';
import { EXIT_CANNOT_AUDIT, EXIT_OK, exitCodeFor } from './exit-code.js';
import { readStateFile, writeHtmlFile, writeReportFile, writeStateFile } from './files.js';
import { HELP } from './help.js';
import { ProgressLine } from './progress.js';
import { reclaimAfterAudit } from './reclaim.js';
import { renderReclaim } from './reclaim-output.js';
import { renderReport } from './render-report.js';
import { safeCell } from './text-table.js';
import { toolVersion } from './version.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  /** A terminal (isTTY, with its width in columns) gets the progress line of an audit without --json. */
  readonly stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock, for tests: sample times and the deadline. @default Date.now */
  readonly now?: () => number;
  /** The wait between samples, for tests (an interval may pass without real time passing). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const options = parseCli(argv, io.env);
    switch (options.command) {
      case 'help':
        io.stdout.write(HELP);
        return EXIT_OK;
      case 'version':
        io.stdout.write(`${toolVersion()}\n`);
        return EXIT_OK;
      case 'audit':
        return await audit(options, io);
      case 'demo':
        return await demo(options, io);
      case 'reclaim':
        return await audit(options, io);
    }
  } catch (err) {
    io.stderr.write(`redis-leak-audit: ${oneLine(err, io.env)}\n`);
    return EXIT_CANNOT_AUDIT;
  }
}

/** The audit, and for `reclaim` the reclaiming after it (cli/reclaim.ts): same flags, output and exit codes. */
async function audit(options: AuditOptions | ReclaimOptions, io: CliIo): Promise<number> {
  const target = parseTargetUrl(options.url, options.tlsCaFile ? { tlsCaFile: options.tlsCaFile } : {});
  const restored = options.stateFile ? restoreState(readStateFile(options.stateFile), target.display) : { state: null, warning: null };
  // Only for a person watching a terminal that can erase a line: never into a pipe, a file or a CI log,
  // and never beside --json.
  const progress = io.stderr.isTTY === true && !options.json && io.env.TERM !== 'dumb' ? new ProgressLine(io.stderr) : undefined;
  const result = await runAudit({
    target,
    samples: options.samples,
    intervalMs: options.intervalSeconds * 1000,
    policy: options.policy,
    previousState: restored.state,
    stateWarnings: restored.warning ? [restored.warning] : [],
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    toolVersion: toolVersion(),
    cluster: options.cluster,
    deadlineAtMs: auditDeadlineAtMs((io.now ?? Date.now)(), options.deadlineSeconds),
    ...(io.now ? { now: io.now } : {}),
    ...(io.sleep ? { sleep: io.sleep } : {}),
    ...(options.clusterAllow ? { clusterAllow: options.clusterAllow } : {}),
    ...(progress ? { onProgress: progress.update } : {}),
  }).finally(() => progress?.stop());
  // Reclaim before the state is saved: the ids it closed are kept there, never selected again.
  const reclaimed = options.command === 'reclaim' ? await reclaimAfterAudit(result, target, options, restored.state) : undefined;
  const report = reclaimed ? { ...result.report, reclaim: reclaimed.section } : result.report;
  const state = reclaimed?.state ?? result.state;
  if (options.stateFile && result.report.history.samplesThisRun > 0) {
    try {
      writeStateFile(options.stateFile, state);
    } catch (err) {
      io.stderr.write(`redis-leak-audit: --state-file ${options.stateFile} could not be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); history was not saved\n`);
    }
  }
  deliver(report, options, io, state.samples);
  if (result.error) io.stderr.write(`redis-leak-audit: ${safeCell(result.error.message, 500)}\n`);
  return exitCodeFor(report, options.failOn);
}

async function demo(options: DemoOptions, io: CliIo): Promise<number> {
  const progress = (line: string) => io.stderr.write(`demo: ${line}\n`);
  const { report, history } = await runDemo({ progress, toolVersion: toolVersion() });
  // The demo always writes its page, so that there is something to open in a browser.
  const htmlFile = options.htmlFile ?? join(tmpdir(), `redis-leak-audit-demo-${report.generatedAt.replace(/[:.]/g, '-')}.html`);
  deliver(report, { ...options, htmlFile }, io, history);
  return EXIT_OK;
}

interface DeliveryOptions {
  readonly json: boolean;
  readonly outDir?: string;
  readonly htmlFile?: string;
  readonly color: boolean | undefined;
}

function deliver(report: AuditReport, options: DeliveryOptions, io: CliIo, history: readonly SampleSummary[]): void {
  const written = [
    ...(options.outDir ? [writeReportFile(options.outDir, report)] : []),
    ...(options.htmlFile ? [writeHtmlFile(options.htmlFile, renderHtmlReport(report, { history }))] : []),
  ];
  // With --json stdout holds the report and nothing else: file paths go to stderr.
  const notes = options.json ? io.stderr : io.stdout;
  if (options.json) {
    io.stdout.write(safeJson(report, 2) + '\n');
  } else {
    const color = options.color ?? (io.stdout.isTTY === true && io.env.NO_COLOR === undefined);
    io.stdout.write(renderReport(report, color));
    if (report.reclaim) io.stdout.write(renderReclaim(report.reclaim, color));
  }
  for (const path of written) notes.write(`report written to ${path}\n`);
}

/** One line, no stack, no credentials: for AuditErrors their message; for anything else its first line. */
function oneLine(err: unknown, env: Readonly<Record<string, string | undefined>>): string {
  // AuditErrors (ConfigError among them) are written to be shown as they are.
  const text = err instanceof AuditError ? err.message : errorText(err);
  let line = text.split('\n')[0] ?? text;
  // Belt and braces: whatever produced the message, a password from REDIS_URL never leaves.
  const url = env.REDIS_URL;
  if (url) line = line.split(url).join(redactUrl(url));
  // Server replies reach error messages (`-ERR ...`): no escape sequence reaches the terminal.
  return safeCell(redactUrlsIn(line), 500);
}
