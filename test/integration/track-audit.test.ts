// The companion and the auditor end to end, with real ioredis and node-redis clients on real redis-servers:
// a fixture application (test/fixtures/track-app) whose handler makes a tracked client per request in
// handlers/user.ts and never closes it, beside one healthy shared client made at module level in
// shared-client.ts. After the leaked connections sit idle (as Redis itself says), the real audit (the CLI,
// --json and terminal) finds one leak of the workload orders-api at the handler's file and line, and never
// names the shared client's line; openClients() lists the leaked clients under the same origin.
// Origins are relative to the fixture's folder (track's `root`), and each expected line is found from a
// marker comment in the fixture's source, independently of the stack parsing under test.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { openClients } from '../../track/index.js';
import { redisUrls, warnings } from '../fixtures/track-app/config.js';
import { expectValidReport } from '../support/report-schema.js';
import { cli, type CliRun } from '../support/run-cli.js';
import { clientList, closeAll, type Closable } from '../support/track-clients.js';
import { waitFor } from '../support/wait.js';

type UserHandlers = typeof import('../fixtures/track-app/handlers/user.js');
type OrderHandlers = typeof import('../fixtures/track-app/handlers/orders.js');
type SharedClients = typeof import('../fixtures/track-app/shared-client.js');

const APP = new URL('../fixtures/track-app/', import.meta.url);
const REQUESTS = 30;
const SHARED_USES = 5;
const THRESHOLDS = ['--idle-seconds', '1', '--min-group-connections', '5'];

/** `handlers/user.ts:17`: the line of `file` (relative to the fixture app) that ends with `// origin: <marker>`. */
function appOrigin(file: string, marker: string): string {
  const lines = readFileSync(fileURLToPath(new URL(file, APP)), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.trimEnd().endsWith(`// origin: ${marker}`));
  if (index < 0) throw new Error(`no line ends with "// origin: ${marker}" in ${file}`);
  return `${file}:${index + 1}`;
}

const servers: { ioredis?: LocalRedisServer; nodeRedis?: LocalRedisServer } = {};
let users: UserHandlers | undefined;
let orders: OrderHandlers | undefined;
let shared: SharedClients | undefined;

beforeAll(async () => {
  const [ioredisServer, nodeRedisServer] = await Promise.allSettled([startLocalRedis({ ipv6: false }), startLocalRedis({ ipv6: false })]);
  if (ioredisServer.status === 'fulfilled') servers.ioredis = ioredisServer.value;
  if (nodeRedisServer.status === 'fulfilled') servers.nodeRedis = nodeRedisServer.value;
  if (servers.ioredis === undefined || servers.nodeRedis === undefined) throw new Error('a redis-server did not start');
  redisUrls.ioredis = servers.ioredis.url;
  redisUrls.nodeRedis = servers.nodeRedis.url;
  // The app is imported once its settings are known: shared-client.ts makes its clients as it loads.
  users = await import('../fixtures/track-app/handlers/user.js');
  shared = await import('../fixtures/track-app/shared-client.js');
  orders = await import('../fixtures/track-app/handlers/orders.js');
});

afterAll(async () => {
  try {
    const sharedClients: Closable[] = shared === undefined ? [] : [shared.sharedIoredis, shared.sharedNodeRedis];
    closeAll([...(users?.madePerRequest ?? []), ...sharedClients]);
  } finally {
    await Promise.allSettled([servers.ioredis?.stop(), servers.nodeRedis?.stop()]);
  }
});

interface Library {
  readonly library: 'ioredis' | 'node-redis';
  readonly server: () => LocalRedisServer;
  readonly leakMarker: string;
  readonly sharedMarker: string;
  readonly request: (id: string) => Promise<unknown>;
  readonly useShared: (id: string) => Promise<unknown>;
}

