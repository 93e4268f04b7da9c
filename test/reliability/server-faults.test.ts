// Faults of the audited server, through the CLI as a user runs it (in-process): a server that hangs
// (SIGSTOP) before or during the run, a restart between two samples of one run, and missing AUTH.
// Not listening, a wrong password and maxclients are proven elsewhere (see docs/reliability.md).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli } from '../support/run-cli.js';
import { auditorLines, clientLines, infoNumber, openControl, reportOf, serverPool, sleep, timed, waitFor } from './server-probe.js';

const servers = serverPool();
const controls: RespClient[] = [];
afterEach(async () => {
  await Promise.allSettled(controls.splice(0).map((control) => control.close()));
  await servers.stopAll();
});

async function control(server: LocalRedisServer): Promise<RespClient> {
  const opened = await openControl(server);
  controls.push(opened);
  return opened;
}

const TIMEOUTS = ['--connect-timeout', '1000', '--command-timeout', '1000'];

describe('a hung server (SIGSTOP)', () => {
  it('ends the run within its timeouts with exit 2 and one line on stderr', async () => {
    const server = await servers.start();
    server.process.kill('SIGSTOP');

    const { value: run, ms } = await timed(15_000, () => cli(['audit', '--url', server.url, ...TIMEOUTS]));
    server.process.kill('SIGCONT');

    expect(ms).toBeLessThan(10_000); // a hang detector, not a performance claim: about 1 s is expected
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: .*did not answer .* within 1000 ms$/)]);
  });

  it('keeps no auditor connection once the server resumes', async () => {
    const server = await servers.start();
    server.process.kill('SIGSTOP');
    await cli(['audit', '--url', server.url, ...TIMEOUTS]);
    server.process.kill('SIGCONT');

    const watcher = await control(server);
    const lines = await waitFor(() => clientLines(watcher), (l) => l.length === 1);

    expect(lines).toHaveLength(1); // the watcher itself
    // startLocalRedis's readiness probe, the auditor once (no retry), the watcher.
    expect(await infoNumber(watcher, 'total_connections_received')).toBe(3);
  });

  it('keeps what it read when the server hangs between samples, says why it stopped, and leaves no connection', async () => {
    const server = await servers.start();
    const watcher = await control(server);
    const running = cli(['audit', '--url', server.url, '--json', '--samples', '3', '--interval', '1', ...TIMEOUTS]);
    await waitFor(() => auditorLines(watcher), (lines) => lines.length === 1, 5000);
    await sleep(300); // the first sample is taken: now the server stops answering
    server.process.kill('SIGSTOP');

    const { value: run, ms } = await timed(15_000, () => running);
    server.process.kill('SIGCONT');

    expect(ms).toBeLessThan(10_000);
    const report = reportOf(run);
    expect(report.history.samplesThisRun).toBe(1);
    expect(report.nodes[0]?.errors).toEqual([expect.stringMatching(/^sampling stopped early: .*did not answer INFO within 1000 ms$/)]);
    expect(report.status).toBe('partial');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await waitFor(() => auditorLines(watcher), (lines) => lines.length === 0)).toEqual([]);
  });
});

describe('a server restarted between two samples of one run', () => {
  let report: AuditReport;
  let stderr: string;
  let restarted: LocalRedisServer;

  // One run, restarted once after its first sample; each test below reads one consequence of it.
  beforeAll(async () => {
    const first = await startLocalRedis();
    try {
      const watcher = await openControl(first);
      const running = cli(['audit', '--url', first.url, '--json', '--fail-on', 'never', '--samples', '3', '--interval', '1', ...TIMEOUTS]);
      await waitFor(() => auditorLines(watcher), (lines) => lines.length === 1, 5000);
      await sleep(200);
      await watcher.destroy();
      await first.stop();
      restarted = await startLocalRedis({ port: first.port });
      const run = (await timed(15_000, () => running)).value;
      report = reportOf(run);
      stderr = run.stderr;
    } finally {
      await first.stop();
    }
  });
  afterAll(async () => restarted?.stop());

  it('gives no churn figure rather than a negative or absurd one', () => {
    const rate = report.summary.newConnectionsPerMinute;

    expect(rate === null || (rate >= 0 && rate < 1000)).toBe(true);
    expect(report.findings.filter((f) => f.kind === 'connection-churn' || f.kind === 'connection-growth')).toEqual([]);
  });

  it('says that the server closed the auditor connection, in the report and on stderr', () => {
    expect(report.history.samplesThisRun).toBe(1);
    expect(report.nodes[0]?.errors.join('\n')).toMatch(/sampling stopped early: .*closed the auditor's connection between samples/);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: .*closed the auditor's connection/)]);
  });

  it('does not reconnect to the restarted server', async () => {
    const watcher = await control(restarted);

    // startLocalRedis's readiness probe and the watcher: no auditor connection after the restart.
    expect(await infoNumber(watcher, 'total_connections_received')).toBe(2);
  });
});

describe('a server that requires a password', () => {
  it('exits 2 naming NOAUTH when the URL has no password', async () => {
    const server = await servers.start({ args: ['--requirepass', 'needed-Pa55-word'] });

    const run = await cli(['audit', '--url', server.url, ...TIMEOUTS]);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: .*refused the credentials \(NOAUTH .*check the user and password/)]);
  });
});
