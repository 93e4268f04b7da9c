// The companion names each connection after the line that created its client, on a real redis-server, with
// real ioredis and node-redis clients: on the first connection, after the server drops it (the client
// reconnects), for every member of a node-redis pool, and hashed.
import { createClient, createClientPool } from '@redis/client';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { hashedLocation } from '../../track/origin.js';
import { track, trackedClient } from '../../track/index.js';
import { closeAll, originOfMarker, waitForNamed, type Closable } from '../support/track-clients.js';
import { waitFor } from '../support/wait.js';

let server: LocalRedisServer;
let control: RespClient;
const opened: Closable[] = [];
const quiet = (): void => undefined; // a dropped connection makes both libraries emit 'error'; they reconnect

beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false });
  control = await RespClient.connect({ port: server.port });
});
afterEach(() => closeAll(opened));
afterAll(async () => {
  await control?.close();
  await server?.stop();
});

const nameFor = (marker: string): string => `orders-api@${originOfMarker(import.meta.url, marker)}`;

/** Drops the connection from the server's side and waits for the client to come back under the same name. */
async function killAndWaitForReconnect(name: string): Promise<void> {
  const [before] = await waitForNamed(control, name);
  await control.command('CLIENT', 'KILL', 'ID', String(before?.id));
  const [after] = await waitFor(async () => waitForNamed(control, name), (named) => named[0]?.id !== before?.id,
    { what: `a new connection named ${name}`, timeoutMs: 5000 });
  expect(after?.id).not.toBe(before?.id);
}

describe('ioredis', () => {
  it('names the connection after the line that created the client', async () => {
    const redis = track(new Redis({ port: server.port, lazyConnect: true }), { service: 'orders-api' }); // origin: ioredis-new
    opened.push(redis);
    await redis.connect();
    const name = nameFor('ioredis-new');
    expect(name).toMatch(/^orders-api@test\/integration\/track-naming\.test\.ts:\d+$/);
    await waitForNamed(control, name);
    expect(redis.options.connectionName).toBe(name);
  });

  it('keeps the name when the server drops the connection and the client reconnects', async () => {
    const redis = track(new Redis(server.port), { service: 'orders-api' }); // origin: ioredis-reconnect
    opened.push(redis.on('error', quiet));
    await killAndWaitForReconnect(nameFor('ioredis-reconnect'));
  });

  it('names a client that was already connected when tracked', async () => {
    const redis = new Redis(server.port);
    opened.push(redis);
    await redis.ping();
    track(redis, { service: 'orders-api' }); // origin: ioredis-late
    await waitForNamed(control, nameFor('ioredis-late'));
  });
});

describe('node-redis', () => {
  it('names the connection after the line that created the client, with RESP2 and RESP3', async () => {
    const resp2 = track(createClient({ url: server.url }), { service: 'orders-api' }); // origin: node-redis-resp2
    const resp3 = track(createClient({ url: server.url, RESP: 3 }), { service: 'orders-api' }); // origin: node-redis-resp3
    opened.push(resp2, resp3);
    await Promise.all([resp2.connect(), resp3.connect()]);
    await waitForNamed(control, nameFor('node-redis-resp2'));
    await waitForNamed(control, nameFor('node-redis-resp3'));
  });

  it('keeps the name when the server drops the connection and the client reconnects', async () => {
    const client = track(createClient({ url: server.url }), { service: 'orders-api' }); // origin: node-redis-reconnect
    opened.push(client.on('error', quiet));
    await client.connect();
    await killAndWaitForReconnect(nameFor('node-redis-reconnect'));
  });

  it('names every member of a pool, and members made later', async () => {
    const pool = track(createClientPool({ url: server.url }, { minimum: 2, maximum: 4 }), { service: 'orders-api' }); // origin: pool
    opened.push(pool);
    pool.on('error', quiet);
    await pool.connect();
    const name = nameFor('pool');
    await waitForNamed(control, name, 2);
    // Four commands at once need four members: the two made now are named by node-redis's own handshake.
    await Promise.all(Array.from({ length: 4 }, () => pool.execute((c) => c.blPop('nothing', 0.2))));
    await waitForNamed(control, name, 4);
    expect(trackedClient(pool)).toMatchObject({ kind: 'pool', library: 'node-redis', state: 'open', connections: 4 });
  });
});

describe('hashOrigin', () => {
  it('names the connection # and 8 hex digits of the location', async () => {
    const redis = track(new Redis(server.port), { service: 'orders-api', hashOrigin: true }); // origin: hashed
    opened.push(redis);
    const hash = hashedLocation(originOfMarker(import.meta.url, 'hashed'));
    expect(hash).toMatch(/^#[0-9a-f]{8}$/);
    await waitForNamed(control, `orders-api@${hash}`);
  });
});
