// Parses the `redis://` / `rediss://` URL the operator gives into a connection target, and redacts URLs for
// printing. Hand-written rather than WHATWG `URL`: that parser fails with a bare "Invalid URL" (and keeps
// the whole input, password included, on the error), where an operator needs to hear which part is wrong.
import { isIPv6 } from 'node:net';
import { ConfigError } from '../core/errors.js';

/** Where and how to connect to one Redis/Valkey node. Never log it whole: print `display`. */
export interface RedisTarget {
  /** Host name or address; IPv6 without brackets (`::1`). */
  readonly host: string;
  readonly port: number;
  /** ACL user (Redis 6+); absent for the `default` user. */
  readonly username?: string;
  readonly password?: string;
  /** Database from the URL path; kept for fidelity only, the audit is server-wide and never SELECTs. */
  readonly db: number;
  /** `rediss://`: connect with TLS. */
  readonly tls: boolean;
  /** PEM file of the CA that signed the server certificate; the system CAs when absent. */
  readonly tlsCaFile?: string;
  /**
   * TLS server name (SNI and certificate check) when it differs from `host`: a cluster node reached by its
   * announced IP keeps the host name of the seed URL (see redis/cluster-topology.ts).
   */
  readonly tlsServername?: string;
  /** `redis://host:port`, with no credentials: safe for logs, reports and errors. */
  readonly display: string;
}

const expectedForm = 'expected redis://[user[:password]@]host[:port][/db] (rediss:// for TLS)';
const defaultPort = 6379;

/** `host:port` as Redis prints addresses: IPv6 hosts in brackets (`[::1]:6379`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function parseTargetUrl(url: string, opts: { tlsCaFile?: string } = {}): RedisTarget {
  const fail = (reason: string): never => {
    throw new ConfigError(`Invalid Redis URL ${JSON.stringify(redactUrl(url))}: ${reason}; ${expectedForm}`);
  };
  const parts = splitUrl(url.trim());
  const scheme = parts.scheme?.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') fail('the scheme must be redis:// or rediss://');
  const tls = scheme === 'rediss';

  let username: string | undefined;
  let password: string | undefined;
  if (parts.userinfo !== undefined) {
    const colon = parts.userinfo.indexOf(':');
    const rawUser = colon < 0 ? parts.userinfo : parts.userinfo.slice(0, colon);
    username = decode(rawUser) ?? fail('the user name is not valid percent-encoding');
    password = colon < 0 ? undefined : decode(parts.userinfo.slice(colon + 1)) ?? fail('the password is not valid percent-encoding (write % as %25)');
    if (username === '') username = undefined;
  }

  const m = /^(\[[^\]]*\]|[^:/?#[\]]*)(?::([^/?#]*))?(\/[^?#]*)?([?#].*)?$/.exec(parts.rest);
  if (!m) return fail('the host part is malformed');
  const [, rawHost = '', rawPort, path, extra] = m;
  if (extra !== undefined) fail('query strings and fragments are not supported');
  if (rawHost === '' || rawHost === '[]') fail('the host is missing');

  let host = rawHost;
  if (rawHost.startsWith('[')) {
    host = decode(rawHost.slice(1, -1)) ?? '';
    if (!isIPv6(host)) fail('the bracketed host is not an IPv6 address');
  } else if (!/^[A-Za-z0-9._-]+$/.test(rawHost)) {
    fail('the host may contain only letters, digits, ".", "-" and "_"');
  }

  let port = defaultPort;
  if (rawPort !== undefined) {
    port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : 0;
    if (port < 1 || port > 65535) fail('the port must be a number from 1 to 65535');
  }

  let db = 0;
  if (path !== undefined && path !== '/') {
    if (!/^\/\d{1,9}$/.test(path)) fail('the path must be a database number such as /0');
    db = Number(path.slice(1));
  }

  if (opts.tlsCaFile !== undefined && !tls) fail('a TLS CA file needs a rediss:// URL');

  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    tls,
    ...(opts.tlsCaFile !== undefined ? { tlsCaFile: opts.tlsCaFile } : {}),
    display: `${scheme}://${hostPort(host, port)}`,
  };
}

/**
 * The URL with any password replaced by `***` (`redis://user:***@host:6379`), query values hidden and
 * control characters removed. Never throws and never echoes a password, whatever the input.
 */
export function redactUrl(url: string): string {
  // Control characters (a pasted newline) would break the one-line messages this ends up in.
  const text = Array.from(String(url), (ch) => (ch < ' ' || ch === '\x7f' ? ' ' : ch)).join('');
  const { scheme, userinfo, rest } = splitUrl(text);
  let out = scheme !== undefined ? `${scheme}://` : '';
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    out += colon < 0 ? `${userinfo}@` : `${userinfo.slice(0, colon)}:***@`;
  }
  // A query may carry `?password=` (ioredis accepts it); the part after it is never shown.
  const query = rest.search(/[?#]/);
  let shown = query < 0 ? rest : `${rest.slice(0, query + 1)}***`;
  // Without an `@`, a mistyped `user:secret/host` would print its secret as the "port": hide any
  // non-numeric text after the host's colon.
  if (userinfo === undefined) {
    shown = shown.replace(/^((?:\[[^\]]*\])?[^:/?#[\]]*:)(?!\d*(?:[/?#]|$))[^/?#]*/, '$1***');
  }
  return out + shown;
}

/**
 * Redacts every URL with credentials inside free text (an error message, a stray argument): each
 * `scheme://...` run up to whitespace goes through redactUrl, which splits at the LAST `@` (a raw password
 * may contain `@`). Text that merely describes the form (`redis://[user[:password]@]host`) is left alone.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s'"]+/g, (match) => {
    if (/^[^:]+:\/\/\[/.test(match)) return match;
    // Sentence punctuation after a URL ("...:6379: refused") is not part of it.
    const tail = /[:,.;)]+$/.exec(match)?.[0] ?? '';
    return redactUrl(match.slice(0, match.length - tail.length)) + tail;
  });
}

/** Splits at `scheme://` and at the LAST `@`: a raw password may itself contain `@`, `/` or `:`. */
function splitUrl(url: string): { scheme?: string; userinfo?: string; rest: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  const body = m ? url.slice(m[0].length) : url;
  const at = body.lastIndexOf('@');
  return {
    ...(m?.[1] !== undefined ? { scheme: m[1] } : {}),
    ...(at >= 0 ? { userinfo: body.slice(0, at) } : {}),
    rest: at >= 0 ? body.slice(at + 1) : body,
  };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
