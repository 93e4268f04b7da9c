// ACL users through the CLI: the README's least-privilege line is enough for a full audit, and a user
// without CLIENT LIST degrades to INFO-only with the `client-list-unavailable` info finding.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { fastClock } from '../support/wait.js';
import { openControl, reportOf, serverPool } from './server-probe.js';

/**
 * The ACL SETUSER line of the README, as an operator would paste it, without `+client|setinfo`: the README
 * says to leave it out before Redis 7.2 (7.0 rejects the whole rule). The cluster subcommands exist in 7.0.
 */
function readmeAclRule(password: string): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const line = /^ACL SETUSER leak-auditor .*$/m.exec(readme)?.[0];
  if (line === undefined) throw new Error('README.md has no "ACL SETUSER leak-auditor" line');
  return line.split(/\s+/).slice(3) // after ACL SETUSER leak-auditor
    .filter((rule) => rule !== '+client|setinfo')
    .map((rule) => (rule === '>CHANGE-ME' ? `>${password}` : rule));
}

const servers = serverPool();
let server: LocalRedisServer;
let admin: RespClient;
let pool: WorkloadHandle;

beforeAll(async () => {
  server = await servers.start();
  admin = await openControl(server);
  await admin.command('ACL', 'SETUSER', 'leak-auditor', ...readmeAclRule('least-Pa55'));
  await admin.command('ACL', 'SETUSER', 'no-list', 'on', '>no-list-Pa55', 'resetkeys', 'resetchannels', '-@all', '+client|setname', '+info', '+ping');
  // Something to list: a small pool from a source of its own.
  pool = await idlePool({ host: server.host, port: server.port }, '127.0.0.61', { size: 5, name: 'app-pool' });
});
afterAll(async () => {
  await pool?.stop();
  await admin?.close();
  await servers.stopAll();
});

async function auditAs(user: string, password: string): Promise<{ run: CliRun; report: AuditReport }> {
  await admin.command('ACL', 'LOG', 'RESET');
  const run = await cli(['audit', '--url', `redis://${user}:${password}@127.0.0.1:${server.port}`, '--json', '--samples', '2', '--interval', '0.2'], {}, fastClock());
  return { run, report: reportOf(run) };
}

/** What the server's ACL LOG says it refused since the last reset, as `reason:object`. */
async function refusals(): Promise<string[]> {
  const entries = (await admin.command('ACL', 'LOG')) as unknown[][];
  return entries.map((entry) => {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
    return `${String(fields.get('reason'))}:${String(fields.get('object'))}`;
  });
}

describe("the README's least-privilege ACL user", () => {
  it('runs a full audit that lists every connection, and exits 0', async () => {
    const { run, report } = await auditAs('leak-auditor', 'least-Pa55');

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(report.status).toBe('ok');
    expect(report.auditor.method).toBe('client-list');
    expect(report.nodes[0]?.errors).toEqual([]);
    expect(report.groups.bySourceIp.find((g) => g.key === '127.0.0.61')?.connections).toBe(5);
  });

  it('is refused nothing by the server but CONFIG GET, which the audit skips silently', async () => {
    const { report } = await auditAs('leak-auditor', 'least-Pa55');

    expect(new Set(await refusals())).toEqual(new Set(['command:config|get']));
    expect(report.findings.map((f) => f.kind)).not.toContain('no-idle-timeout');
  });
});

describe('an ACL user without client|list', () => {
  it('degrades to an INFO-only audit with the client-list-unavailable info finding, and exits 0', async () => {
    const { run, report } = await auditAs('no-list', 'no-list-Pa55');

    expect(run.code).toBe(0);
    expect(report.auditor.method).toBe('info-only');
    expect(report.findings.filter((f) => f.kind === 'client-list-unavailable').map((f) => f.severity)).toEqual(['info']);
    expect(report.summary.connectedClients).toBeGreaterThanOrEqual(6); // the pool, the admin, the auditor
    expect(report.groups.bySourceIp).toEqual([]);
  });

  it('says in the node errors that connections are not listed, and why', async () => {
    const { report } = await auditAs('no-list', 'no-list-Pa55');

    expect(report.nodes[0]?.clientListAvailable).toBe(false);
    expect(report.nodes[0]?.errors.join('\n')).toMatch(/CLIENT LIST refused \(NOPERM .*\); connections are not listed/);
  });
});
