// The progress line of `redis-leak-audit audit` against a real redis-server: on a terminal's stderr it tells
// the sample and the countdown and is erased before the report; with --json, or when stderr is not a
// terminal (a pipe, as in CI or `2> file`), nothing of it is written and stdout stays the report alone.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { runCli } from '../../cli/main.js';
import { expectValidReport } from '../support/report-schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../bin/redis-leak-audit.ts', import.meta.url));
const ERASE = '\r\x1b[K';

let server: LocalRedisServer;

beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false });
});
afterAll(async () => {
  await server?.stop();
});

/** runCli in this process with a fake terminal on stderr; every write in order, tagged by stream. */
async function onTerminal(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; writes: Array<{ to: 'stdout' | 'stderr'; text: string }> }> {
  const writes: Array<{ to: 'stdout' | 'stderr'; text: string }> = [];
  const code = await runCli(args, {
    stdout: { write: (text: string) => writes.push({ to: 'stdout', text }), isTTY: false },
    stderr: { write: (text: string) => writes.push({ to: 'stderr', text }), isTTY: true, columns: 120 },
    env,
  });
  return { code, writes };
}

/** The CLI entry in a child process, with stdout and stderr as pipes. */
function spawned(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err && typeof err.code === 'number' ? err.code : err ? -1 : 0, stdout, stderr });
    });
  });
}

describe('the progress line on a terminal', () => {
  it('tells the sample and the countdown to the next, then erases itself before the report', async () => {
    const { writes } = await onTerminal(['audit', '--url', server.url, '--samples', '2', '--interval', '1.2']);
    const progress = writes.filter((w) => w.to === 'stderr').map((w) => w.text);
    const node = `127.0.0.1:${server.port}`;
    expect(progress).toContain(`${ERASE}sample 1 of 2 on ${node}`);
    expect(progress.some((text) => text.startsWith(ERASE) && /^next sample in [0-2] s \(sample 2 of 2\)$/.test(text.slice(ERASE.length)))).toBe(true);
    const firstReport = writes.findIndex((w) => w.to === 'stdout');
    expect(firstReport).toBeGreaterThan(0);
    expect(writes[firstReport - 1]).toEqual({ to: 'stderr', text: ERASE });
    expect(writes.slice(firstReport).every((w) => w.to === 'stdout')).toBe(true);
  });

  it('is erased before the report and the error line when sampling stops early', async () => {
    const { writes } = await onTerminal(['audit', '--url', server.url, '--samples', '2', '--interval', '60', '--deadline-seconds', '30']);
    const firstReport = writes.findIndex((w) => w.to === 'stdout');
    expect(writes[0]?.text).toBe(`${ERASE}sample 1 of 2 on 127.0.0.1:${server.port}`);
    expect(writes[firstReport - 1]).toEqual({ to: 'stderr', text: ERASE });
    const after = writes.slice(firstReport).filter((w) => w.to === 'stderr').map((w) => w.text);
    expect(after).toEqual([expect.stringMatching(/^redis-leak-audit: .*deadline/)]);
  });

  it('writes nothing on stderr with --json', async () => {
    const { writes } = await onTerminal(['audit', '--url', server.url, '--json', '--samples', '2', '--interval', '0.2']);
    expect(writes.filter((w) => w.to === 'stderr')).toEqual([]);
    expectValidReport(JSON.parse(writes.map((w) => w.text).join('')));
  });

  it('writes nothing on a terminal that cannot erase a line (TERM=dumb)', async () => {
    const { writes } = await onTerminal(['audit', '--url', server.url], { TERM: 'dumb' });
    expect(writes.filter((w) => w.to === 'stderr')).toEqual([]);
  });
});

describe('the progress line when stderr is not a terminal', () => {
  it('is never written: stderr stays empty and --json stdout is the report alone', async () => {
    const result = await spawned(['audit', '--url', server.url, '--json', '--samples', '2', '--interval', '0.2']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expectValidReport(JSON.parse(result.stdout));
  });

  it('is never written without --json either', async () => {
    const result = await spawned(['audit', '--url', server.url, '--samples', '2', '--interval', '0.2']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Summary');
    expect(result.stdout).not.toMatch(/\r|sample \d+ of|next sample in/);
  });
});
