// The workload simulator against a real redis-server: each pattern from its own loopback source,
// checked through a separate control connection's CLIENT LIST, the way the auditor will see it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { loopbackSourcesAvailable } from '../../cli/demo/loopback.js';
import { RespClient, RespError } from '../../cli/demo/resp-client.js';
import {
  blockingPopNoTimeout, busyPool, connectPerRequestChurn, idlePool, openTransaction, perRequestLeak, pubsubLeak,
} from '../../cli/demo/workload.js';
import { sleep, waitFor, waitForIdle } from '../support/wait.js';

const loopback = await loopbackSourcesAvailable();
const socketDir = mkdtempSync(join(tmpdir(), 'rla-sock-'));
const socketPath = join(socketDir, 'redis.sock');
let server: LocalRedisServer;
let control: RespClient;

beforeAll(async () => {
  server = await startLocalRedis({ ipv6: loopback.ipv6, args: ['--unixsocket', socketPath, '--unixsocketperm', '700'] });
  control = await RespClient.connect({ host: server.host, port: server.port });
});

afterAll(async () => {
  await control?.close();
  await server?.stop();
  rmSync(socketDir, { recursive: true, force: true });
});

type ClientRecord = Record<string, string> & { ip: string };

/** CLIENT LIST as records, each with ip: the addr without port and without IPv6 brackets. */
async function clientsFrom(ip: string): Promise<ClientRecord[]> {
  const text = String(await control.command('CLIENT', 'LIST'));
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const fields = Object.fromEntries(line.trim().split(' ').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }));
    const addr = String(fields.addr);
    return { ...fields, ip: addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '') };
  }).filter((client) => client.ip === ip);
}

async function stat(name: string): Promise<number> {
  const info = String(await control.command('INFO', 'stats'));
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
}

const target = (): { host: string; port: number } => ({ host: server.host, port: server.port });
const goneFrom = (ip: string): Promise<ClientRecord[]> => waitFor(() => clientsFrom(ip), (list) => list.length === 0, { what: `no client from ${ip}`, timeoutMs: 2000 });

