// One base class for every failure the auditor reports, a subclass per cause. Messages are one line,
// say what to change, and never contain credentials. The core itself returns findings for expected
// states and does not throw; these are raised by the edges (CLI flags, connection, configuration).

export class AuditError extends Error {
  override name = 'AuditError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A flag, environment variable or configuration value is missing or malformed. */
export class ConfigError extends AuditError {
  override name = 'ConfigError';
}

/** The server could not be reached: refused, DNS, timeout, TLS handshake. */
export class ConnectError extends AuditError {
  override name = 'ConnectError';
}

/** The server refused the credentials (WRONGPASS, NOAUTH, NOPERM on AUTH). */
export class AuthError extends AuditError {
  override name = 'AuthError';
}

/** The server refused the auditor's connection because maxclients is reached. */
export class MaxClientsReachedError extends AuditError {
  override name = 'MaxClientsReachedError';
}

/** A command did not answer within its timeout (a hung or overloaded server). */
export class CommandTimeoutError extends AuditError {
  override name = 'CommandTimeoutError';
}

/**
 * A reply broke one of the limits its command was sent with (total bytes, one bulk string, elements of an
 * array, nesting, one line): the connection was dropped before the rest arrived.
 */
export class ReplyTooLargeError extends AuditError {
  override name = 'ReplyTooLargeError';
}

/** The server's bytes are not a RESP2 reply to the command sent (garbage, a TLS port, unsolicited data). */
export class ProtocolError extends AuditError {
  override name = 'ProtocolError';
}

/** The run's deadline (CLI or Lambda) left no time for the next command. */
export class DeadlineReachedError extends AuditError {
  override name = 'DeadlineReachedError';
}

/** The credentials for a target could not be obtained (secret unreadable, IAM token not signed). */
export class CredentialsError extends AuditError {
  override name = 'CredentialsError';
}

/** A target's secret is encrypted with a KMS key the auditor may not use (no kms:Decrypt on that key). */
export class SecretKeyAccessError extends CredentialsError {
  override name = 'SecretKeyAccessError';
}

export interface ErrorTextOptions {
  /** Cut the text to this many characters. @default no cut */
  readonly maxChars?: number;
  /** Keep the message's first line only. @default false */
  readonly firstLine?: boolean;
}

/** Any thrown value as text for logs, reports and wrapping errors: `Name: message` for an Error. */
export function errorText(err: unknown, options: ErrorTextOptions = {}): string {
  const message = err instanceof Error ? err.message : '';
  const text = err instanceof Error
    ? `${err.name}: ${options.firstLine === true ? message.split('\n')[0] ?? '' : message}`
    : String(err);
  return options.maxChars === undefined ? text : text.slice(0, options.maxChars);
}

/**
 * Any failure as an AuditError, for the report and the exit code. An unexpected one (a bug, a library's
 * error) keeps its cause for the logs but shows only a generic line: its text may hold anything.
 */
export function asAuditError(err: unknown): AuditError {
  if (err instanceof AuditError) return err;
  return new AuditError(`the audit failed unexpectedly (${err instanceof Error ? err.name : typeof err})`, { cause: err });
}
