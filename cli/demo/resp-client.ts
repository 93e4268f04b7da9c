// A minimal RESP2 client over node:net for the demo workload and the integration tests.
// The workload binds each socket to a chosen source address (127.0.0.x, ::1) to look like distinct hosts
// (ioredis ignores a `localAddress` option; only its `Connector` hook can do it, see test/support/fleet.ts),
// and leaves sockets in states a real client library would refuse (blocked forever, inside MULTI), so a
// small raw client is the honest tool. The auditor's own client is lambda/redis/resp-connection.ts.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
// The same RESP encoding as the auditor's own client.
import { encode } from '../../lambda/redis/resp-connection.js';

/** A decoded reply. Bulk strings are UTF-8 text; an error nested in an array (EXEC) stays a value. */
export type RespValue = string | number | null | RespError | RespValue[];

export class RespError extends Error {
  override name = 'RespError';
}

export interface RespConnectOptions {
  readonly host?: string;
  readonly port?: number;
  /** Source address to bind the socket to (127.0.0.x, ::1): how the workload poses as distinct hosts. */
  readonly localAddress?: string;
  /** Unix socket path; when set, host, port and localAddress are ignored. */
  readonly path?: string;
  /** Connect timeout. @default 5000 */
  readonly timeoutMs?: number;
  /** Connect with TLS, trusting this CA (PEM); plain TCP when absent. Not with `path`. */
  readonly ca?: Buffer | string;
}

type Arg = string | number | Buffer;
interface Waiter { resolve(value: RespValue): void; reject(err: Error): void }

const CRLF = Buffer.from('\r\n');
/** How long close() waits for the server to answer QUIT before it destroys the socket. */
const QUIT_GRACE_MS = 1000;

export class RespClient {
  /** Replies that no command() waits for (after send(), pub/sub messages) go here; dropped by default. */
  onPush: ((value: RespValue) => void) | undefined;
  private readonly waiting: Waiter[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private readonly closeListeners: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    // Without an 'error' listener a reset from the server would crash the whole process.
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      this.closed = true;
      this.fail(new Error('connection closed'));
      for (const listener of this.closeListeners.splice(0)) listener();
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static connect(options: RespConnectOptions): Promise<RespClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const where = { host: options.host ?? '127.0.0.1', port: options.port ?? 6379, localAddress: options.localAddress };
    const socket: Socket = options.path != null
      ? connect({ path: options.path })
      : options.ca !== undefined ? tlsConnect({ ...where, ca: options.ca }) : connect(where);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
      socket.once(options.ca !== undefined && options.path == null ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true); // pipelined small commands: do not wait for Nagle
        resolve(new RespClient(socket));
      });
    });
  }

  /** This end of the connection, as the server prints it in CLIENT LIST `addr` (without brackets). */
  get local(): { readonly address: string | undefined; readonly port: number | undefined } {
    return { address: this.socket.localAddress, port: this.socket.localPort };
  }

  /** True until the socket has closed. */
  get open(): boolean {
    return !this.closed;
  }

  /** Sends a command and resolves with its reply; replies are matched to commands in order. */
  command(...args: Arg[]): Promise<RespValue> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error('connection is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  /**
   * Sends a command whose reply may never come (BLPOP key 0) and is not awaited. Its reply, if any,
   * goes to onPush; do not mix command() in after it on the same connection, replies would be mismatched.
   */
  send(...args: Arg[]): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encode(args));
  }

  /** Calls listener once when the socket has closed (for whoever tracks open connections). */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** QUIT (best effort: a blocked client never answers) then destroy; resolves once the socket is closed. */
  async close(): Promise<void> {
    if (!this.closed && !this.socket.destroyed) {
      this.socket.end(encode(['QUIT'])); // FIN too: the server frees even a blocked client on EOF
      const timer = setTimeout(() => this.socket.destroy(), QUIT_GRACE_MS);
      await this.closedPromise;
      clearTimeout(timer);
    }
    await this.closedPromise;
  }

  /** Drops the connection at once, without QUIT. */
  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closedPromise;
  }

  private fail(err: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(err);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let parsed: Parsed | undefined;
      try {
        parsed = parse(this.buffer, 0);
      } catch (err) {
        // A protocol error leaves the stream unreadable: fail everything and drop the connection.
        this.fail(err as Error);
        this.socket.destroy();
        return;
      }
      if (parsed === undefined) return; // incomplete: wait for the next chunk
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.waiting.shift();
      if (waiter === undefined) this.onPush?.(parsed.value);
      else if (parsed.value instanceof RespError) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
  }
}

interface Parsed { readonly value: RespValue; readonly end: number }

/** Parses one reply starting at offset; undefined when the buffer does not hold all of it yet. */
export function parse(buffer: Buffer, offset: number): Parsed | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+': return { value: line, end: next };
    case '-': return { value: new RespError(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '$': {
      const length = integer(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = integer(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`bad RESP length ${JSON.stringify(text)}`);
  return value;
}