/** One library's scenario: requests that leak, a few uses of the shared client, the wait, both audits, then the checks. */
function auditScenario(lib: Library): void {
  const leak = appOrigin('handlers/user.ts', lib.leakMarker);
  const healthy = appOrigin('shared-client.ts', lib.sharedMarker);
  const leakName = `orders-api@${leak}`;
  let terminal: CliRun;
  let json: CliRun;
  let report: AuditReport;

  beforeAll(async () => {
    const server = lib.server();
    await Promise.all(Array.from({ length: REQUESTS }, (_, i) => lib.request(String(i))));
    for (let i = 0; i < SHARED_USES; i += 1) await lib.useShared(String(i));
    // Redis measures idle time itself: wait until it says every connection of the app (the leaked ones and the
    // shared one, whatever they are named: a wrong name must fail the checks below, with the names seen) is idle
    // past the threshold.
    const control = await RespClient.connect({ host: server.host, port: server.port });
    try {
      await waitFor(async () => (await clientList(control)).filter((c) => c.name.startsWith('orders-api@')),
        (named) => named.length === REQUESTS + 1 && named.every((c) => c.idleSeconds >= 1),
        { what: `${REQUESTS + 1} connections named orders-api@..., idle 1 s or more`, timeoutMs: 6000, intervalMs: 100 });
    } finally {
      await control.close();
    }
    terminal = await cli(['audit', '--url', server.url, ...THRESHOLDS]);
    json = await cli(['audit', '--url', server.url, '--json', ...THRESHOLDS]);
    report = JSON.parse(json.stdout) as AuditReport;
  });

  it('the fixture\'s leaking and shared lines are two different places, relative to the app\'s root', () => {
    expect(leak).toMatch(/^handlers\/user\.ts:\d+$/);
    expect(healthy).toMatch(/^shared-client\.ts:\d+$/);
  });

  it('exits 1 on the leak, with a report the schema accepts', () => {
    expect([terminal.code, json.code]).toEqual([1, 1]);
    expectValidReport(report);
  });

  it('finds one leak of orders-api whose origin is the handler\'s file and line', () => {
    const leaks = report.findings.filter((f) => f.kind === 'idle-connections' || f.kind === 'connection-growth');
    expect(leaks).toHaveLength(1);
    const [finding] = leaks;
    expect(finding?.subject).toMatchObject({ workload: 'orders-api', identifiedBy: 'client-name', origin: leak });
    expect(finding?.leakingOrigins?.map((o) => [o.origin, o.leakingConnections, o.connections])).toEqual([[leak, REQUESTS, REQUESTS]]);
  });

  it('never names the shared client\'s line in a finding', () => {
    expect(JSON.stringify(report.findings)).not.toContain(healthy);
    expect(JSON.stringify(report.findings)).not.toContain('shared-client.ts');
  });

  it('prints "opened at" the handler\'s line in the terminal findings, and not the shared one', () => {
    const start = terminal.stdout.indexOf('Findings (');
    expect(start).toBeGreaterThanOrEqual(0);
    const findings = terminal.stdout.slice(start, terminal.stdout.indexOf('\n\n', start));
    expect(findings).toContain(`opened at ${leak}`);
    expect(findings).toContain(`${REQUESTS} connections opened at ${leak} are never closed`);
    expect(findings).not.toContain(healthy);
    expect(findings).not.toContain('shared-client.ts');
  });

  it('the terminal inventory still shows the shared client under its own name (it was there, only not blamed)', () => {
    expect(terminal.stdout).toContain(`orders-api@${healthy} `);
  });

  it('openClients() lists the leaked clients under the handler\'s origin, and the shared one once under its own', () => {
    const mine = openClients().filter((c) => c.library === lib.library);
    const leaked = mine.filter((c) => c.origin === leak);
    expect(leaked).toHaveLength(REQUESTS);
    for (const client of leaked) expect(client).toMatchObject({ service: 'orders-api', name: leakName, state: 'open', kind: 'client' });
    expect(mine.filter((c) => c.origin === healthy)).toHaveLength(1);
    expect(mine).toHaveLength(REQUESTS + 1);
  });

  it('the companion itself warned that the handler\'s line holds too many clients, and not the shared line', () => {
    const tooMany = warnings.filter((w) => w.code === 'RLA_TRACK_TOO_MANY_CLIENTS').map((w) => w.message);
    expect(tooMany.some((m) => m.includes(`from ${leakName} `))).toBe(true);
    expect(tooMany.join('\n')).not.toContain(healthy);
  });
}

describe('ioredis', () => {
  auditScenario({
    library: 'ioredis',
    server: () => servers.ioredis as LocalRedisServer,
    leakMarker: 'leak-ioredis',
    sharedMarker: 'shared-ioredis',
    request: (id) => (users as UserHandlers).getUserWithIoredis(id),
    useShared: (id) => (orders as OrderHandlers).getOrderWithIoredis(id),
  });
});

describe('@redis/client', () => {
  auditScenario({
    library: 'node-redis',
    server: () => servers.nodeRedis as LocalRedisServer,
    leakMarker: 'leak-node-redis',
    sharedMarker: 'shared-node-redis',
    request: (id) => (users as UserHandlers).getUserWithNodeRedis(id),
    useShared: (id) => (orders as OrderHandlers).getOrderWithNodeRedis(id),
  });
});
