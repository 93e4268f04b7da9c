// Read-only by default: every command the server runs while the CLI audits it (two samples, as an ACL user
// allowed everything, so that AUTH and CONFIG GET are sent and nothing is refused: the restraint is the
// auditor's own, not the ACL's) must be in the least-privilege ACL of docs/design.md (Facts) (client|list, client|setname,
// client|setinfo, info, ping, cluster|nodes/shards/info), plus AUTH, CONFIG GET (read-only, skipped when
// refused), HELLO 2 (the auditor's own client id for listing by id; no ACL can refuse it) and QUIT. The audit
// lists by id (a 0.1 ms stall budget, 60 clients), so that every command of that path is seen. Anything else (SELECT, CLIENT KILL, CONFIG SET, any write) fails the test.
// Two recorders: MONITOR, on a connection of its own, ties each command to the connection that sent it,
// but Redis leaves admin commands out of MONITOR (CLIENT LIST, CONFIG GET, and also CLIENT KILL, CONFIG SET);
// INFO commandstats, read before and after, counts every command the server ran or refused, admin ones too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli } from '../support/run-cli.js';
import { fastClock, waitFor } from '../support/wait.js';
import { openControl, reportOf, serverPool } from './server-probe.js';

const ALLOWED = new Set([
  'client|list', 'client|setname', 'client|setinfo', 'info', 'ping', 'cluster|nodes', 'cluster|shards', 'cluster|info',
  'auth', 'config|get', 'quit', 'hello',
]);
const WITH_SUBCOMMAND = new Set(['client', 'config', 'cluster', 'acl', 'object', 'memory', 'script', 'function', 'xinfo', 'command']);
const PASSWORD = 'monitor-Pa55';
const END_MARKER = 'rla-read-only-test-end';

interface Seen { readonly db: string; readonly addr: string; readonly args: string[] }

/** `1795687810.612651 [0 127.0.0.1:38352] "CLIENT" "SETNAME" "x"` -> db, addr and the unquoted arguments. */
function parseMonitorLine(line: string): Seen {
  const m = /^\d+\.\d+ \[(\d+) ([^\]]+)\] (.*)$/.exec(line);
  if (!m) throw new Error(`unexpected MONITOR line ${JSON.stringify(line)}`);
  const args = [...(m[3] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1] ?? '');
  return { db: m[1] ?? '', addr: m[2] ?? '', args };
}

/** `client|list`, `info`: the name the ACL uses for a command. */
function aclName(args: readonly string[]): string {
  const command = (args[0] ?? '').toLowerCase();
  return WITH_SUBCOMMAND.has(command) && args[1] !== undefined ? `${command}|${args[1].toLowerCase()}` : command;
}

const servers = serverPool();
let server: LocalRedisServer;
let pool: WorkloadHandle;
let seen: Seen[];
let auditorAddr: string;
let report: AuditReport;
let executed: Map<string, number>;

/** INFO commandstats as `client|list` -> calls + rejected calls. */
async function commandStats(control: RespClient): Promise<Map<string, number>> {
  const text = String(await control.command('INFO', 'commandstats'));
  const stats = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)(?:.*?rejected_calls=(\d+))?/gm)) {
    stats.set(m[1] ?? '', Number(m[2]) + Number(m[3] ?? 0));
  }
  return stats;
}

/** What ran between two commandstats readings, less the first reading's own INFO. */
function difference(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, count] of after) {
    const ran = count - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (ran !== 0) delta.set(name, ran);
  }
  return delta;
}

beforeAll(async () => {
  server = await servers.start({ args: ['--user', 'all-powerful', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'] });
  // Started before MONITOR, idle during it: something for the audit to list, sending nothing itself.
  pool = await idlePool({ host: server.host, port: server.port }, '127.0.0.71', { size: 60 });
  const lines: string[] = [];
  const monitor: RespClient = await openControl(server);
  monitor.onPush = (value) => lines.push(String(value));
  await monitor.command('MONITOR');
  const marker = await openControl(server);
  const markerAddr = `${String(marker.local.address)}:${String(marker.local.port)}`;
  try {
    const statsBefore = await commandStats(marker);
    const run = await cli(['audit', '--url', `redis://all-powerful:${PASSWORD}@127.0.0.1:${server.port}`, '--json', '--fail-on', 'never', '--samples', '2', '--interval', '0.5', '--max-stall-ms', '0.1'], {}, fastClock());
    report = reportOf(run);
    executed = difference(statsBefore, await commandStats(marker));
    // MONITOR lines arrive in order: once the marker is seen, every command of the audit has been.
    await marker.command('ECHO', END_MARKER);
    await waitFor(async () => lines, (l) => l.some((line) => line.includes(END_MARKER)), { what: 'the end marker in MONITOR' });
  } finally {
    await Promise.all([monitor.destroy(), marker.close()]);
  }
  seen = lines.map(parseMonitorLine).filter((s) => s.addr !== markerAddr);
  auditorAddr = seen.find((s) => aclName(s.args) === 'client|setname' && s.args[2] === 'redis-leak-auditor')?.addr ?? '';
});
afterAll(async () => {
  await pool?.stop();
  await servers.stopAll();
});

describe('the commands the auditor sends, as MONITOR records them (admin commands left out)', () => {
  it('all come from the one connection the auditor named redis-leak-auditor', () => {
    expect(report.auditor.method).toBe('client-list-by-id');
    expect(auditorAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect([...new Set(seen.map((s) => s.addr))]).toEqual([auditorAddr]);
  });

  it("are all in the allowed list of the design's ACL, plus AUTH and QUIT", () => {
    const names = seen.map((s) => aclName(s.args));

    expect(names.filter((name) => !ALLOWED.has(name))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['auth', 'client|setname', 'info', 'hello']));
  });

  it('include no SELECT: every command runs on database 0', () => {
    expect(seen.filter((s) => s.db !== '0')).toEqual([]);
  });

  it('never ask for INFO all or everything, the expensive sections', () => {
    const infoArgs = seen.filter((s) => aclName(s.args) === 'info').map((s) => s.args.slice(1).join(' ').toLowerCase());

    expect(infoArgs.filter((a) => /\b(all|everything|commandstats|latencystats)\b/.test(a))).toEqual([]);
  });
});

describe('the commands the server ran during the audit, as INFO commandstats counts them (admin commands too)', () => {
  it("are all in the allowed list of the design's ACL, plus AUTH, CONFIG GET and QUIT", () => {
    expect([...executed.keys()].filter((name) => !ALLOWED.has(name))).toEqual([]);
    expect([...executed.keys()]).toEqual(expect.arrayContaining(['client|list', 'info']));
  });

  it('are as many as the report says the auditor sent, and its QUIT', () => {
    const total = [...executed.values()].reduce((sum, n) => sum + n, 0);

    expect(total).toBe(report.auditor.commandsSent + 1);
  });
});
