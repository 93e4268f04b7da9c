// The auditor's own RESP2 client: one socket, one command at a time, each with a timeout and with hard limits
// on its reply. A general client (ioredis) buffers a reply whole, copies it several times, throws from the
// socket's data handler on an absurd array header and keeps using a socket whose last reply never finished;
// an auditor facing a broken or hostile server must do none of that. Any limit, protocol error or timeout
// destroys the socket at once and the connection refuses every later command: no command is ever sent on a
// socket whose previous reply did not complete.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ProtocolError } from '../core/errors.js';
import { SMALL_REPLY_LIMITS, type ReplyLimits } from '../core/reply-limits.js';
import { ReplyParser, RespReplyError, type RespReply } from './resp-reply.js';

export { ReplyParser, RespReplyError, type RespReply } from './resp-reply.js';

export class RespTimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super('Command timed out');
  }
}

/** A command on a connection that is closed, or was dropped after an earlier failure. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

export interface RespConnectOptions {
  readonly host: string;
  readonly port: number;
  /** TLS when given (CA, servername); plain TCP otherwise. */
  readonly tls?: ConnectionOptions;
  /** TCP connect plus TLS handshake. */
  readonly connectTimeoutMs: number;
}

export interface CommandOptions {
  readonly timeoutMs: number;
  readonly limits: ReplyLimits;
}

interface Pending {
  readonly parser: ReplyParser;
  readonly resolve: (value: RespReply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class RespConnection {
  private pending: Pending | undefined;
  /** Why the connection is unusable: our own abort, or the server's close. */
  private failure: Error | undefined;
  private socketError: Error | undefined;
  /** Before the first command a server may write one error and close (maxclients): kept for that command. */
  private greeting: { parser: ReplyParser; reply?: RespReplyError } | undefined;
  private sentAny = false;
  private received = 0;
  private closing: Promise<void> | undefined;
  private readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Without an 'error' listener a reset would crash the process; the error names the cause on 'close'.
    socket.on('error', (err) => { this.socketError ??= err; });
    socket.on('close', () => this.abort(this.greeting?.reply ?? this.socketError ?? new Error('the server closed the connection')));
  }

  static connect(options: RespConnectOptions): Promise<RespConnection> {
    const where = { host: options.host, port: options.port };
    const socket: Socket = options.tls ? tlsConnect({ ...where, ...options.tls }) : netConnect(where);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`connect ETIMEDOUT: no ${options.tls ? 'TLS session' : 'connection'} within ${options.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, options.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(new RespConnection(socket));
      });
    });
  }

  get localAddress(): string | undefined { return this.socket.localAddress; }
  get localPort(): number | undefined { return this.socket.localPort; }
  /** Every byte read from the socket, RESP framing included. */
  get bytesReceived(): number { return this.received; }
  /** False once closed, dropped after a failure, or closed by the server. */
  get usable(): boolean { return this.failure === undefined && this.closing === undefined && !this.socket.destroyed; }
  /** What made the connection unusable, when something did. */
  get failureReason(): Error | undefined { return this.failure; }

  /** Drops the connection now (replies out of step, say): every later command is refused. */
  destroy(reason: Error): void {
    this.abort(reason);
  }

  /** Sends one command and resolves with its reply; an error reply rejects with RespReplyError. */
  command(args: readonly string[], options: CommandOptions): Promise<RespReply> {
    const what = commandLabel(args);
    if (this.greeting?.reply !== undefined) {
      const greeted = this.greeting.reply;
      this.abort(greeted);
      return Promise.reject(greeted);
    }
    if (!this.usable) return Promise.reject(new ConnectionClosedError(`the connection is closed${this.failure ? ` (after: ${this.failure.message})` : ''}`));
    if (this.pending) return Promise.reject(new Error(`${what} sent while another command is waiting: commands are never pipelined`));
    if (this.greeting) {
      const early = new ProtocolError(`the server sent bytes before ${what} was asked`);
      this.abort(early);
      return Promise.reject(early);
    }
    return this.send(args, options, what);
  }

  /**
   * QUIT within `boundMs` (none when 0, or when the connection already failed), then destroy; resolves once
   * the socket is closed. Idempotent, never throws.
   */
  close(boundMs: number): Promise<void> {
    this.closing ??= (async () => {
      if (boundMs > 0 && this.failure === undefined && !this.socket.destroyed && this.pending === undefined && this.greeting === undefined) {
        const started = performance.now();
        await this.send(['QUIT'], { timeoutMs: boundMs, limits: SMALL_REPLY_LIMITS }, 'QUIT').catch(() => undefined);
        // After +OK the server closes: waiting for it means the server has freed the client when close() returns.
        let timer: NodeJS.Timeout | undefined;
        const left = Math.max(0, boundMs - (performance.now() - started));
        await Promise.race([this.closed, new Promise<void>((resolve) => { timer = setTimeout(resolve, left); })]);
        clearTimeout(timer);
      }
      this.abort(new ConnectionClosedError('closed by the auditor'));
      await this.closed;
    })();
    return this.closing;
  }

  private send(args: readonly string[], options: CommandOptions, what: string): Promise<RespReply> {
    this.sentAny = true;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.abort(new RespTimeoutError(options.timeoutMs)), Math.max(1, options.timeoutMs));
      this.pending = { parser: new ReplyParser(options.limits, what), resolve, reject, timer };
      this.socket.write(encode(args));
    });
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.failure !== undefined) return;
    const pending = this.pending;
    try {
      if (pending === undefined) return this.onUnsolicited(chunk);
      const done = pending.parser.push(chunk);
      if (done === undefined) return;
      if (done.rest > 0) throw new ProtocolError(`the server sent ${done.rest} bytes more than the reply it was asked for`);
      clearTimeout(pending.timer);
      this.pending = undefined;
      if (done.value instanceof RespReplyError) pending.reject(done.value);
      else pending.resolve(done.value);
    } catch (err) {
      this.abort(err as Error);
    }
  }

  private onUnsolicited(chunk: Buffer): void {
    if (this.sentAny || this.greeting?.reply !== undefined) throw new ProtocolError('the server sent bytes that no command asked for');
    this.greeting ??= { parser: new ReplyParser(SMALL_REPLY_LIMITS, 'the connection') };
    const done = this.greeting.parser.push(chunk);
    if (done === undefined) return;
    if (!(done.value instanceof RespReplyError) || done.rest > 0) throw new ProtocolError('the server sent bytes that no command asked for');
    this.greeting.reply = done.value;
  }

  /** Drops the socket now and fails the waiting command; the first reason is kept. */
  private abort(reason: Error): void {
    this.failure ??= reason;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      pending.reject(reason);
    }
  }
}

/** The command's name for messages: `CLIENT LIST`, never its arguments (AUTH carries the password). */
export function commandLabel(args: readonly string[]): string {
  const name = (args[0] ?? '').toUpperCase();
  return ['CLIENT', 'CONFIG', 'CLUSTER'].includes(name) && args[1] !== undefined ? `${name} ${args[1].toUpperCase()}` : name;
}

/** A command as a RESP array of bulk strings. */
export function encode(args: ReadonlyArray<string | number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
