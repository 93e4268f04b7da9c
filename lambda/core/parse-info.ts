// Parses `INFO` text into sections of key/value strings, and reads the counters the audit needs.
//
// Format (genRedisInfoString in server.c): `# Section` headers, `key:value` lines, CRLF endings, a blank line between
// sections. Values may contain `:` (`listener0:name=tcp,bind=*,bind=-::*,port=6379`), so a line is split on its
// FIRST `:`. Keys are looked up section-independently as a fallback, because servers and forks move keys around.
import { PLAUSIBLE, plausible, serverText } from './plausible.js';
import type { InfoParse, ServerCounters } from './model.js';

/** Section name for `key:value` lines that come before any `# Section` header. */
const NO_SECTION = '';

/** Parses INFO text. Lines that are neither a header nor `key:value` are counted as malformed, never thrown. */
export function parseInfo(text: string): InfoParse {
  const sections: Record<string, Record<string, string>> = {};
  let malformedLines = 0;
  if (typeof text !== 'string') return { sections, malformedLines };

  let current: Record<string, string> | undefined;
  const length = text.length;
  let lineStart = 0;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = length;
    const line = text.slice(lineStart, lineEnd).trim();
    lineStart = lineEnd + 1;
    if (line.length === 0) continue;

    if (line.charCodeAt(0) === 35 /* # */) {
      const name = line.slice(1).trim().toLowerCase();
      if (name.length === 0) malformedLines++;
      else current = sectionNamed(sections, name);
      continue;
    }
    const colon = line.indexOf(':');
    // A key is never empty and never contains whitespace: anything else is not an INFO line.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      malformedLines++;
      continue;
    }
    current ??= sectionNamed(sections, NO_SECTION);
    setOwn(current, line.slice(0, colon), line.slice(colon + 1));
  }
  return { sections, malformedLines };
}

/**
 * Reads the counters of ServerCounters; null for each one the server did not report, that is not a number,
 * or that no server could mean (plausible.ts). Text values come flattened to one bounded line.
 */
export function readCounters(info: InfoParse): ServerCounters {
  const text = (section: string, key: string): string | null => serverText(lookup(info, section, key));
  const count = (section: string, key: string, range: { readonly min: number; readonly max: number }): number | null =>
    plausible(strictInteger(lookup(info, section, key)), range);
  return {
    // Valkey also prints redis_version (the Redis OSS version it is compatible with, e.g. 7.2.4): prefer its own.
    version: text('server', 'valkey_version') ?? text('server', 'redis_version'),
    serverName: text('server', 'server_name') ?? 'redis',
    mode: text('server', 'redis_mode') ?? text('server', 'server_mode'),
    role: text('replication', 'role'),
    runId: text('server', 'run_id'),
    uptimeSeconds: count('server', 'uptime_in_seconds', PLAUSIBLE.uptimeSeconds),
    connectedClients: count('clients', 'connected_clients', PLAUSIBLE.clients),
    blockedClients: count('clients', 'blocked_clients', PLAUSIBLE.clients),
    pubsubClients: count('clients', 'pubsub_clients', PLAUSIBLE.clients),
    trackingClients: count('clients', 'tracking_clients', PLAUSIBLE.clients),
    maxClients: count('clients', 'maxclients', PLAUSIBLE.maxClients),
    totalConnectionsReceived: count('stats', 'total_connections_received', PLAUSIBLE.lifetimeCounter),
    rejectedConnections: count('stats', 'rejected_connections', PLAUSIBLE.lifetimeCounter),
  };
}

/** The value of `key` in its usual section, else in any section; null when absent or empty. */
function lookup(info: InfoParse, section: string, key: string): string | null {
  const sections = info?.sections;
  if (sections == null || typeof sections !== 'object') return null;
  const preferred = Object.hasOwn(sections, section) ? sections[section] : undefined;
  let value = preferred != null && Object.hasOwn(preferred, key) ? preferred[key] : undefined;
  if (value === undefined) {
    for (const name of Object.keys(sections)) {
      const other = sections[name];
      if (other != null && Object.hasOwn(other, key)) {
        value = other[key];
        break;
      }
    }
  }
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Digits with an optional minus sign, exact as a JS number: `12`, `-1`. Not `0x10`, `1e3`, ` 12` or ``. */
function strictInteger(value: string | null): number | null {
  if (value === null || !/^-?\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function sectionNamed(sections: Record<string, Record<string, string>>, name: string): Record<string, string> {
  const existing = Object.hasOwn(sections, name) ? sections[name] : undefined;
  if (existing) return existing;
  const created: Record<string, string> = {};
  setOwn(sections, name, created);
  return created;
}

/** Assigns an own property, even for `__proto__` (a plain assignment would change the prototype instead). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
