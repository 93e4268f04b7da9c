// Parses the text of `CLIENT LIST` (Redis 6.2 to 8, Valkey 8.x) into ClientRecords.
//
// Format (catClientInfoString in networking.c): one client per line, `key=value` tokens separated by single spaces.
// Values never contain spaces (CLIENT SETNAME / SETINFO refuse them) but may contain `=`, so a token is split on its
// FIRST `=`. Fields come and go between versions, so every field is kept in `fields` and the typed ones get defaults.
//
// Speed matters (65k-client replies): the reply is scanned with indexOf over the whole text, with no per-line split
// arrays and no regular expressions. Allocating ~30 strings per line is what costs most, so keys and values that repeat
// the previous line's token at the same position (most of them: `db=0`, `flags=N`, `user=default`...) reuse its string.
import type { ClientListParse, ClientRecord } from './model.js';

/**
 * Every field printed by Redis 6.2 to 8.0 and Valkey 8.0/8.1 (see the fixtures for which version prints which).
 * Keys are taken from this list when they match, because V8 stores properties much faster under these constant
 * (internalized) strings than under fresh slices of the reply.
 */
const KNOWN_FIELDS = [
  'id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'capa', 'db', 'sub', 'psub', 'ssub', 'multi', 'watch',
  'qbuf', 'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user',
  'redir', 'resp', 'lib-name', 'lib-ver', 'io-thread', 'tot-net-in', 'tot-net-out', 'tot-cmds',
] as const;

/** How many malformed lines are kept as examples, and how much of each. */
const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 200;
/** 2^53 - 1 has 16 digits: anything longer cannot be an exact client id, age or idle. */
const MAX_INT_DIGITS = 16;

