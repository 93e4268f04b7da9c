// Faults of the audited server, through the CLI as a user runs it (in-process): a server that hangs
// (SIGSTOP) before or during the run, a restart between two samples of one run, missing AUTH, and a hostile
// server (a scripted fake) whose replies are absurdly large, nil, swapped or implausibly short.
// Not listening, a wrong password and maxclients are proven elsewhere (see docs/reliability.md).
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { parse, type RespClient } from '../../cli/demo/resp-client.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli } from '../support/run-cli.js';
import { signal, waitFor } from '../support/wait.js';
import { auditorLines, clientLines, infoNumber, openControl, reportOf, serverPool, timed } from './server-probe.js';

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
    const lines = await waitFor(() => clientLines(watcher), (l) => l.length === 1, { what: 'the watcher alone' });

    expect(lines).toHaveLength(1); // the watcher itself
    // startLocalRedis's readiness probe, the auditor once (no retry), the watcher.
    expect(await infoNumber(watcher, 'total_connections_received')).toBe(3);
  });

  it('keeps what it read when the server hangs between samples, says why it stopped, and leaves no connection', async () => {
    const server = await servers.start();
    const watcher = await control(server);
    // The auditor's wait between samples is the test's: it starts once the first sample is taken.
    const sampled = signal();
    const resume = signal();
    const running = cli(['audit', '--url', server.url, '--json', '--samples', '3', '--interval', '1', ...TIMEOUTS], {}, {
      sleep: async () => { sampled.fire(); await resume.promise; },
    });
    await sampled.promise; // the first sample is taken: now the server stops answering
    server.process.kill('SIGSTOP');
    resume.fire();

    const { value: run, ms } = await timed(15_000, () => running);
    server.process.kill('SIGCONT');

    expect(ms).toBeLessThan(10_000);
    const report = reportOf(run);
    expect(report.history.samplesThisRun).toBe(1);
    expect(report.nodes[0]?.errors).toEqual([expect.stringMatching(/^sampling stopped early: .*did not answer INFO within 1000 ms$/)]);
    expect(report.status).toBe('partial');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await waitFor(() => auditorLines(watcher), (lines) => lines.length === 0, { what: 'no auditor connection' })).toEqual([]);
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
      const sampled = signal();
      const resume = signal();
      const running = cli(['audit', '--url', first.url, '--json', '--fail-on', 'never', '--samples', '3', '--interval', '1', ...TIMEOUTS], {}, {
        sleep: async () => { sampled.fire(); await resume.promise; },
      });
      await sampled.promise; // the first sample is taken
      await watcher.destroy();
      await first.stop();
      restarted = await startLocalRedis({ port: first.port });
      resume.fire();
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

/** What a scripted server answers to INFO and CLIENT LIST; everything else gets +OK (CONFIG GET an empty array). */
interface Script {
  info?: (socket: Socket) => string | Buffer;
  clientList: (socket: Socket) => string | Buffer;
}

const INFO = '# Server\r\nredis_version:7.2.4\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\n'
  + '# Clients\r\nconnected_clients:29\r\n# Stats\r\ntotal_connections_received:100\r\n';
const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
/** The auditor's own line, as the server would print it: the fake knows the auditor's address. */
const ownLine = (socket: Socket) => `id=99 addr=${socket.remoteAddress}:${socket.remotePort} laddr=127.0.0.1:6379 fd=9 name=redis-leak-auditor age=0 idle=0 cmd=client|list\n`;

const fakes: Server[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function hostileServer(script: Script): Promise<{ url: string; closed: Promise<void> }> {
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => markClosed());
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let parsed = parse(pending, 0); parsed !== undefined; parsed = parse(pending, 0)) {
        pending = pending.subarray(parsed.end);
        const command = (parsed.value as string[]).slice(0, 2).join(' ').toUpperCase();
        if (command === 'INFO') socket.write(script.info?.(socket) ?? bulk(INFO));
        else if (command === 'CLIENT LIST') socket.write(script.clientList(socket));
        else if (command.startsWith('CONFIG')) socket.write('*0\r\n');
        else if (command === 'QUIT') socket.end('+OK\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`, closed };
}

async function auditOf(script: Script) {
  const fake = await hostileServer(script);
  const run = await cli(['audit', '--url', fake.url, '--json', ...TIMEOUTS]);
  await fake.closed; // the auditor's connection is gone whatever happened
  return run;
}

describe('a hostile server', () => {
  it.each([
    ['an array header of 99,999,999,999 elements', () => '*99999999999\r\n', /the reply to CLIENT LIST is too large: an array of 99999999999 elements \(limit 16\)/],
    ['a 768 MB bulk string', () => '$805306368\r\n', /the reply to CLIENT LIST is too large: a bulk string of 805306368 bytes \(limit 1 MiB\)/],
    ['a nil', () => '$-1\r\n', /CLIENT LIST answered nil or not a bulk string/],
    ['INFO in its place', () => bulk(INFO), /CLIENT LIST answered no client line/],
    ['2 clients where INFO counted 29', (socket: Socket) => bulk(`${ownLine(socket)}id=5 addr=10.0.0.1:1 fd=8 name= age=1 idle=1 cmd=get\n`),
      /CLIENT LIST listed 2 clients where INFO counted 29/],
  ])('answering CLIENT LIST with %s gives a partial report that says so, not 0 clients and ok', async (_, clientList, error) => {
    const run = await auditOf({ clientList });

    const report = reportOf(run);
    expect(report.status).toBe('partial');
    // INFO's text in its place is kept (the core then also counts its lines as malformed).
    expect(report.nodes[0]?.errors).toEqual(expect.arrayContaining([expect.stringMatching(error)]));
    expect(report.nodes[0]?.errors.filter((e) => !/malformed CLIENT LIST lines/.test(e))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('is cut off when it streams more CLIENT LIST than it declared: the auditor stops reading, memory stays flat', async () => {
    const rssBefore = process.memoryUsage().rss;
    let sent = 0;
    const run = await auditOf({
      clientList: (socket) => {
        const line = Buffer.from(ownLine(socket).repeat(600)); // ~64 KiB of valid lines
        const push = () => { while (!socket.destroyed && sent < 768 * 1024 * 1024 && socket.write(line)) sent += line.length; };
        socket.on('drain', push);
        setImmediate(push);
        return `$${1000 * 1024}\r\n`; // claims under the 1 MiB limit, then sends up to 768 MB
      },
    });

    expect(reportOf(run).nodes[0]?.errors).toEqual([expect.stringMatching(/the reply to CLIENT LIST is not valid RESP: a bulk string not ended by CRLF/)]);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('answering INFO with a client list fails the node with exit 2 and one line', async () => {
    const run = await auditOf({ info: (socket) => bulk(ownLine(socket)), clientList: () => bulk(INFO) });

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/answered INFO with text that is not INFO/)]);
  });
});
