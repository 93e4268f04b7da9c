// Parses the text of `CLIENT LIST` (Redis 6.2 to 8, Valkey 8.x) into ClientRecords.
//
// Format (catClientInfoString in networking.c): one client per line, `key=value` tokens separated by single spaces.
// Values never contain spaces (CLIENT SETNAME / SETINFO refuse them) but may contain `=`, so a token is split on its
// FIRST `=`. Fields come and go between versions, so every field is kept in `fields` and the typed ones get defaults.
//
// Speed matters (65k-client replies, to be parsed 2x faster than node-redis does): no regular expressions and no
// per-line split arrays; the text is scanned with indexOf/charCodeAt. What costs most is allocating ~30 strings and
// ~30 properties per line, so each line is compared with the previous one (see TokenCache) and reuses what is equal.
import type { ClientListParse, ClientRecord } from './model.js';
import { MAX_CLIENT_FIELD_CHARS } from './plausible.js';

/** How many malformed lines are kept as examples, and how much of each. */
const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 200;
/** 2^53 - 1 has 16 digits: anything longer cannot be an exact client id, age or idle. */
const MAX_INT_DIGITS = 16;
/** An `addr` is an IPv6 address and port, or a unix socket path (at most 107 bytes): longer is not an address. */
const MAX_ADDR_CHARS = 160;

/** What scanning a reply found besides the clients themselves. */
export interface ClientListScan {
  readonly malformedLines: number;
  readonly malformedExamples: string[];
}

/**
 * Streams a whole `CLIENT LIST` reply: `visit` gets each client as its line is parsed and nothing is kept,
 * so the caller decides what to remember. Blank lines are skipped; malformed lines are counted, never thrown.
 */
export function scanClientList(text: string, visit: (client: ClientRecord) => void): ClientListScan {
  const malformedExamples: string[] = [];
  let malformedLines = 0;
  if (typeof text !== 'string') return { malformedLines, malformedExamples };

  const cache = newTokenCache();
  const length = text.length;
  let lineStart = 0;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = length;
    const from = skipSpaceForward(text, lineStart, lineEnd);
    const to = skipSpaceBackward(text, from, lineEnd);
    if (from < to) {
      const record = parseTrimmedLine(text, from, to, cache);
      if (record) {
        visit(record);
      } else {
        malformedLines++;
        if (malformedExamples.length < MAX_EXAMPLES) {
          malformedExamples.push(text.slice(from, Math.min(to, from + MAX_EXAMPLE_CHARS)));
        }
      }
    }
    lineStart = lineEnd + 1;
  }
  return { malformedLines, malformedExamples };
}

/** Parses a whole `CLIENT LIST` reply into records (keeps them all: for tests and small replies). */
export function parseClientList(text: string): ClientListParse {
  const clients: ClientRecord[] = [];
  const scan = scanClientList(text, (client) => clients.push(client));
  return { clients, ...scan };
}

/** Parses one `CLIENT LIST` line; null when it is malformed (or blank). */
export function parseClientLine(line: string): ClientRecord | null {
  if (typeof line !== 'string') return null;
  const from = skipSpaceForward(line, 0, line.length);
  const to = skipSpaceBackward(line, from, line.length);
  return from < to ? parseTrimmedLine(line, from, to, newTokenCache()) : null;
}

/**
 * Splits `addr` as Redis prints it: `10.0.0.1:5000`, `[2001:db8::1]:5000` (brackets dropped), `/tmp/redis.sock:0`
 * (unix socket: `unix:/tmp/redis.sock`, no port). Pass `unixSocket` when the line's flags contain `U`, so that a
 * socket path without `/` (a relative `unixsocket` setting) is still recognised.
 */
