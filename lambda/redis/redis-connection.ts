// Opens the auditor's single connection to one node, and maps every way that can fail to the audit's error
// classes. The auditor must never be the leak it looks for: no reconnect loop, no offline queue, bounded
// timeouts, and any failure closes the socket before the error is thrown.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { AUDITOR_CLIENT_NAME } from '../core/analyse-clients.js';
import { AuditError, AuthError, CommandTimeoutError, ConfigError, ConnectError, MaxClientsReachedError } from '../core/errors.js';
import type { RedisTarget } from './target-url.js';

export interface ConnectionTimeouts {
  /** TCP connect plus TLS handshake. */
  readonly connectTimeoutMs: number;
  /** Each command, AUTH and CLIENT SETNAME included. */
  readonly commandTimeoutMs: number;
}

/** Commands `openConnection` sends after connecting: AUTH when there are credentials, then CLIENT SETNAME. */
export function setupCommandCount(target: RedisTarget): number {
  return hasCredentials(target) ? 2 : 1;
}

export async function openConnection(target: RedisTarget, opts: ConnectionTimeouts): Promise<Redis> {
  const redis = new Redis({
    host: target.host,
    port: target.port,
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    disconnectTimeout: Math.min(opts.commandTimeoutMs, 1000),
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // The ready check is one more INFO per connection; the first sample sends INFO anyway.
    enableReadyCheck: false,
    // CLIENT SETINFO costs two commands (refused before Redis 7.2); the name already identifies us.
    disableClientInfo: true,
    // AUTH, SETNAME and SELECT are NOT given to ioredis: it pipelines them on connect and swallows the
    // SETNAME reply, so the "max number of clients reached" line the server writes on accept is lost (the
    // pipelined write fails with EPIPE first). Sent one at a time below, every refusal is read. No SELECT
    // at all: INFO and CLIENT LIST are server-wide.
    ...(target.tls ? { tls: tlsOptions(target) } : {}),
  });
  // Without a listener ioredis prints "Unhandled error event" stacks; the first error also names the
  // cause better than the "Connection is closed." that the connect promise rejects with.
  let firstError: unknown;
  redis.on('error', (err: unknown) => {
    firstError ??= err;
  });
  let step = 'connect';
  try {
    await redis.connect();
    if (hasCredentials(target)) {
      step = 'AUTH';
      await authenticate(redis, target);
    }
    step = 'CLIENT SETNAME';
    await redis.call('CLIENT', 'SETNAME', AUDITOR_CLIENT_NAME).catch((err: unknown) => {
      // A user without +client|setname can still audit: the connection is found by its address.
      if (!isRefusal(err)) throw err;
    });
    return redis;
  } catch (err) {
    destroyConnection(redis);
    const cause = isReplyError(err) || isTimeout(err) ? err : firstError ?? err;
    throw toAuditError(cause, target, step, opts.commandTimeoutMs);
  }
}

/** QUIT within `boundMs`, then drop the socket whatever happened. Never throws. */
export async function closeConnection(redis: Redis, boundMs: number): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, boundMs);
    });
    try {
      // Wait for the socket to close too, so the server has freed the client when close() returns.
      await Promise.race([redis.quit().then(() => ended), bound]);
    } catch {
      // Refused or broken: fall through to the hard close.
    } finally {
      clearTimeout(timer);
    }
  }
  destroyConnection(redis);
}

