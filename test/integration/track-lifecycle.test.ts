// The in-process registry follows real clients: every way of closing counts (from the clients' own events),
// too many clients from one line are warned about, a name the server refuses is told once and breaks nothing,
// and an ioredis client's idle time comes from its socket's counters.
import { createClient, createClientPool } from '@redis/client';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { openClients, track, trackedClient, type TrackWarning } from '../../track/index.js';
import { closeAll, type Closable } from '../support/track-clients.js';
import { sleep, waitFor } from '../support/wait.js';

let server: LocalRedisServer;
const opened: Closable[] = [];

beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false });
});
afterEach(() => closeAll(opened));
afterAll(async () => {
  await server?.stop();
});

describe('closing', () => {
  it.each(['quit', 'disconnect'] as const)('an ioredis client closed with %s() is closed in the registry', async (how) => {
    const redis = track(new Redis(server.port), { service: 'lifecycle' });
    opened.push(redis);
    await redis.ping();
    expect(trackedClient(redis)?.state).toBe('open');
    if (how === 'quit') await redis.quit();
    else redis.disconnect();
    await waitFor(() => trackedClient(redis)?.state, (state) => state === 'closed', { what: 'the client closed in the registry' });
    expect(openClients().map((c) => c.name)).not.toContain(trackedClient(redis)?.name);
  });

  it.each(['quit', 'close', 'destroy', 'disconnect'] as const)('a node-redis client closed with %s() is closed in the registry', async (how) => {
    const client = track(createClient({ url: server.url }), { service: 'lifecycle' });
    opened.push(client);
    await client.connect();
    expect(openClients().map((c) => c.name)).toContain(trackedClient(client)?.name);
    await client[how]();
    await waitFor(() => trackedClient(client)?.state, (state) => state === 'closed', { what: 'the client closed in the registry' });
  });

  it.each(['close', 'destroy'] as const)('a node-redis pool closed with %s() is closed in the registry', async (how) => {
    const pool = track(createClientPool({ url: server.url }), { service: 'lifecycle' });
    opened.push(pool);
    await pool.connect();
    expect(trackedClient(pool)?.state).toBe('open');
    await pool[how]();
    expect(trackedClient(pool)?.state).toBe('closed');
  });
});

describe('warnings', () => {
  it('warns once when one line holds more than maxClientsPerOrigin open clients, naming the line, the count and the fix', () => {
    const warnings: TrackWarning[] = [];
    for (let i = 0; i < 5; i += 1) {
      opened.push(track(new Redis({ port: server.port, lazyConnect: true }), { service: 'burst', maxClientsPerOrigin: 3, onWarning: (w) => warnings.push(w) }));
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe('RLA_TRACK_TOO_MANY_CLIENTS');
    expect(warnings[0]?.message).toMatch(/^4 Redis clients are open from burst@test\/integration\/track-lifecycle\.test\.ts:\d+ \(more than 3\)/);
    expect(warnings[0]?.message).toContain('create one client and share it, or close it');
  });

  it('tells once that the server refused the name, and the client keeps working', async () => {
    const admin = new Redis(server.port);
    opened.push(admin);
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~*', '+@all', '-client');
    const warnings: TrackWarning[] = [];
    const redis = new Redis({ port: server.port, username: 'app', password: 'secret' });
    opened.push(redis);
    await redis.ping();
    track(redis, { service: 'refused', onWarning: (w) => warnings.push(w) });
    await waitFor(() => warnings.length, (n) => n === 1, { what: 'a warning' });
    expect(warnings[0]?.code).toBe('RLA_TRACK_NAME_FAILED');
    expect(warnings[0]?.message).toMatch(/^could not name a Redis connection refused@.*NOPERM/);
    await expect(redis.set('still', 'works')).resolves.toBe('OK');
  });
});

describe('idle time', () => {
  it('counts an ioredis client idle from the look after its last use, at least', async () => {
    const redis = track(new Redis(server.port), { service: 'idle' });
    opened.push(redis);
    await redis.ping();
    const look = (): number | null | undefined => openClients().find((c) => c.service === 'idle')?.idleSeconds;
    expect(look()).toBeNull(); // the first look starts the count
    await sleep(1100); // idle is real time passing
    expect(look()).toBeGreaterThanOrEqual(1);
    await redis.ping();
    expect(look()).toBe(0);
  });

  it('says a node-redis client\'s idle time is unknown, and gives its age', async () => {
    const client = track(createClient({ url: server.url }), { service: 'idle-node-redis' });
    opened.push(client);
    await client.connect();
    expect(trackedClient(client)).toMatchObject({ idleSeconds: null, ageSeconds: 0, state: 'open' });
  });
});
