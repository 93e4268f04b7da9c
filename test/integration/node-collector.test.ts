// The collector against real redis-servers: what one sample holds, what it costs the server, that every
// failure maps to its error class without a password in it, and that the auditor never leaves a
// connection behind. A separate control connection looks at the server from outside.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { AuditError, AuthError, CommandTimeoutError, ConnectError, MaxClientsReachedError } from '../../lambda/core/errors.js';
import { NodeCollector } from '../../lambda/redis/node-collector.js';
import type { ConnectionTimeouts } from '../../lambda/redis/redis-connection.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { waitFor } from '../support/wait.js';

const timeouts: ConnectionTimeouts = { connectTimeoutMs: 2000, commandTimeoutMs: 2000 };
const collectors: NodeCollector[] = [];
const controls: Redis[] = [];

async function openCollector(url: string, opts: { tlsCaFile?: string; timeouts?: ConnectionTimeouts } = {}): Promise<NodeCollector> {
  const target = parseTargetUrl(url, opts.tlsCaFile !== undefined ? { tlsCaFile: opts.tlsCaFile } : {});
  const collector = await NodeCollector.open(target, opts.timeouts ?? timeouts);
  collectors.push(collector);
  return collector;
}

/** A connection that is not the auditor's, to look at the server from outside. */
async function openControl(server: LocalRedisServer, password?: string): Promise<Redis> {
  const control = new Redis({ host: server.host, port: server.port, password, lazyConnect: true, retryStrategy: () => null });
  controls.push(control);
  control.on('error', () => undefined); // failures show up on the awaited commands
  await control.connect();
  return control;
}

