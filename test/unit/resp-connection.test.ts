// The auditor's RESP2 client against what a broken or hostile server can send: the parser's limits on
// chunks fed by hand, and the connection's behaviour over real loopback sockets to a tiny scripted server
// (after a timeout or a broken limit the socket is gone and nothing more is written; close() leaves no handle).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError, ReplyTooLargeError } from '../../lambda/core/errors.js';
import type { ReplyLimits } from '../../lambda/core/reply-limits.js';
import { ConnectionClosedError, ReplyParser, RespConnection, RespReplyError, RespTimeoutError, type RespReply } from '../../lambda/redis/resp-connection.js';

const LIMITS: ReplyLimits = { maxReplyBytes: 1024, maxBulkBytes: 512, maxArrayElements: 100, maxDepth: 2 };

function parseAll(bytes: string | Buffer, limits = LIMITS): RespReply | undefined {
  return new ReplyParser(limits, 'TEST').push(Buffer.from(bytes))?.value;
}

function failureOf(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('the reply parser', () => {
  it.each([
    ['a huge array header', '*99999999999\r\n', /array of 99999999999 elements \(limit 100\)/],
    ['a huge bulk length', '$99999999999\r\n', /bulk string of 99999999999 bytes/],
    ['a bulk length beyond any number', '$123456789012345678901234567890\r\n', /bulk string of Infinity bytes/],
    ['arrays nested too deep', '*1\r\n*1\r\n*1\r\n:1\r\n', /nested deeper than 2/],
    ['many small elements over the total', `*100\r\n${'$8\r\nabcdefgh\r\n'.repeat(100)}`, /more than 1 KiB/],
    ['an endless simple string', `+${'x'.repeat(5000)}`, /line longer than 4 KiB/, { ...LIMITS, maxReplyBytes: 1 << 20 }],
  ])('rejects %s with ReplyTooLargeError', (_, bytes, message, limits: ReplyLimits = LIMITS) => {
    const err = failureOf(() => parseAll(bytes, limits));

    expect(err).toBeInstanceOf(ReplyTooLargeError);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    ['a garbage type byte', '\x16\x03\x01\x02\x00'],
    ['a non-numeric length', '$abc\r\n'],
    ['a bulk string not ended by CRLF', '$3\r\nabcXY'],
    ['a line ended by LF alone', ':12\n'],
    ['a negative length other than -1', '*-2\r\n'],
  ])('rejects %s with ProtocolError', (_, bytes) => {
    expect(failureOf(() => parseAll(bytes))).toBeInstanceOf(ProtocolError);
  });

  it('reads every RESP2 type, nil included', () => {
    const value = parseAll('*6\r\n+OK\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*2\r\n$0\r\n\r\n*0\r\n\r\n');

    expect(value).toEqual(['OK', -42, Buffer.from('hello'), null, null, [Buffer.alloc(0), []]]);
  });

  it('keeps an error inside an array as a value', () => {
    const value = parseAll('*2\r\n-ERR nested one\r\n:1\r\n') as RespReply[];

    expect(value[0]).toBeInstanceOf(RespReplyError);
    expect((value[0] as Error).message).toBe('ERR nested one');
    expect(value[1]).toBe(1);
  });

  it('parses a reply split at every byte boundary the same as whole', () => {
    const bytes = Buffer.from('*4\r\n$11\r\nid=1 addr=x\r\n*2\r\n:7\r\n-ERR no\r\n+OK\r\n$-1\r\n');
    const whole = parseAll(bytes);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const parser = new ReplyParser(LIMITS, 'TEST');

      expect(parser.push(bytes.subarray(0, cut))).toBeUndefined();
      expect(parser.push(bytes.subarray(cut))).toEqual({ value: whole, rest: 0 });
    }
  });

  it('says how many bytes came after the reply', () => {
    expect(new ReplyParser(LIMITS, 'TEST').push(Buffer.from('+OK\r\n+EXTRA\r\n'))).toEqual({ value: 'OK', rest: 8 });
  });
});

/** A scripted server: `answer` gets each command's raw bytes and the socket to write to (or not). */
interface Fake { readonly port: number; readonly received: Buffer[]; readonly closed: Promise<void>; readonly server: Server }
const servers: Server[] = [];
const connections: RespConnection[] = [];

