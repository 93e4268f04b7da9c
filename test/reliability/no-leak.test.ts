// The auditor never leaks: 500 consecutive audits (the CLI in-process, one snapshot each) against one
// server leave none of its connections behind, on the server or in the auditor's own process, and the
// server counts exactly one new connection per audit of its one node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { cli } from '../support/run-cli.js';
import { waitFor } from '../support/wait.js';
import { auditorLines, clientLines, infoNumber, openControl, serverPool } from './server-probe.js';

const AUDITS = 500;

/** Sockets and timers this process holds, by kind (TCPSocketWrap, Timeout, ...). */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const servers = serverPool();
let server: LocalRedisServer;
let watcher: RespClient;
let before: { connectionsReceived: number; clients: number; resources: Record<string, number> };
let codes: number[];
let elapsedMs: number;

beforeAll(async () => {
  server = await servers.start();
  watcher = await openControl(server);
  before = {
    connectionsReceived: await infoNumber(watcher, 'total_connections_received'),
    clients: (await clientLines(watcher)).length,
    resources: activeResources(),
  };
  codes = [];
  const started = performance.now();
  for (let i = 0; i < AUDITS; i += 1) {
    codes.push((await cli(['audit', '--url', server.url, '--json', '--connect-timeout', '2000', '--command-timeout', '2000'])).code);
  }
  elapsedMs = performance.now() - started;
  console.log(`${AUDITS} audits in ${Math.round(elapsedMs)} ms (${(elapsedMs / AUDITS).toFixed(1)} ms each)`);
}, 60_000);
afterAll(async () => {
  await watcher?.close();
  await servers.stopAll();
});

describe(`${AUDITS} consecutive audits of one server`, () => {
  it('all succeed', () => {
    expect(codes.filter((code) => code !== 0)).toEqual([]);
  });

  it('leave no auditor connection on the server', async () => {
    expect(await waitFor(() => auditorLines(watcher), (lines) => lines.length === 0, { what: 'no auditor connection' })).toEqual([]);
    expect(await clientLines(watcher)).toHaveLength(before.clients);
  });

  it('make the server count exactly one new connection per audit', async () => {
    expect(await infoNumber(watcher, 'total_connections_received')).toBe(before.connectionsReceived + AUDITS);
  });

  it('leave no socket or timer open in the auditor process', async () => {
    const after = await waitFor(async () => activeResources(), (now) => (now.TCPSocketWrap ?? 0) <= (before.resources.TCPSocketWrap ?? 0), { what: 'the auditor\'s sockets closed' });

    expect(after.TCPSocketWrap ?? 0).toBe(before.resources.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual((before.resources.Timeout ?? 0) + 1); // vitest's own timer may tick
  });
});

describe('audits that fail', () => {
  it('leave no connection behind either: 100 refused at AUTH count one connection each', async () => {
    const locked = await servers.start({ args: ['--requirepass', 'right-Pa55'] });
    const admin = await openControl(locked, ['right-Pa55']);
    const received = await infoNumber(admin, 'total_connections_received');

    const runs = [];
    for (let i = 0; i < 100; i += 1) runs.push(await cli(['audit', '--url', `redis://:wrong-Pa55@127.0.0.1:${locked.port}`]));

    expect(runs.filter((run) => run.code !== 2)).toEqual([]);
    expect(await infoNumber(admin, 'total_connections_received')).toBe(received + 100);
    expect(await waitFor(() => clientLines(admin), (lines) => lines.length === 1, { what: 'the admin connection alone' })).toHaveLength(1);
    await admin.close();
  });
});
