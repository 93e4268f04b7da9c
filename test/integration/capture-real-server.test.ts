// Captures real CLIENT LIST and INFO text from a throwaway redis-server and checks that the parsers read it.
// Clients are the demo's minimal RESP client, so that the test controls exactly what each connection does
// (and no client library sends CLIENT SETINFO or SETNAME behind our back).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient, type RespConnectOptions } from '../../cli/demo/resp-client.js';
import type { ClientListParse, ClientRecord } from '../../lambda/core/model.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { parseInfo, readCounters } from '../../lambda/core/parse-info.js';

describe('parsers on text captured from a real redis-server', () => {
  let server: LocalRedisServer | undefined;
  let socketDir: string | undefined;
  let socketPath = '';
  const opened: Record<string, RespClient> = {};
  let infoText = '';
  let list: ClientListParse;

  async function open(role: string, options: RespConnectOptions, ...commands: string[][]): Promise<void> {
    const connection = await RespClient.connect(options);
    opened[role] = connection;
    for (const command of commands) await connection.command(...command);
  }

  /** The client CLIENT LIST shows for one of our TCP sockets: same source address and port as the OS reports. */
  function clientOf(role: string): ClientRecord | undefined {
    const local = opened[role]?.local;
    return list.clients.find((c) => c.sourceIp === local?.address && c.sourcePort === local.port);
  }

  /** A value as Redis printed it, read with a regular expression independent of parseInfo. */
  function rawInfo(key: string): string | undefined {
    return new RegExp(`^${key}:(.*)\\r$`, 'm').exec(infoText)?.[1];
  }

  beforeAll(async () => {
    socketDir = mkdtempSync(join(tmpdir(), 'rla-sock-'));
    socketPath = join(socketDir, 'redis.sock');
    server = await startLocalRedis({ args: ['--unixsocket', socketPath, '--unixsocketperm', '700', '--maxclients', '77'] });
    const tcp = { host: '127.0.0.1', port: server.port };
    await open('from127.0.0.2', { ...tcp, localAddress: '127.0.0.2' }, ['PING']);
    await open('fromIpv6', { host: '::1', port: server.port }, ['PING']);
    await open('overUnix', { path: socketPath }, ['PING']);
    await open('named', tcp, ['CLIENT', 'SETNAME', 'a=b']);
    await open('subscriber', tcp, ['SUBSCRIBE', 'news']);
    await open('inMulti', tcp, ['MULTI']);
    await open('auditor', tcp);
    // Sent back to back without waiting, so that nothing changes between the two replies.
    const [info, clientList] = await Promise.all([opened.auditor!.command('INFO'), opened.auditor!.command('CLIENT', 'LIST')]);
    if (typeof info !== 'string' || typeof clientList !== 'string') throw new Error('INFO or CLIENT LIST failed');
    infoText = info;
    list = parseClientList(clientList);
  });

  afterAll(async () => {
    await Promise.all(Object.values(opened).map((connection) => connection.destroy()));
    await server?.stop();
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
  });

  it('reads every line of CLIENT LIST, one per connection INFO counts', () => {
    expect(list.malformedLines).toBe(0);
    expect(list.clients).toHaveLength(Number(rawInfo('connected_clients')));
    expect(list.clients).toHaveLength(7);
  });

  it('reads the source address of a client bound to 127.0.0.2, with its port', () => {
    expect(clientOf('from127.0.0.2')).toMatchObject({ sourceIp: '127.0.0.2', flags: 'N' });
  });

  it('reads an IPv6 client as ::1, without brackets', () => {
    const client = clientOf('fromIpv6');

    expect(client).toMatchObject({ sourceIp: '::1' });
    expect(client?.addr).toBe(`[::1]:${opened.fromIpv6?.local.port}`);
  });

  it('reads a unix socket client as unix:PATH with no port', () => {
    const unixClients = list.clients.filter((c) => c.sourceIp.startsWith('unix:'));

    expect(unixClients).toHaveLength(1);
    expect(unixClients[0]).toMatchObject({ sourceIp: `unix:${socketPath}`, sourcePort: null, addr: `${socketPath}:0` });
    expect(unixClients[0]?.flags).toContain('U');
  });

  it('reads a client name that contains =', () => {
    expect(clientOf('named')).toMatchObject({ name: 'a=b', cmd: 'client|setname' });
  });

  it('reads a subscriber: one channel, flag P', () => {
    expect(clientOf('subscriber')).toMatchObject({ sub: 1, psub: 0, cmd: 'subscribe' });
    expect(clientOf('subscriber')?.flags).toContain('P');
  });

  it('reads a client inside MULTI: multi 0, flag x', () => {
    expect(clientOf('inMulti')).toMatchObject({ multi: 0, cmd: 'multi' });
    expect(clientOf('inMulti')?.flags).toContain('x');
  });

  it('reads INFO without malformed lines, in the usual sections', () => {
    const info = parseInfo(infoText);

    expect(info.malformedLines).toBe(0);
    expect(Object.keys(info.sections)).toEqual(expect.arrayContaining(['server', 'clients', 'stats', 'replication', 'keyspace']));
  });

  it('reads the INFO counters as redis reports them', () => {
    const counters = readCounters(parseInfo(infoText));
    const pubsub = rawInfo('pubsub_clients'); // Redis 7.4+ only

    expect(counters).toEqual({
      version: rawInfo('redis_version'),
      serverName: 'redis',
      mode: 'standalone',
      role: 'master',
      runId: rawInfo('run_id'),
      uptimeSeconds: Number(rawInfo('uptime_in_seconds')),
      connectedClients: 7,
      blockedClients: 0,
      pubsubClients: pubsub === undefined ? null : 1,
      trackingClients: 0,
      maxClients: 77,
      totalConnectionsReceived: Number(rawInfo('total_connections_received')),
      rejectedConnections: 0,
    });
    expect(counters.runId).toMatch(/^[0-9a-f]{40}$/);
    expect(counters.totalConnectionsReceived).toBeGreaterThanOrEqual(7);
  });
});