export function splitAddress(addr: string, unixSocket = false): { sourceIp: string; sourcePort: number | null } {
  if (!unixSocket && addr.charCodeAt(0) === 91 /* [ */) {
    const close = addr.indexOf(']');
    if (close > 0) {
      const port = addr.charCodeAt(close + 1) === 58 /* : */ ? parsePort(addr, close + 2) : null;
      return { sourceIp: addr.slice(1, close), sourcePort: port };
    }
  }
  const colon = addr.lastIndexOf(':');
  const host = colon >= 0 ? addr.slice(0, colon) : addr;
  // Redis prints a unix client as `<unixsocket path>:0`; only a path contains '/'.
  if (unixSocket || host.includes('/')) return { sourceIp: `unix:${host}`, sourcePort: null };
  if (colon < 0) return { sourceIp: addr, sourcePort: null };
  // An unbracketed address with several colons is a bare IPv6 address: Redis never prints one, so keep it whole.
  if (host.includes(':')) return { sourceIp: addr, sourcePort: null };
  return { sourceIp: host, sourcePort: parsePort(addr, colon + 1) };
}

/**
 * What the previous lines of one reply looked like. Successive lines share their keys (same order) and many values,
 * so equal keys and values reuse the previous line's strings, and `fields` is built by copying a template object of
 * the same layout and overwriting only the values that differ. Adding ~30 properties one by one is slow in V8 (past a
 * dozen keyed additions the object even falls back to dictionary mode); copying a fast object is one builtin call.
 */
interface TokenCache {
  /** Keys and values of the last line scanned, by position. */
  readonly keys: string[];
  readonly values: string[];
  /** A fields object with the current layout, and the values it holds by position; unset after a line that fails. */
  template: Record<string, string> | undefined;
  templateValues: string[];
}

function newTokenCache(): TokenCache {
  return { keys: [], values: [], template: undefined, templateValues: [] };
}

/** Parses text[from, to), already trimmed and non-empty. */
function parseTrimmedLine(text: string, from: number, to: number, cache: TokenCache): ClientRecord | null {
  const record = scanLine(text, from, to, cache);
  // A line that fails may have left its own keys in `keys`: the template would no longer match them.
  if (record === null) cache.template = undefined;
  return record;
}

function scanLine(text: string, from: number, to: number, cache: TokenCache): ClientRecord | null {
  const { keys, values } = cache;
  let tokens = 0;
  let sameKeys = true;
  let pos = from;
  while (pos < to) {
    if (text.charCodeAt(pos) === 32 /* space */) {
      pos++; // tolerate doubled spaces
      continue;
    }
    // Usual case: the token starts with the previous line's key at this position, then `=`.
    let key = keys[tokens];
    let eq = key === undefined ? -1 : pos + key.length;
    if (key === undefined || eq >= to || text.charCodeAt(eq) !== 61 /* = */ || !matchesAt(text, pos, to, key)) {
      let end = text.indexOf(' ', pos);
      if (end < 0 || end > to) end = to;
      eq = text.indexOf('=', pos);
      if (eq < 0 || eq >= end || eq === pos) return null; // a token without `key=`: garbage or a cut line
      key = text.slice(pos, eq);
      keys[tokens] = key;
      sameKeys = false;
    }
    // Usual case for constant columns (db=0, flags=N...): the previous line's value, then a space or the line's end.
    const valueStart = eq + 1;
    let value = values[tokens];
    let end = value === undefined ? -1 : valueStart + value.length;
    if (value === undefined || end > to || (end < to && text.charCodeAt(end) !== 32) || !matchesAt(text, valueStart, to, value)) {
      end = text.indexOf(' ', valueStart);
      if (end < 0 || end > to) end = to;
      value = text.slice(valueStart, end);
      values[tokens] = value;
    }
    tokens++;
    pos = end + 1;
  }

  const { template, templateValues } = cache;
  let fields: Record<string, string>;
  if (sameKeys && template !== undefined && tokens === templateValues.length) {
    fields = { ...template };
    for (let i = 0; i < tokens; i++) {
      // An own property already (even `__proto__`), so this only replaces a value.
      if (values[i] !== templateValues[i]) fields[keys[i] as string] = values[i] as string;
    }
  } else {
    const built: Record<string, string> = {};
    for (let i = 0; i < tokens; i++) setField(built, keys[i] as string, values[i] as string);
    fields = { ...built }; // the copy has fast properties
    // With a repeated key (garbage), patching by position would not give "last one wins": no template then.
    const repeatedKey = Object.keys(fields).length !== tokens;
    cache.template = repeatedKey ? undefined : fields;
    cache.templateValues = values.slice(0, tokens);
  }
  return toRecord(fields);
}

