// The one module that writes (lambda/redis/reclaim-kills.ts) against a real redis-server, between the audit's
// selection and the kill: a selected connection used again since the audit, and one that went away, are spared
// (looked up again with CLIENT LIST ID); the rest are killed, one CLIENT KILL ID each. A node that is a replica by
// now is refused, and a reached deadline stops the kills before the first one. Bounded: 5 connections a case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ReclaimCandidate } from '../../lambda/core/reclaim-selection.js';
import { killSelected } from '../../lambda/redis/reclaim-kills.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { waitFor, waitForIdle } from '../support/wait.js';

const SOURCE = '127.0.0.56';
const TIMEOUTS = { connectTimeoutMs: 1000, commandTimeoutMs: 2000 };
const opened: RespClient[] = [];
let server: LocalRedisServer;
let replica: LocalRedisServer;
let control: RespClient;

/** `count` connections from SOURCE, each used once when opened (CLIENT SETNAME), then left idle at least 1 s. */
async function leak(count: number): Promise<{ clients: RespClient[]; selected: ReclaimCandidate[] }> {
  const clients: RespClient[] = [];
  for (let i = 0; i < count; i += 1) {
    const client = await RespClient.connect({ host: server.host, port: server.port, localAddress: SOURCE });
    await client.command('CLIENT', 'SETNAME', 'orders-leaky');
    clients.push(client);
  }
  opened.push(...clients);
  await waitForIdle(() => control.command('CLIENT', 'LIST'), SOURCE, count, 1);
  const ports = new Set(clients.map((c) => c.local.port));
  const selected = parseClientList(String(await control.command('CLIENT', 'LIST'))).clients
    .filter((c) => c.sourceIp === SOURCE && ports.has(Number(c.addr.split(':').pop())))
    .map((c) => ({ id: c.id, addr: c.addr, workload: 'orders-leaky', ageSeconds: c.ageSeconds, idleSeconds: c.idleSeconds }));
  // In the order the connections were opened: selected[i] is clients[i].
  selected.sort((a, b) => a.id - b.id);
  return { clients, selected };
}

async function ids(): Promise<Set<number>> {
  return new Set(parseClientList(String(await control.command('CLIENT', 'LIST'))).clients.map((c) => c.id));
}

beforeAll(async () => {
  server = await startLocalRedis();
  control = await RespClient.connect({ host: server.host, port: server.port });
  replica = await startLocalRedis({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
}, 20_000);

afterAll(async () => {
  await Promise.allSettled(opened.map((c) => c.destroy()));
  control?.destroy();
  await replica?.stop();
  await server?.stop();
});

describe('killSelected against a real redis-server', () => {
  it('spares a connection used again and one gone since the selection, and kills the rest', async () => {
    const { clients, selected } = await leak(5);
    await clients[0]?.command('GET', 'rla:used-again'); // the application picked it up again: not abandoned
    await clients[1]?.destroy(); // gone on its own
    await waitFor(async () => parseClientList(String(await control.command('CLIENT', 'LIST'))).clients.filter((c) => c.sourceIp === SOURCE),
      (left) => left.length === 4, { what: 'the closed connection gone from the server' });
    const before = await ids();

    const result = await killSelected({ target: parseTargetUrl(server.url), selected, minIdleSeconds: 1, timeouts: TIMEOUTS });

    const after = await ids();
    const expectedKilled = selected.slice(2).map((c) => c.id);
    expect(result).toEqual({ killed: expectedKilled, spared: 2 });
    expect(after.has(selected[0]?.id ?? -1)).toBe(true);
    expect([...before].filter((id) => !after.has(id)).sort((a, b) => a - b)).toEqual(expectedKilled);
  }, 15_000);

  it('refuses on a node that is a replica now, and kills nothing', async () => {
    const onReplica = await RespClient.connect({ host: replica.host, port: replica.port, localAddress: SOURCE });
    opened.push(onReplica);
    await onReplica.command('CLIENT', 'SETNAME', 'orders-leaky');
    const listed = parseClientList(String(await onReplica.command('CLIENT', 'LIST'))).clients.find((c) => c.sourceIp === SOURCE);
    const selected = listed ? [{ id: listed.id, addr: listed.addr, workload: 'orders-leaky', ageSeconds: 9, idleSeconds: 9 }] : [];
    expect(selected).toHaveLength(1);

    const result = await killSelected({ target: parseTargetUrl(replica.url), selected, minIdleSeconds: 0, timeouts: TIMEOUTS });

    expect(result).toEqual({ killed: [], spared: 0, refused: 'The server is not a primary any more (a failover since the audit?): nothing is killed on a replica.' });
    expect(await onReplica.command('PING')).toBe('PONG');
  }, 15_000);

  it('starts no kill once the deadline is reached', async () => {
    const { selected } = await leak(2);
    const before = await ids();

    const result = await killSelected({ target: parseTargetUrl(server.url), selected, minIdleSeconds: 1, timeouts: TIMEOUTS, deadlineAtMs: Date.now() - 1 });

    expect(result).toEqual({ killed: [], spared: 0, stoppedBy: 'the deadline was reached after 0 kills' });
    expect([...(await ids())].sort()).toEqual([...before].sort());
  }, 15_000);
});