async function fakeServer(answer: (command: string, socket: Socket) => void): Promise<Fake> {
  const received: Buffer[] = [];
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  const server = createServer((socket) => {
    socket.on('data', (chunk) => {
      received.push(chunk);
      answer(chunk.toString('latin1'), socket);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => markClosed());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, received, closed, server };
}

async function connectTo(fake: Fake): Promise<RespConnection> {
  const connection = await RespConnection.connect({ host: '127.0.0.1', port: fake.port, connectTimeoutMs: 1000 });
  connections.push(connection);
  return connection;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close(100)));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const small = (timeoutMs = 1000) => ({ timeoutMs, limits: LIMITS });

describe('a connection', () => {
  it('answers commands one after the other, an error reply included', async () => {
    const fake = await fakeServer((command, socket) => socket.write(command.includes('BAD') ? '-ERR unknown command\r\n' : '+PONG\r\n'));
    const connection = await connectTo(fake);

    expect(await rejectionOf(connection.command(['BAD'], small()))).toBeInstanceOf(RespReplyError);
    expect(await connection.command(['PING'], small())).toBe('PONG');
    expect(connection.usable).toBe(true);
  });

  it('after a timeout has destroyed the socket, and rejects the next command without writing it', async () => {
    const fake = await fakeServer(() => undefined); // never answers
    const connection = await connectTo(fake);

    const err = await rejectionOf(connection.command(['PING'], small(50)));
    await fake.closed;
    const next = await rejectionOf(connection.command(['PING'], small()));

    expect(err).toBeInstanceOf(RespTimeoutError);
    expect(next).toBeInstanceOf(ConnectionClosedError);
    expect(Buffer.concat(fake.received).toString()).toBe('*1\r\n$4\r\nPING\r\n'); // the first PING only
  });

  it('closes the connection on a reply over its limit and rejects with ReplyTooLargeError', async () => {
    let writes = 0;
    const fake = await fakeServer((_, socket) => {
      socket.write('$100000000\r\n');
      // Keep streaming as a hostile server would; stop once the auditor has gone.
      const timer = setInterval(() => { if (!socket.destroyed) { writes += 1; socket.write(Buffer.alloc(65536, 97)); } }, 1);
      socket.on('close', () => clearInterval(timer));
    });
    const connection = await connectTo(fake);

    const err = await rejectionOf(connection.command(['CLIENT', 'LIST'], small()));
    await fake.closed;

    expect(err).toBeInstanceOf(ReplyTooLargeError);
    expect((err as Error).message).toBe('the reply to CLIENT LIST is too large: a bulk string of 100000000 bytes (limit 512 bytes)');
    expect(connection.usable).toBe(false);
    expect(connection.bytesReceived).toBeLessThan(1024 * 1024);
    expect(writes).toBeLessThan(100);
  });

  it('destroys the socket on garbage and on bytes no command asked for', async () => {
    const fake = await fakeServer((_, socket) => socket.write('+OK\r\n+UNASKED\r\n'));
    const connection = await connectTo(fake);

    const err = await rejectionOf(connection.command(['PING'], small()));
    await fake.closed;

    expect(err).toBeInstanceOf(ProtocolError);
    expect(connection.usable).toBe(false);
  });

  it('hands an error the server wrote on accept (maxclients) to the first command, without sending it', async () => {
    const fake = await fakeServer(() => undefined);
    fake.server.on('connection', (socket) => socket.end('-ERR max number of clients reached\r\n'));
    const connection = await connectTo(fake);
    await fake.closed;

    const err = await rejectionOf(connection.command(['CLIENT', 'SETNAME', 'x'], small()));

    expect(err).toBeInstanceOf(RespReplyError);
    expect((err as Error).message).toBe('ERR max number of clients reached');
    expect(fake.received).toEqual([]);
  });

  it.each([
    ['a timeout', (fake: Fake) => fakeServer(() => undefined).then((f) => Object.assign(fake, f)), 50],
    ['a reply over its limit', (fake: Fake) => fakeServer((_, s) => s.write('*1000\r\n')).then((f) => Object.assign(fake, f)), 1000],
    ['a clean QUIT', (fake: Fake) => fakeServer((c, s) => (c.includes('QUIT') ? s.end('+OK\r\n') : s.write('+PONG\r\n'))).then((f) => Object.assign(fake, f)), 1000],
  ])('resolves close() after %s and leaves no socket or timer behind', async (_, start, timeoutMs) => {
    const before = tcpSockets();
    const fake = {} as Fake;
    await start(fake);
    const connection = await connectTo(fake);
    await connection.command(['PING'], small(timeoutMs)).catch(() => undefined);

    await connection.close(200);
    await connection.close(200); // idempotent
    await fake.closed;
    await new Promise((resolve) => setImmediate(resolve));

    expect(tcpSockets()).toBe(before);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBeLessThanOrEqual(1);
  });

  it('sends QUIT on close and waits for the server to close', async () => {
    const fake = await fakeServer((command, socket) => { if (command.includes('QUIT')) socket.end('+OK\r\n'); });
    const connection = await connectTo(fake);

    await connection.close(1000);

    expect(Buffer.concat(fake.received).toString()).toBe('*1\r\n$4\r\nQUIT\r\n');
    await fake.closed;
  });
});