/** Parses a whole `CLIENT LIST` reply. Blank lines are skipped; malformed lines are counted, never thrown. */
export function parseClientList(text: string): ClientListParse {
  const clients: ClientRecord[] = [];
  const malformedExamples: string[] = [];
  let malformedLines = 0;
  if (typeof text !== 'string') return { clients, malformedLines, malformedExamples };

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
        clients.push(record);
      } else {
        malformedLines++;
        if (malformedExamples.length < MAX_EXAMPLES) {
          malformedExamples.push(text.slice(from, Math.min(to, from + MAX_EXAMPLE_CHARS)));
        }
      }
    }
    lineStart = lineEnd + 1;
  }
  return { clients, malformedLines, malformedExamples };
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
 * What the previous lines of one reply looked like: their keys and values by position (to reuse equal strings),
 * and an object with their keys, in order, to clone. Building ~30 properties one by one is slow in V8 (every store
 * changes the object's shape); cloning an object of the right shape and overwriting its values is not.
 */
interface TokenCache {
  readonly keys: string[];
  readonly values: string[];
  template: Record<string, string> | undefined;
  templateTokens: number;
}

function newTokenCache(): TokenCache {
  return { keys: [], values: [], template: undefined, templateTokens: 0 };
}

/** Parses text[from, to), already trimmed and non-empty. */
function parseTrimmedLine(text: string, from: number, to: number, cache: TokenCache): ClientRecord | null {
  const { keys, values } = cache;
  let tokens = 0;
  let sameKeys = true; // same keys, in the same order, as the line the template was made from
  let pos = from;
  while (pos < to) {
    let end = text.indexOf(' ', pos);
    if (end < 0 || end > to) end = to;
    if (end === pos) {
      pos++; // tolerate doubled spaces
      continue;
    }
    const eq = text.indexOf('=', pos);
    if (eq < 0 || eq >= end || eq === pos) return null; // a token without `key=`: garbage or a cut line
    const previousKey = keys[tokens];
    if (keyAt(text, pos, eq, keys, tokens) !== previousKey) sameKeys = false;
    valueAt(text, eq + 1, end, values, tokens);
    tokens++;
    pos = end + 1;
  }

  let fields: Record<string, string>;
  if (sameKeys && cache.template !== undefined && tokens === cache.templateTokens) {
    fields = { ...cache.template };
    for (let i = 0; i < tokens; i++) fields[keys[i] as string] = values[i] as string; // own properties already
  } else {
    fields = {};
    for (let i = 0; i < tokens; i++) setField(fields, keys[i] as string, values[i] as string);
    cache.template = { ...fields };
    cache.templateTokens = tokens;
  }
  return toRecord(fields);
}

/** The key text[from, to): the one remembered at `index` when equal, else a KNOWN_FIELDS constant, else a slice. */
function keyAt(text: string, from: number, to: number, remembered: string[], index: number): string {
  const previous = remembered[index];
  if (previous !== undefined && sameText(text, from, to, previous)) return previous;
  let key: string | undefined;
  for (const known of KNOWN_FIELDS) {
    if (sameText(text, from, to, known)) {
      key = known;
      break;
    }
  }
  key ??= text.slice(from, to);
  remembered[index] = key;
  return key;
}

/** The value text[from, to): the one remembered at `index` when equal (then no allocation), else a slice. */
function valueAt(text: string, from: number, to: number, remembered: string[], index: number): string {
  const previous = remembered[index];
  if (previous !== undefined && sameText(text, from, to, previous)) return previous;
  const fresh = text.slice(from, to);
  remembered[index] = fresh;
  return fresh;
}

/** Reads the typed fields; null when a required one is missing or a number is not a number. */
function toRecord(fields: Record<string, string>): ClientRecord | null {
  const addr = own(fields, 'addr');
  const id = nonNegativeInt(own(fields, 'id'));
  const ageSeconds = nonNegativeInt(own(fields, 'age'));
  const idleSeconds = nonNegativeInt(own(fields, 'idle'));
  // Every server since 2.8.12 prints id, addr, age and idle: without them the line cannot be analysed.
  if (!addr || id < 0 || ageSeconds < 0 || idleSeconds < 0) return null;
  const db = optionalCount(own(fields, 'db'));
  const sub = optionalCount(own(fields, 'sub'));
  const psub = optionalCount(own(fields, 'psub'));
  const ssub = optionalCount(own(fields, 'ssub'));
  // multi is -1 outside MULTI (and when not reported), else the number of queued commands.
  const multiText = own(fields, 'multi');
  const multi = multiText === undefined || multiText === '-1' ? -1 : nonNegativeInt(multiText);
  const multiValid = multi >= 0 || multiText === undefined || multiText === '-1';
  // A known counter that does not read as one means the line is corrupt, not that the server is new.
  if (db < 0 || sub < 0 || psub < 0 || ssub < 0 || !multiValid) return null;

  const flags = own(fields, 'flags') ?? '';
  const { sourceIp, sourcePort } = splitAddress(addr, flags.includes('U'));
  return {
    id,
    addr,
    sourceIp,
    sourcePort,
    name: own(fields, 'name') ?? '',
    ageSeconds,
    idleSeconds,
    flags,
    db,
    sub,
    psub,
    ssub,
    multi,
    cmd: own(fields, 'cmd') ?? '',
    user: own(fields, 'user') ?? 'default',
    libName: own(fields, 'lib-name') ?? '',
    libVer: own(fields, 'lib-ver') ?? '',
    fields,
  };
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

/** Whether text[from, to) equals `str`. A plain loop: for these short tokens it beats startsWith(str, from). */
function sameText(text: string, from: number, to: number, str: string): boolean {
  if (str.length !== to - from) return false;
  for (let i = 0; i < str.length; i++) if (text.charCodeAt(from + i) !== str.charCodeAt(i)) return false;
  return true;
}

/**
 * A field's value, or undefined. Only strings count: none of the keys read here exists on Object.prototype, and the
 * typeof check keeps an inherited non-string (say a polluted prototype) from reaching the record.
 */
function own(fields: Record<string, string>, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' ? value : undefined;
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
