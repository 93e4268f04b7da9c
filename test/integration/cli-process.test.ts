// The built CLI as a user runs it (node dist/bin/redis-leak-audit.js, built by `npm test`): stdout
// purity with --json, exit codes, one-line errors with no stack trace and no password.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { expectValidReport } from '../support/report-schema.js';

const BIN = new URL('../../dist/bin/redis-leak-audit.js', import.meta.url).pathname;
const PASSWORD = 'Pa55-word-never-shown';

interface Run { code: number; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? -1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let plain: LocalRedisServer;
let secured: LocalRedisServer;

beforeAll(async () => {
  [plain, secured] = await Promise.all([startLocalRedis(), startLocalRedis({ args: ['--requirepass', PASSWORD] })]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), secured?.stop()]);
});

describe('redis-leak-audit audit (built binary)', () => {
  it('prints only the report JSON on stdout with --json and exits 0 on a server with no leak', async () => {
    const result = await run(['audit', '--url', plain.url, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { findings: Array<{ severity: string }> };
    expectValidReport(report);
    expect(report.findings.every((f) => f.severity === 'info')).toBe(true);
  });

  it('reads the URL from REDIS_URL and writes the report file with --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rla-out-'));
    const result = await run(['audit', '--out', dir], { REDIS_URL: plain.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Summary');
    const [file] = readdirSync(dir);
    expectValidReport(JSON.parse(readFileSync(join(dir, file ?? ''), 'utf8')));
  });

  it('writes the HTML page with --html, keeping stdout to the JSON with --json', async () => {
    const page = join(mkdtempSync(join(tmpdir(), 'rla-html-')), 'report.html');
    const result = await run(['audit', '--url', plain.url, '--json', '--html', page]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 1 });
    expect(result.stderr).toBe(`report written to ${page}\n`);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('exits 2 with one line on stderr, no stack trace, when nothing listens', async () => {
    const port = await freePort();
    const result = await run(['audit', '--url', `redis://127.0.0.1:${port}`, '--connect-timeout', '1000']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: cannot connect to redis:\/\/127\.0\.0\.1:\d+/)]);
    expect(result.stdout).toContain('could not be audited');
  });

  it('exits 2 on a wrong password and never shows it', async () => {
    const wrong = `${PASSWORD}-wrong`;
    const result = await run(['audit', '--url', `redis://default:${wrong}@127.0.0.1:${secured.port}`, '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^redis-leak-audit: .*(password|auth)/i);
    expect(result.stdout + result.stderr).not.toContain(wrong);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('audits with the password from the URL and keeps it out of the report', async () => {
    const result = await run(['audit', '--url', `redis://:${PASSWORD}@127.0.0.1:${secured.port}`, '--json']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(PASSWORD);
    expect((JSON.parse(result.stdout) as { target: string }).target).toBe(`redis://127.0.0.1:${secured.port}`);
  });

  it('names the flag and the expected form on a bad value', async () => {
    const result = await run(['audit', '--url', plain.url, '--samples', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("redis-leak-audit: --samples expects a whole number from 1 to 1000, got 'many'\n");
  });

  it('prints help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--min-group-connections');
  });
});