async function auditorLines(control: Redis): Promise<string[]> {
  const list = String(await control.call('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes('name=redis-leak-auditor'));
}

async function stat(control: Redis, name: string): Promise<number> {
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(await control.info('stats'))?.[1]);
}

/** A text's size on the wire as a RESP bulk string. */
function bulkBytes(text: string): number {
  const length = Buffer.byteLength(text);
  return `$${length}\r\n`.length + length + 2;
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

afterEach(async () => {
  await Promise.all(collectors.splice(0).map((collector) => collector.close()));
  // QUIT, not disconnect(): once it is answered the server has freed the client, so a test that
  // counts connections (maxclients) does not see the previous test's controls.
  await Promise.all(controls.splice(0).map((control) => control.quit().catch(() => control.disconnect())));
});

describe('on a plain server', () => {
  let server: LocalRedisServer;
  beforeAll(async () => {
    server = await startLocalRedis({ args: ['--maxclients', '1234', '--tcp-keepalive', '120'] });
  });
  afterAll(async () => server?.stop());

  it('samples INFO then CLIENT LIST, where the auditor finds its own named connection', async () => {
    const collector = await openCollector(server.url);
    const sample = await collector.sample(() => 1_700_000_000_000);

    expect(sample.node).toBe(`127.0.0.1:${server.port}`);
    expect(sample.takenAtMs).toBe(1_700_000_000_000);
    expect(sample.infoText).toMatch(/^redis_version:7\./m);
    expect(sample.auditorAddresses).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    const own = sample.clientListText?.split('\n').find((line) => line.includes(`addr=${sample.auditorAddresses[0]} `));
    expect(own).toContain('name=redis-leak-auditor');
    expect(own).toContain('cmd=client|list');
    expect(sample.errors).toEqual([]);
  });

  it('reads the server settings once, on the first sample, and meters every command', async () => {
    const collector = await openCollector(server.url);
    const first = await collector.sample();
    const second = await collector.sample();

    expect(first.config).toEqual({ timeoutSeconds: 0, maxClients: 1234, tcpKeepaliveSeconds: 120 });
    expect(second.config).toEqual(first.config);
    expect(first.cost.commandsSent).toBe(4); // CLIENT SETNAME, INFO, CLIENT LIST, one CONFIG GET
    expect(second.cost.commandsSent).toBe(2);
    // Every byte read off the socket: each reply is one bulk string, `$<length>\r\n<text>\r\n`.
    expect(second.cost.bytesRead).toBe(bulkBytes(second.infoText) + bulkBytes(second.clientListText ?? ''));
    expect(second.cost.roundTripMs).toBeGreaterThan(0);
  });

  it('prints an IPv6 connection the way the server does', async () => {
    const collector = await openCollector(`redis://[::1]:${server.port}`);
    const sample = await collector.sample();

    expect(sample.node).toBe(`[::1]:${server.port}`);
    expect(sample.auditorAddresses).toEqual([expect.stringMatching(/^\[::1\]:\d+$/)]);
    expect(sample.clientListText).toContain(`addr=${sample.auditorAddresses[0]} `);
  });

  it('connects once per collector and leaves no connection after close()', async () => {
    const control = await openControl(server);
    const before = await stat(control, 'total_connections_received');

    for (let i = 0; i < 2; i += 1) {
      const collector = await openCollector(server.url);
      await collector.sample();
      await collector.sample();
      await collector.close();
    }

    expect(await stat(control, 'total_connections_received')).toBe(before + 2);
    expect(await auditorLines(control)).toEqual([]);
  });

  it('closes idempotently and refuses to sample afterwards', async () => {
    const collector = await openCollector(server.url);
    await Promise.all([collector.close(), collector.close()]);
    await collector.close();

    await expect(collector.sample()).rejects.toThrow(AuditError);
  });

  it('fails with ConnectError, within the connect timeout, when nothing listens', async () => {
    const started = Date.now();
    const err = await failureOf(openCollector(`redis://127.0.0.1:${await freePort()}`));

    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(timeouts.connectTimeoutMs);
  });

  it('gives up with ConnectError after the connect timeout when the TLS handshake never completes', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => {
      held.push(socket);
      socket.resume(); // read the ClientHello, or 'close' never comes
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const closed = new Promise((resolve) => silent.once('connection', (socket) => socket.once('close', resolve)));
    try {
      const started = Date.now();
      const err = await failureOf(openCollector(`rediss://127.0.0.1:${port}`, { timeouts: { connectTimeoutMs: 300, commandTimeoutMs: 300 } }));

      expect(err).toBeInstanceOf(ConnectError);
      expect(err.message).toMatch(/ETIMEDOUT/);
      expect(Date.now() - started).toBeLessThan(1500);
      await closed; // the auditor's socket is gone, not left half-open
    } finally {
      held.forEach((socket) => socket.destroy());
      silent.close();
    }
  });

  it('fails with ConnectError, not a reconnect, when the server dropped the idle auditor between samples', async () => {
    const control = await openControl(server);
    const collector = await openCollector(server.url);
    await collector.sample();
    await control.call('CLIENT', 'KILL', 'USER', 'default', 'SKIPME', 'yes'); // as the server's idle timeout would
    await waitFor(() => auditorLines(control), (lines) => lines.length === 0, { what: 'no auditor connection', timeoutMs: 2000 });
    const before = await stat(control, 'total_connections_received');

    await expect(collector.sample()).rejects.toThrow(/closed the auditor's connection between samples/);
    expect(await stat(control, 'total_connections_received')).toBe(before);
  });

  it('maps a hung server to CommandTimeoutError and still closes promptly', async () => {
    const hung = await startLocalRedis();
    try {
      const collector = await openCollector(hung.url, { timeouts: { connectTimeoutMs: 500, commandTimeoutMs: 300 } });
      hung.process.kill('SIGSTOP');

      await expect(collector.sample()).rejects.toThrow(CommandTimeoutError);
      const started = Date.now();
      await collector.close();
      expect(Date.now() - started).toBeLessThan(1000);

      hung.process.kill('SIGCONT');
      const control = await openControl(hung);
      expect(await waitFor(() => auditorLines(control), (lines) => lines.length === 0, { what: 'no auditor connection', timeoutMs: 2000 })).toEqual([]);
    } finally {
      await hung.stop();
    }
  });
});

describe('with passwords and ACL users', () => {
  let server: LocalRedisServer;
  beforeAll(async () => {
    server = await startLocalRedis({
      args: [
        '--requirepass', 's3cret-pass',
        // The design's ACL (docs/design.md, Facts) also has +client|setinfo, which Redis 7.0 rejects (the subcommand is 7.2+).
        '--user', 'auditor', 'on', '>pw', '+client|list', '+client|setname', '+info', '+ping',
        '--user', 'nolist', 'on', '>pw', '+client|setname', '+info', '+ping',
        '--user', 'special', 'on', '>p@ss:w/rd%', '+client|list', '+client|setname', '+info',
      ],
    });
  });
  afterAll(async () => server?.stop());

  it('authenticates with the password from the URL', async () => {
    const collector = await openCollector(`redis://:s3cret-pass@127.0.0.1:${server.port}`);
    const sample = await collector.sample();

    expect(sample.clientListText).toContain('name=redis-leak-auditor');
    expect(sample.config.timeoutSeconds).toBe(0);
    expect(sample.cost.commandsSent).toBe(5); // AUTH, CLIENT SETNAME, INFO, CLIENT LIST, CONFIG GET
  });

  it('decodes a URL-encoded password', async () => {
    const collector = await openCollector(`redis://special:p%40ss%3Aw%2Frd%25@127.0.0.1:${server.port}`);

    expect((await collector.sample()).clientListText).toContain('user=special');
  });

  it('fails with AuthError on a wrong password, without the password and without a leftover connection', async () => {
    const control = await openControl(server, 's3cret-pass');
    const err = await failureOf(openCollector(`redis://:wrong-pass-9@127.0.0.1:${server.port}`));

    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/WRONGPASS/);
    expect(inspect(err, { depth: 5 })).not.toContain('wrong-pass-9');
    const list = await waitFor(async () => String(await control.call('CLIENT', 'LIST')).trim().split('\n'), (l) => l.length === 1, { what: 'the control connection alone', timeoutMs: 2000 });
    expect(list).toHaveLength(1); // the control connection only
  });

  it('fails with AuthError when the URL has no password', async () => {
    const err = await failureOf(openCollector(server.url));

    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/NOAUTH/);
  });

  it('audits as a least-privilege ACL user and silently skips CONFIG', async () => {
    const collector = await openCollector(`redis://auditor:pw@127.0.0.1:${server.port}`);
    const sample = await collector.sample();

    expect(sample.clientListText).toMatch(/name=redis-leak-auditor .*user=auditor/);
    expect(sample.config).toEqual({ timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null });
    expect(sample.errors).toEqual([]);
  });

  it('returns no client list, and says why, for a user without client|list', async () => {
    const collector = await openCollector(`redis://nolist:pw@127.0.0.1:${server.port}`);
    const sample = await collector.sample();

    expect(sample.infoText).toMatch(/^connected_clients:/m);
    expect(sample.clientListText).toBeNull();
    expect(sample.errors).toEqual([expect.stringMatching(/^CLIENT LIST refused \(NOPERM .*\); connections are not listed$/)]);
  });
});

describe('when maxclients is reached', () => {
  let server: LocalRedisServer;
  beforeAll(async () => {
    server = await startLocalRedis({ args: ['--maxclients', '2', '--requirepass', 'pw'] });
  });
  afterAll(async () => server?.stop());

  it.each([
    ['without credentials', (port: number) => `redis://127.0.0.1:${port}`],
    ['while authenticating', (port: number) => `redis://:pw@127.0.0.1:${port}`],
  ])('fails with MaxClientsReachedError %s', async (_, url) => {
    const [first] = [await openControl(server, 'pw'), await openControl(server, 'pw')];
    const rejectedBefore = await stat(first as Redis, 'rejected_connections');

    const err = await failureOf(openCollector(url(server.port)));

    expect(err).toBeInstanceOf(MaxClientsReachedError);
    expect(err.message).toMatch(/max number of clients reached/);
    expect(await stat(first as Redis, 'rejected_connections')).toBe(rejectedBefore + 1);
  });
});

describe('over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rla-tls-'));
  const file = (name: string) => join(dir, name);
  let server: LocalRedisServer;
  beforeAll(async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=rla-test-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
    writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n');
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', file('server.crt'), '-days', '2', '-extfile', file('ext.cnf'));
    const tlsPort = await freePort();
    server = await startLocalRedis({
      port: tlsPort,
      args: ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', file('server.crt'), '--tls-key-file', file('server.key'),
        '--tls-ca-cert-file', file('ca.crt'), '--tls-auth-clients', 'no'],
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['127.0.0.1', 'localhost'])('samples over rediss:// to %s with the CA file', async (host) => {
    const collector = await openCollector(`rediss://${host}:${server.port}`, { tlsCaFile: file('ca.crt') });
    const sample = await collector.sample();

    expect(sample.clientListText).toContain(`addr=${sample.auditorAddresses[0]} `);
    expect(sample.clientListText).toContain('name=redis-leak-auditor');
  });

  it('fails with ConnectError naming the certificate when the CA is not given', async () => {
    const err = await failureOf(openCollector(`rediss://127.0.0.1:${server.port}`));

    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toMatch(/TLS handshake .* failed: .*certificate/);
  });

  it('fails with ConnectError when a plain redis:// URL points at the TLS port', async () => {
    await expect(openCollector(`redis://127.0.0.1:${server.port}`, { timeouts: { connectTimeoutMs: 1000, commandTimeoutMs: 1000 } }))
      .rejects.toThrow(ConnectError);
  });
});