/** A fake server that answers the first bytes it reads with reply(socket). */
async function fakeServer(reply: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const fake = createServer((socket) => socket.once('data', () => reply(socket)));
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const address = fake.address();
  return { server: fake, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('RespClient', () => {
  it('decodes every RESP2 reply type even when the bytes arrive one at a time', async () => {
    const wire = Buffer.from('+OK\r\n-ERR boom\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n*2\r\n:1\r\n$0\r\n\r\n*-1\r\n$3\r\nend\r\n');
    const { server: fake, port } = await fakeServer((socket) => {
      const drip = (i: number): void => {
        if (i < wire.length) socket.write(wire.subarray(i, i + 1), () => setTimeout(() => drip(i + 1), 1));
      };
      drip(0);
    });
    const client = await RespClient.connect({ host: '127.0.0.1', port });
    const replies = await Promise.allSettled(['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((name) => client.command(name)));
    expect(replies.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(
      ['OK', 'ERR boom', 42, 'hello', null, [[1, ''], null], 'end'],
    );
    expect((replies[1] as PromiseRejectedResult).reason).toBeInstanceOf(RespError);
    await client.destroy();
    fake.close();
  });

  it('rejects pending commands instead of crashing when the server drops the connection', async () => {
    const { server: fake, port } = await fakeServer((socket) => socket.resetAndDestroy());
    const client = await RespClient.connect({ host: '127.0.0.1', port });
    await expect(client.command('PING')).rejects.toThrow();
    await expect(client.command('PING')).rejects.toThrow(/closed/);
    fake.close();
  });

  it('keeps pipelined replies in order around an error and a reply larger than one TCP chunk', async () => {
    const client = await RespClient.connect({ host: server.host, port: server.port });
    const big = 'x'.repeat(300_000);
    const replies = await Promise.allSettled([
      client.command('SET', 'rla:test:str', big), client.command('LPUSH', 'rla:test:str', 'a'),
      ...Array.from({ length: 100 }, (_, i) => client.command('ECHO', String(i))), client.command('GET', 'rla:test:str'),
    ]);
    expect(replies[0]).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(String((replies[1] as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(replies.slice(2, 102).map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual(
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
    expect(replies[102]).toEqual({ status: 'fulfilled', value: big });
    await client.close();
  });

  it('binds to the requested source address, and close() is idempotent', async () => {
    const client = await RespClient.connect({ host: server.host, port: server.port, localAddress: '127.0.0.9' });
    expect(String(await client.command('CLIENT', 'INFO'))).toMatch(/addr=127\.0\.0\.9:/);
    await Promise.all([client.close(), client.close()]);
    await client.close();
    expect(client.open).toBe(false);
    expect(await clientsFrom('127.0.0.9')).toEqual([]);
  });

  it('connects over a unix socket', async () => {
    const client = await RespClient.connect({ path: socketPath });
    expect(String(await client.command('CLIENT', 'INFO'))).toContain(`addr=${socketPath}:0`);
    await client.close();
  });

  it('rejects connect when nothing listens', async () => {
    const { server: fake, port } = await fakeServer(() => undefined);
    await new Promise((resolve) => fake.close(resolve));
    await expect(RespClient.connect({ host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('loopbackSourcesAvailable', () => {
  it.runIf(process.platform === 'linux')('finds 127.0.0.2 bindable on Linux', () => {
    expect(loopback.ipv4).toBe(true);
  });
});

describe.runIf(loopback.ipv4)('workload patterns', () => {
  it('perRequestLeak leaves every named connection open from its source until stop()', async () => {
    const handle = await perRequestLeak(target(), '127.0.0.2', { count: 20, name: 'leaky-api' });
    const clients = await clientsFrom('127.0.0.2');
    expect(clients).toHaveLength(20);
    expect(clients.every((c) => c.name === 'leaky-api' && c.cmd === 'get')).toBe(true);
    expect(handle.connections()).toBe(20);
    await handle.stop();
    expect(handle.connections()).toBe(0);
    expect(await goneFrom('127.0.0.2')).toEqual([]);
  });

  it('perRequestLeak with a rate opens its connections gradually and stops at count', async () => {
    const handle = await perRequestLeak(target(), '127.0.0.3', { count: 6, ratePerSecond: 40 });
    expect((await clientsFrom('127.0.0.3')).length).toBeLessThan(6);
    await waitFor(() => clientsFrom('127.0.0.3'), (list) => list.length >= 6, { what: '6 clients from 127.0.0.3' });
    expect(await clientsFrom('127.0.0.3')).toHaveLength(6);
    await handle.stop();
    expect(await goneFrom('127.0.0.3')).toEqual([]);
  });

  it('stop() during paced opening leaves nothing behind', async () => {
    const handle = await perRequestLeak(target(), '127.0.0.10', { count: 50, ratePerSecond: 200 });
    await waitFor(() => clientsFrom('127.0.0.10'), (list) => list.length > 0, { what: 'the first paced connection from 127.0.0.10' });
    await handle.stop();
    await sleep(100); // absence takes time to see: a pacing timer stop() missed would fire within 5 ms
    expect(await clientsFrom('127.0.0.10')).toEqual([]);
  });

  it('pubsubLeak leaves subscribers (flag P) open', async () => {
    const handle = await pubsubLeak(target(), '127.0.0.4', { count: 5 });
    const clients = await clientsFrom('127.0.0.4');
    expect(clients).toHaveLength(5);
    expect(clients.every((c) => c.flags?.includes('P') && c.sub === '1')).toBe(true);
    await handle.stop();
    expect(await goneFrom('127.0.0.4')).toEqual([]);
  });

  it('blockingPopNoTimeout leaves clients blocked (flag b) in BLPOP', async () => {
    const handle = await blockingPopNoTimeout(target(), '127.0.0.5', { count: 5 });
    const clients = await waitFor(() => clientsFrom('127.0.0.5'), (list) => list.filter((c) => c.flags?.includes('b')).length === 5, { what: '5 blocked clients from 127.0.0.5', timeoutMs: 2000 });
    expect(clients.every((c) => c.flags?.includes('b') && c.cmd === 'blpop')).toBe(true);
    const started = Date.now();
    await handle.stop();
    expect(Date.now() - started).toBeLessThan(900); // EOF frees a blocked client: no waiting out the QUIT grace
    expect(await goneFrom('127.0.0.5')).toEqual([]);
  });

  it('openTransaction leaves clients inside MULTI (flag x, multi >= 0)', async () => {
    const handle = await openTransaction(target(), '127.0.0.6', { count: 5 });
    const clients = await clientsFrom('127.0.0.6');
    expect(clients).toHaveLength(5);
    expect(clients.every((c) => c.flags?.includes('x') && Number(c.multi) >= 0)).toBe(true);
    await handle.stop();
    expect(await goneFrom('127.0.0.6')).toEqual([]);
  });

  it('connectPerRequestChurn makes about rate x duration connections while holding only a few', async () => {
    const before = await stat('total_connections_received');
    const handle = await connectPerRequestChurn(target(), '127.0.0.7', { ratePerSecond: 100, durationMs: 1000, maxInFlight: 4 });
    let most = 0;
    for (let i = 0; i < 10; i++) {
      most = Math.max(most, (await clientsFrom('127.0.0.7')).length);
      await sleep(100); // the cadence of looking while the churn runs for its 1 s
    }
    await waitFor(async () => (await stat('total_connections_received')) - before, (n) => n >= 80, { what: '80 connections made by the churn' });
    await handle.stop();
    const made = (await stat('total_connections_received')) - before;
    expect(made).toBeGreaterThanOrEqual(80);
    expect(made).toBeLessThanOrEqual(100);
    expect(most).toBeLessThanOrEqual(4);
    expect(await goneFrom('127.0.0.7')).toEqual([]);
  });

  it('busyPool keeps its connections busy: idle stays 0 or 1', async () => {
    const handle = await busyPool(target(), '127.0.0.8', { size: 5, name: 'busy-pool' });
    await sleep(1200); // real time on the server, which measures idle: a pool that stopped would show idle 1 here
    const clients = await clientsFrom('127.0.0.8');
    expect(clients).toHaveLength(5);
    expect(clients.every((c) => Number(c.idle) <= 1 && c.cmd === 'incr' && c.name === 'busy-pool')).toBe(true);
    await handle.stop();
    expect(await goneFrom('127.0.0.8')).toEqual([]);
  });

  it.runIf(loopback.ipv6)('idlePool from ::1 sits idle', async () => {
    const handle = await idlePool(target(), '::1', { size: 3 });
    await waitForIdle(() => control.command('CLIENT', 'LIST'), '::1', 3, 1);
    const clients = await clientsFrom('::1');
    expect(clients).toHaveLength(3);
    expect(clients.every((c) => Number(c.idle) >= 1 && c.addr?.startsWith('[::1]:'))).toBe(true);
    await handle.stop();
    expect(await goneFrom('::1')).toEqual([]);
  });

  it('refuses a non-loopback target and out-of-range counts without connecting', async () => {
    await expect(perRequestLeak({ host: '10.0.0.1', port: 6379 }, '127.0.0.2', { count: 1 })).rejects.toThrow(/loopback/);
    await expect(idlePool(target(), '127.0.0.2', { size: 2001 })).rejects.toThrow(/size must be an integer from 0 to 2000/);
    await expect(connectPerRequestChurn(target(), '127.0.0.2', { ratePerSecond: 100, durationMs: 61_000 })).rejects.toThrow(RangeError);
  });
});
