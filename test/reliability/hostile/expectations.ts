// What every audit of a hostile server must satisfy (issue 13), shared by hostile-server*.test.ts: it ends within
// the deadline and a memory bound, says truthfully what it could and could not read, and shows no stack trace
// and no terminal escape. The built CLI is run as a user runs it (node dist/bin/redis-leak-audit.js).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hasEscapeBytes, hasStackTrace } from '../../support/child-rss.js';
import { auditHostile, type HostileAudit } from './audit-hostile.js';
import { startHostileServer, type HostileMode, type HostileServer } from './hostile-server.js';

/** The built CLI (`npm test` builds it); RLA_CLI_BIN points at another build, e.g. of an older commit. */
export const BIN = process.env.RLA_CLI_BIN ?? new URL('../../../dist/bin/redis-leak-audit.js', import.meta.url).pathname;
/** The audit deadline given to every run (`--deadline-seconds`), and what start-up and writing may add. */
export const DEADLINE_SECONDS = 8;
export const MARGIN_SECONDS = 4;
/** Peak resident memory of the CLI process, whatever the server sends. */
export const MAX_RSS_MB = 400;
/** The JSON report on stdout: bounded, whatever the server sends. */
export const MAX_REPORT_BYTES = 5 * 1024 * 1024;

export interface ModeRun {
  json: boolean;
  server: HostileServer;
  audit: HostileAudit;
}

/** Starts the mode's server, runs one audit (extra CLI arguments allowed), and stops the server after the file. */
export function auditOnce(mode: HostileMode, extraArgs: readonly string[] = [], json = true): ModeRun {
  const run = { json } as ModeRun;
  beforeAll(async () => {
    run.server = await startHostileServer(mode);
    run.audit = await auditHostile(run.server, {
      bin: BIN,
      extraArgs: ['--deadline-seconds', String(DEADLINE_SECONDS), ...extraArgs],
      // Killed just past the bound, so a run that ignores the deadline fails fast instead of stalling the file.
      timeoutMs: (DEADLINE_SECONDS + MARGIN_SECONDS) * 1000 + 500,
      maxRssKb: MAX_RSS_MB * 1024 * 1.5,
      json,
    });
  }, 90_000);
  afterAll(async () => {
    await run.server?.stop();
  });
  return run;
}

/** The four guarantees of issue 13, as one `it` each. */
export function itIsBoundedAndHonest(run: ModeRun): void {
  it(`ends within the deadline plus ${MARGIN_SECONDS} s, under ${MAX_RSS_MB} MB, with a report under 5 MB`, () => {
    const { audit } = run;
    expect(audit.run.killedFor, `killed for ${audit.run.killedFor} after ${audit.run.wallMs} ms at ${audit.run.peakRssKb} kB`).toBeNull();
    expect(audit.run.wallMs).toBeLessThan((DEADLINE_SECONDS + MARGIN_SECONDS) * 1000);
    expect(audit.run.peakRssKb).toBeLessThan(MAX_RSS_MB * 1024);
    expect(audit.run.stdout.length + audit.run.stdoutDroppedBytes).toBeLessThan(MAX_REPORT_BYTES);
  });

  it('exits 2 naming the server, or reports what it could not read (partial or failed), never a silent ok', () => {
    const { audit, server } = run;
    expect([0, 1, 2], `exit ${audit.run.code} (signal ${audit.run.signal}); stderr: ${audit.stderr.slice(0, 300)}`).toContain(audit.run.code);
    if (audit.run.code === 2) {
      expect(audit.stderr).toContain(`127.0.0.1:${server.port}`);
      return;
    }
    if (!run.json) return; // the text report: the JSON run of the same mode checks the report's content
    const report = audit.report;
    expect(report, `stdout is not one JSON report: ${audit.stdout.slice(0, 200)}`).not.toBeNull();
    const errors = (report?.nodes ?? []).flatMap((node) => node.errors ?? []);
    if (report?.status === 'partial' || report?.status === 'failed') {
      expect(errors.length, 'a partial or failed report names what was wrong in a node error').toBeGreaterThan(0);
      return;
    }
    // `ok` is honest only when the clients were read: as many as INFO counted (less the auditor), or INFO gave no count;
    // or when the server refused CLIENT LIST by permission (NOPERM, a restrictive ACL, ElastiCache Serverless) and the
    // report says so, as the design wants: a finding that the list was unavailable and the limitation in words.
    expect(report?.status).toBe('ok');
    const refused = (report?.findings ?? []).some((f) => f.kind === 'client-list-unavailable') && (report?.limitations ?? []).length > 0;
    if (refused && (report?.summary?.analysedConnections ?? 0) === 0) return;
    const analysed = report?.summary?.analysedConnections ?? 0;
    const connected = report?.summary?.connectedClients ?? null;
    expect(analysed, `ok with ${analysed} clients analysed of ${connected} counted; node errors: ${JSON.stringify(errors).slice(0, 300)}`).toBeGreaterThan(0);
    if (connected !== null) {
      expect(connected).toBeGreaterThanOrEqual(0);
      expect(Math.abs(connected - 1 - analysed)).toBeLessThanOrEqual(Math.max(2, Math.ceil(connected * 0.02)));
    }
  });

  it('prints no stack trace on stderr', () => {
    expect(hasStackTrace(run.audit.stderr), run.audit.stderr.slice(0, 500)).toBe(false);
  });

  it('writes no escape byte (0x1b) and no U+202E to stdout, stderr or the HTML page', () => {
    const { audit } = run;
    expect(hasEscapeBytes(audit.run.stdout), 'stdout').toBe(false);
    expect(hasEscapeBytes(audit.run.stderr), 'stderr').toBe(false);
    expect(audit.html !== null && hasEscapeBytes(audit.html), 'the --html page').toBe(false);
  });
}
