// Connections named in the companion's form (`service@origin`) against a real redis-server, audited through
// the CLI: a "pod" at 127.0.0.41 opens a client per call at src/handlers/user.ts:42 and never closes them,
// beside its one shared client from src/redis.ts:3; a second pod holds only its shared client. The audit
// finds one leak of the workload orders-api and names the leaking line, in the terminal and in --json, and
// never the shared client's line. Thresholds scaled to seconds: --idle-seconds 1 --min-group-connections 5.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { idlePool, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { waitForIdle } from '../support/wait.js';

const LEAKING_POD = '127.0.0.41';
const HEALTHY_POD = '127.0.0.42';
const LEAKING = 'src/handlers/user.ts:42';
const HEALTHY = 'src/redis.ts:3';
const PER_CALL = 12;
const THRESHOLDS = ['--idle-seconds', '1', '--min-group-connections', '5'];

let server: LocalRedisServer;
const handles: WorkloadHandle[] = [];
let terminal: CliRun;
let json: CliRun;
let report: AuditReport;

beforeAll(async () => {
  server = await startLocalRedis();
  const target = { host: server.host, port: server.port };
  // Each connection of an idle pool runs one command and sits idle: what a client made per call and left open looks like.
  handles.push(
    await idlePool(target, LEAKING_POD, { size: PER_CALL, name: `orders-api@${LEAKING}` }),
    await idlePool(target, LEAKING_POD, { size: 1, name: `orders-api@${HEALTHY}` }),
    await idlePool(target, HEALTHY_POD, { size: 1, name: `orders-api@${HEALTHY}` }),
  );
  // Redis measures idle time itself: wait until it says every connection is idle past the threshold.
  await waitForIdle(target, LEAKING_POD, PER_CALL + 1, 1);
  await waitForIdle(target, HEALTHY_POD, 1, 1);
  terminal = await cli(['audit', '--url', server.url, ...THRESHOLDS]);
  json = await cli(['audit', '--url', server.url, '--json', ...THRESHOLDS]);
  report = JSON.parse(json.stdout) as AuditReport;
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  await server?.stop();
});

describe('an audit of clients named after the line that created them', () => {
  it('exits 1 on the leak, with a report the schema accepts', () => {
    expect([terminal.code, json.code]).toEqual([1, 1]);
    expectValidReport(report);
  });

  it('finds one leak of the workload orders-api and names the leaking line as its origin', () => {
    const leaks = report.findings.filter((f) => f.kind === 'idle-connections' || f.kind === 'connection-growth');
    expect(leaks).toHaveLength(1);
    const [leak] = leaks;
    expect(leak?.subject).toMatchObject({ workload: 'orders-api', identifiedBy: 'client-name', origin: LEAKING });
    expect(leak?.leakingOrigins?.map((o) => [o.origin, o.leakingConnections, o.connections])).toEqual([[LEAKING, PER_CALL, PER_CALL]]);
    expect(leak?.evidence).toMatchObject({ leakingOrigins: 1, leakingConnectionsAtOrigin: PER_CALL });
    expect(leak?.recommendation).toMatch(/^Open src\/handlers\/user\.ts:42: a client is created there per call and never closed/);
  });

  it('never names the shared client\'s line in a finding', () => {
    expect(JSON.stringify(report.findings)).not.toContain(HEALTHY);
  });

  it('prints the leaking line in the terminal, in the finding and its fix, and not the shared one there', () => {
    const start = terminal.stdout.indexOf('Findings (');
    const findings = terminal.stdout.slice(start, terminal.stdout.indexOf('\n\n', start));
    expect(findings).toMatch(new RegExp(`idle-connections {2}orders-api \\(client name, 2 addresses, largest ${LEAKING_POD.replace(/\./g, '\\.')}\\): `
      + `${PER_CALL} connections opened at src/handlers/user\\.ts:42 are never closed \\(idle since they were opened\\)`));
    expect(findings).toContain(`leaking at: ${LEAKING} (${PER_CALL} of its ${PER_CALL} connections)`);
    expect(findings).toContain(`fix: Open ${LEAKING}: a client is created there per call and never closed`);
    expect(findings).not.toContain(HEALTHY);
  });
});
