// Secrets through the CLI: a known password (with characters that must be percent-encoded in a URL) appears
// in no stdout or stderr line, report, report file or state file, on success and on every kind of failure,
// as text and as --json. The built binary's wrong-password case is in test/integration/cli-process.test.ts.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { serverPool } from './server-probe.js';

const PASSWORD = 'Kn0wnS3cr/Pq9Zx@Vv7Jm:42Hh';
const WRONG = 'Wr0ngS3cr/Qa8Yy@Uu6Kl:31Gg';
/** Every form in which a password could be shown: raw, percent-encoded, and their distinctive halves. */
const forms = (secret: string) => [secret, encodeURIComponent(secret), ...secret.split(/[/@:]/).filter((part) => part.length >= 4)];

const servers = serverPool();
let server: LocalRedisServer;
let deadPort: number;
const outputs: string[] = [];

beforeAll(async () => {
  server = await servers.start({ args: ['--user', 'auditor', 'on', `>${PASSWORD}`, '+client|list', '+client|setname', '+info', '+ping', '+config|get'] });
  deadPort = await freePort();
});
afterAll(async () => servers.stopAll());

const url = (secret: string, port = server.port) => `redis://auditor:${encodeURIComponent(secret)}@127.0.0.1:${port}`;

/** Runs the CLI with --out and --state-file in a fresh directory; returns everything it printed or wrote. */
async function runAndCollect(args: string[], env: Record<string, string> = {}): Promise<{ run: CliRun; everything: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rla-secrets-'));
  const run = await cli(['audit', ...args, '--out', join(dir, 'out'), '--state-file', join(dir, 'state.json'),
    '--connect-timeout', '1000', '--command-timeout', '1000'], env);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  const everything = [run.stdout, run.stderr, ...files].join('\n');
  outputs.push(everything);
  return { run, everything };
}

function expectNoSecret(everything: string): void {
  for (const form of [...forms(PASSWORD), ...forms(WRONG)]) expect(everything).not.toContain(form);
}

describe('a successful audit with a password in the URL', () => {
  it.each([['as text', []], ['as --json', ['--json']]])('shows no password %s, nor in the report and state files', async (_, extra) => {
    const { run, everything } = await runAndCollect(['--url', url(PASSWORD), ...extra]);

    expect(run.code).toBe(0);
    expect(everything).toContain(`redis://127.0.0.1:${server.port}`);
    expectNoSecret(everything);
  });

  it('shows no password when the URL comes from REDIS_URL', async () => {
    const { run, everything } = await runAndCollect(['--json'], { REDIS_URL: url(PASSWORD) });

    expect(run.code).toBe(0);
    expectNoSecret(everything);
  });
});

describe('a failed audit with a password in the URL', () => {
  it.each([['as text', []], ['as --json', ['--json']]])('shows neither password %s when the password is wrong', async (_, extra) => {
    const { run, everything } = await runAndCollect(['--url', url(WRONG), ...extra]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/WRONGPASS/);
    expectNoSecret(everything);
  });

  it.each([['as text', []], ['as --json', ['--json']]])('shows no password %s when nothing listens', async (_, extra) => {
    const { run, everything } = await runAndCollect(['--url', url(PASSWORD, deadPort), ...extra]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expectNoSecret(everything);
  });

  it('shows no password when the URL is malformed', async () => {
    const { run, everything } = await runAndCollect(['--url', `${url(PASSWORD)}/not-a-db`]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^redis-leak-audit: Invalid Redis URL "redis:\/\/auditor:\*\*\*@127\.0\.0\.1:\d+\/not-a-db"/);
    expectNoSecret(everything);
  });

  it('shows no password from REDIS_URL when a flag is bad', async () => {
    const { run, everything } = await runAndCollect(['--samples', 'many'], { REDIS_URL: url(PASSWORD) });

    expect(run.code).toBe(2);
    expectNoSecret(everything);
  });

  it('shows no password when the URL is given without --url', async () => {
    const run = await cli(['audit', url(PASSWORD)]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unexpected argument 'redis:\/\/auditor:\*\*\*@127\.0\.0\.1:\d+'/);
    expectNoSecret(run.stdout + run.stderr);
  });
});

describe('all the runs above', () => {
  it('printed or wrote something to search in every case', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(8);
    expect(outputs.every((text) => text.trim().length > 0)).toBe(true);
  });
});