/** Maps any failure to one of the audit's error classes, with a one-line message and no credentials. */
export function toAuditError(err: unknown, target: RedisTarget, what: string, commandTimeoutMs: number): AuditError {
  if (err instanceof AuditError) return err;
  const detail = describeError(err, target);
  const cause = { cause: safeCause(err, detail) };
  const where = target.display;
  if (isMaxClients(err)) {
    return new MaxClientsReachedError(`${where} refused the auditor's connection: maxclients is reached (${detail})`, cause);
  }
  // Any refused AUTH is a credentials problem (Redis < 6 answers a user name with "wrong number of arguments").
  if (/^(WRONGPASS|NOAUTH)\b|invalid (username-)?password/i.test(detail) || (what === 'AUTH' && isReplyError(err))) {
    return new AuthError(`${where} refused the credentials (${detail}); check the user and password in the URL`, cause);
  }
  if (/^NOPERM\b/.test(detail)) {
    return new AuthError(`${where} does not allow the auditor's user to run ${what} (${detail}); grant it in the ACL`, cause);
  }
  if (isTimeout(err)) {
    return new CommandTimeoutError(`${where} did not answer ${what} within ${commandTimeoutMs} ms`, cause);
  }
  if (isReplyError(err)) return new AuditError(`${where} refused ${what}: ${detail}`, cause);
  if (target.tls && isTlsError(err)) {
    return new ConnectError(`TLS handshake with ${where} failed: ${detail}; check the CA file (the server certificate must be signed by it) and the host name`, cause);
  }
  const message = what === 'connect' ? `cannot connect to ${where}: ${detail}` : `lost the connection to ${where} during ${what}: ${detail}`;
  return new ConnectError(message, cause);
}

/** A command the server refused by permission or because it is disabled/renamed: not a failure of the audit. */
export function isRefusal(err: unknown): boolean {
  return isReplyError(err) && /^(NOPERM\b|ERR unknown (sub)?command|ERR unknown subcommand)/i.test(messageOf(err));
}

export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

export function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

/** One line, at most 300 characters, with the password (if somehow echoed) replaced. */
export function describeError(err: unknown, target: RedisTarget): string {
  const code = (err as { code?: unknown } | null)?.code;
  let text = messageOf(err);
  if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
  if (target.password && target.password.length >= 3) text = text.split(target.password).join('***');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function isMaxClients(err: unknown): boolean {
  return /max number of clients reached/i.test(messageOf(err));
}

function isTlsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const text = `${typeof code === 'string' ? code : ''} ${messageOf(err)}`;
  return /TLS|SSL|CERT|certificate|EPROTO|self.signed|UNABLE_TO_|handshake/i.test(text);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ioredis puts the command and its arguments (AUTH's password) on errors: keep only name, message, code. */
function safeCause(err: unknown, detail: string): Error {
  const copy = new Error(detail);
  copy.name = err instanceof Error ? err.name : 'Error';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (copy as Error & { code: string }).code = code;
  return copy;
}

function hasCredentials(target: RedisTarget): boolean {
  return target.username !== undefined || target.password !== undefined;
}

async function authenticate(redis: Redis, target: RedisTarget): Promise<void> {
  // A user without a password is an ACL user with `nopass`: AUTH user "" (what ioredis does for redis://user@).
  const args = target.username !== undefined ? [target.username, target.password ?? ''] : [target.password ?? ''];
  try {
    await redis.call('AUTH', ...args);
  } catch (err) {
    // A password given to a server that needs none: harmless, go on (ioredis only warns here too).
    if (/called without any password configured|no password is set/i.test(messageOf(err))) return;
    throw err;
  }
}

function tlsOptions(target: RedisTarget): ConnectionOptions {
  let ca: Buffer | undefined;
  if (target.tlsCaFile !== undefined) {
    try {
      ca = readFileSync(target.tlsCaFile);
    } catch (err) {
      throw new ConfigError(`cannot read the TLS CA file ${target.tlsCaFile}: ${messageOf(err)}`);
    }
  }
  return {
    ...(ca ? { ca } : {}),
    // SNI must be a host name (RFC 6066); Node warns when given an IP, and checks IP SANs without it.
    ...(target.tlsServername !== undefined ? { servername: target.tlsServername } : isIP(target.host) === 0 ? { servername: target.host } : {}),
  };
}

/** Drops the socket now: disconnect() alone may leave it half-open for `disconnectTimeout`. */
function destroyConnection(redis: Redis): void {
  // After a clean QUIT the socket is gone: ioredis's disconnect() would arm a timer that waits for a
  // 'close' event already past, keeping a CLI process alive for another second.
  if (redis.status === 'end' && (redis.stream as Redis['stream'] | undefined)?.destroyed !== false) return;
  redis.disconnect();
  (redis.stream as Redis['stream'] | undefined)?.destroy();
}