/** Reads the typed fields; null when a required one is missing or a number is not a number. */
function toRecord(fields: Record<string, string>): ClientRecord | null {
  // Plain property reads: none of these keys exists on Object.prototype, and reads at distinct sites stay fast.
  const addr = fields.addr;
  const id = nonNegativeInt(fields.id);
  const ageSeconds = nonNegativeInt(fields.age);
  const idleSeconds = nonNegativeInt(fields.idle);
  // Every server since 2.8.12 prints id, addr, age and idle: without them the line cannot be analysed.
  if (!addr || addr.length > MAX_ADDR_CHARS || id < 0 || ageSeconds < 0 || idleSeconds < 0) return null;
  const db = optionalCount(fields.db);
  const sub = optionalCount(fields.sub);
  const psub = optionalCount(fields.psub);
  const ssub = optionalCount(fields.ssub);
  // multi is -1 outside MULTI (and when not reported), else the number of queued commands.
  const multiText = fields.multi;
  const multi = multiText === undefined || multiText === '-1' ? -1 : nonNegativeInt(multiText);
  const multiValid = multi >= 0 || multiText === undefined || multiText === '-1';
  // A known counter that does not read as one means the line is corrupt, not that the server is new.
  if (db < 0 || sub < 0 || psub < 0 || ssub < 0 || !multiValid) return null;

  const flags = bounded(fields.flags ?? '');
  const { sourceIp, sourcePort } = splitAddress(addr, flags.includes('U'));
  return {
    id,
    addr,
    sourceIp,
    sourcePort,
    name: bounded(fields.name ?? ''),
    ageSeconds,
    idleSeconds,
    flags,
    db,
    sub,
    psub,
    ssub,
    multi,
    cmd: bounded(fields.cmd ?? ''),
    user: bounded(fields.user ?? 'default'),
    libName: bounded(fields['lib-name'] ?? ''),
    libVer: bounded(fields['lib-ver'] ?? ''),
    fields,
  };
}

/** A value chosen by a client, cut to MAX_CLIENT_FIELD_CHARS: eight 1 MB names must not make a 22 MB report. */
function bounded(value: string): string {
  return value.length > MAX_CLIENT_FIELD_CHARS ? value.slice(0, MAX_CLIENT_FIELD_CHARS) : value;
}

/** An absent counter is 0 (older servers); a present one must be a non-negative integer (-1 otherwise). */
function optionalCount(value: string | undefined): number {
  return value === undefined ? 0 : nonNegativeInt(value);
}

/** Strict decimal: digits only, exact as a JS number; -1 for anything else. */
function nonNegativeInt(value: string | undefined): number {
  if (value === undefined || value.length === 0 || value.length > MAX_INT_DIGITS) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

function parsePort(text: string, from: number): number | null {
  const length = text.length - from;
  if (length < 1 || length > 5) return null;
  const port = nonNegativeInt(text.slice(from));
  return port >= 0 && port <= 65535 ? port : null;
}

/** Whether `str` appears in text at `at` and ends by `limit`. A plain loop: for short tokens it beats startsWith. */
function matchesAt(text: string, at: number, limit: number, str: string): boolean {
  if (at + str.length > limit) return false;
  for (let i = 0; i < str.length; i++) if (text.charCodeAt(at + i) !== str.charCodeAt(i)) return false;
  return true;
}

function setField(fields: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    // A plain assignment would try to change the prototype and silently drop the field.
    Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    fields[key] = value;
  }
}

/** Space, tab, CR, VT, FF: what a transport or a copy-paste may add around a line. */
function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12;
}

function skipSpaceForward(text: string, from: number, to: number): number {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  return from;
}

function skipSpaceBackward(text: string, from: number, to: number): number {
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return to;
}
