// Opens the auditor's single connection to one node, and maps every way that can fail to the audit's error
// classes. The auditor must never be the leak it looks for: no reconnect, no queue, bounded timeouts and
// replies (resp-connection.ts), and any failure closes the socket before the error is thrown.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { AUDITOR_CLIENT_NAME } from '../core/analyse-clients.js';
import {
  AuditError, AuthError, CommandTimeoutError, ConfigError, ConnectError, MaxClientsReachedError, ProtocolError, ReplyTooLargeError,
} from '../core/errors.js';
import { SMALL_REPLY_LIMITS } from '../core/reply-limits.js';
import { RespConnection, RespReplyError, RespTimeoutError } from './resp-connection.js';
import { hostPort, type RedisTarget } from './target-url.js';

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

export async function openConnection(target: RedisTarget, opts: ConnectionTimeouts): Promise<RespConnection> {
  // Read before connecting: a bad CA path is a ConfigError, not a network failure.
  const tls = target.tls ? tlsOptions(target) : undefined;
  let step = 'connect';
  let connection: RespConnection | undefined;
  try {
    connection = await RespConnection.connect({ host: target.host, port: target.port, connectTimeoutMs: opts.connectTimeoutMs, ...(tls ? { tls } : {}) });
    const small = { timeoutMs: opts.commandTimeoutMs, limits: SMALL_REPLY_LIMITS };
    // One at a time, each reply read: the "max number of clients reached" line the server writes on accept
    // is then the first reply, not lost to a pipelined write failing first. No SELECT: INFO and CLIENT LIST
    // are server-wide.
    if (hasCredentials(target)) {
      step = 'AUTH';
      await authenticate(connection, target, small);
    }
    step = 'CLIENT SETNAME';
    await connection.command(['CLIENT', 'SETNAME', AUDITOR_CLIENT_NAME], small).catch((err: unknown) => {
      // A user without +client|setname can still audit: the connection is found by its address.
      if (!isRefusal(err)) throw err;
    });
    return connection;
  } catch (err) {
    await connection?.close(0);
    // During the handshake, bytes that are not RESP mean the wrong port or protocol, not a broken audit.
    const cause = err instanceof ProtocolError ? Object.assign(new Error(`${err.message}; is it a TLS port (use rediss://)?`), { code: 'EPROTO' }) : err;
    throw toAuditError(cause, target, step, opts.commandTimeoutMs);
  }
}

/** QUIT within `boundMs`, then drop the socket whatever happened. Never throws. */
export async function closeConnection(connection: RespConnection, boundMs: number): Promise<void> {
  await connection.close(boundMs);
}

/** Maps any failure to one of the audit's error classes, with a one-line message and no credentials. */
export function toAuditError(err: unknown, target: RedisTarget, what: string, commandTimeoutMs: number): AuditError {
  // The parser's own errors: named after the target here, where the target is known.
  if (err instanceof ReplyTooLargeError) return new ReplyTooLargeError(`${target.display}: ${describeError(err, target)}; the connection was closed`, { cause: err });
  if (err instanceof ProtocolError) return new ProtocolError(`${target.display}: ${describeError(err, target)}; the connection was closed`, { cause: err });
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
    // The timeout actually armed: shorter than the command timeout when the audit's deadline was closer.
    return new CommandTimeoutError(`${where} did not answer ${what} within ${(err as RespTimeoutError).timeoutMs ?? commandTimeoutMs} ms`, cause);
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
  return err instanceof RespReplyError;
}

export function isTimeout(err: unknown): boolean {
  return err instanceof RespTimeoutError;
}

/** One line, at most 300 characters, with the password (if somehow echoed) replaced. */
export function describeError(err: unknown, target: RedisTarget): string {
  const code = (err as { code?: unknown } | null)?.code;
  let text = messageOf(err);
  if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
  if (target.password && target.password.length >= 3) text = text.split(target.password).join('***');
  // Server replies (`-ERR ...`) reach this text: no control, format (U+202E) or separator character is kept.
  text = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
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

/** Keep only name, message and code of the cause: no socket, no command arguments (AUTH's password). */
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

async function authenticate(connection: RespConnection, target: RedisTarget, options: Parameters<RespConnection['command']>[1]): Promise<void> {
  // A user without a password is an ACL user with `nopass`: AUTH user "".
  const args = target.username !== undefined ? [target.username, target.password ?? ''] : [target.password ?? ''];
  try {
    await connection.command(['AUTH', ...args], options);
  } catch (err) {
    // A password given to a server that needs none: harmless, go on.
    if (isReplyError(err) && /called without any password configured|no password is set/i.test(messageOf(err))) return;
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

/**
 * The connection's own address as the server prints it in CLIENT LIST (`127.0.0.1:51234`, `[::1]:51234`, an IPv6
 * zone dropped): how the auditor recognises its own connection there.
 */
export function ownServerAddress(connection: RespConnection): string | undefined {
  const { localAddress, localPort } = connection;
  return localAddress && localPort ? hostPort(localAddress.replace(/%.*$/, ''), localPort) : undefined;
}
