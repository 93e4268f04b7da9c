import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServerCounters } from '../../lambda/core/model.js';
import { parseInfo, readCounters } from '../../lambda/core/parse-info.js';

/** Fixture text without its `//` provenance header, with the CRLF endings a server sends. */
function readFixture(name: string): string {
  const raw = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  return raw.split('\n').filter((line) => !line.startsWith('//')).join('\r\n');
}

const fixtures: { file: string; sections: string[]; counters: ServerCounters }[] = [
  {
    file: 'info-redis-6.2.txt',
    sections: ['server', 'clients', 'stats', 'replication', 'keyspace'],
    counters: {
      version: '6.2.14', serverName: 'redis', mode: 'standalone', role: 'master',
      runId: '0f4c7b9e2d6a4b1f8e3c5d7a9b1c3e5f7a9b1c3d', uptimeSeconds: 1209600,
      connectedClients: 412, blockedClients: 3, pubsubClients: null, trackingClients: 0, maxClients: 10000,
      totalConnectionsReceived: 982311, rejectedConnections: 0,
    },
  },
  {
    file: 'info-redis-7.0.txt',
    sections: ['server', 'clients', 'stats', 'replication', 'keyspace'],
    counters: {
      version: '7.0.15', serverName: 'redis', mode: 'standalone', role: 'master',
      runId: '4b2d73b7098aef561bb55abfba3d76b038e0b104', uptimeSeconds: 2,
      connectedClients: 7, blockedClients: 1, pubsubClients: null, trackingClients: 0, maxClients: 128,
      totalConnectionsReceived: 9, rejectedConnections: 0,
    },
  },
  {
    file: 'info-redis-7.4.txt',
    sections: ['server', 'clients', 'stats', 'replication', 'keyspace'],
    counters: {
      version: '7.4.1', serverName: 'redis', mode: 'standalone', role: 'slave',
      runId: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', uptimeSeconds: 86400,
      connectedClients: 3990, blockedClients: 12, pubsubClients: 14, trackingClients: 2, maxClients: 4000,
      totalConnectionsReceived: 120455, rejectedConnections: 27,
    },
  },
  {
    file: 'info-valkey-8.0.txt',
    sections: ['server', 'clients', 'stats', 'replication', 'errorstats', 'cluster', 'keyspace'],
    counters: {
      version: '8.0.2', serverName: 'valkey', mode: 'standalone', role: 'master',
      runId: 'e0abe2248cad0c6d9cb2445d8e6b73448f567f74', uptimeSeconds: 94798,
      connectedClients: 1, blockedClients: 0, pubsubClients: 0, trackingClients: 0, maxClients: 10000,
      totalConnectionsReceived: 3081, rejectedConnections: 0,
    },
  },
];

describe('parseInfo and readCounters on each server version', () => {
  it.each(fixtures)('reads $file without malformed lines, sections keyed in lower case', ({ file, sections }) => {
    const info = parseInfo(readFixture(file));

    expect(info.malformedLines).toBe(0);
    expect(Object.keys(info.sections)).toEqual(sections);
  });

  it.each(fixtures)('reads the counters of $file', ({ file, counters }) => {
    expect(readCounters(parseInfo(readFixture(file)))).toEqual(counters);
  });

  it.each(fixtures)('reads $file the same with LF line endings', ({ file }) => {
    const crlf = readFixture(file);

    expect(parseInfo(crlf.replace(/\r\n/g, '\n'))).toEqual(parseInfo(crlf));
  });

  it('keeps values that contain colons and empty values', () => {
    const info = parseInfo(readFixture('info-valkey-8.0.txt'));

    expect(info.sections.server?.listener0).toBe('name=tcp,bind=*,bind=-::*,port=6379');
    expect(info.sections.server?.config_file).toBe('');
    expect(info.sections.errorstats).toEqual({ errorstat_ERR: 'count=55' });
  });

  it('keeps keyspace lines as text and an empty Keyspace section as an empty object', () => {
    expect(parseInfo(readFixture('info-redis-7.0.txt')).sections.keyspace).toEqual({
      db0: 'keys=1,expires=0,avg_ttl=0',
      db2: 'keys=1,expires=0,avg_ttl=0',
    });
    expect(parseInfo(readFixture('info-valkey-8.0.txt')).sections.keyspace).toEqual({});
  });
});

describe('parseInfo edge cases', () => {
  it('reads an empty reply as no sections and no malformed lines', () => {
    expect(parseInfo('')).toEqual({ sections: {}, malformedLines: 0 });
  });

  it('counts lines that are neither a header nor key:value', () => {
    const info = parseInfo('# Clients\r\nconnected_clients:3\r\ngarbage\r\n:novalue\r\ntwo words:1\r\n#\r\n');

    expect(info.malformedLines).toBe(4);
    expect(info.sections).toEqual({ clients: { connected_clients: '3' } });
  });

  it('puts key:value lines that precede any header in the "" section', () => {
    expect(parseInfo('connected_clients:3\n# Server\nredis_version:7.2.5').sections).toEqual({
      '': { connected_clients: '3' },
      server: { redis_version: '7.2.5' },
    });
  });

  it('merges a section that appears twice and trims surrounding whitespace', () => {
    const info = parseInfo('  # CLIENTS  \r\na:1\r\n# Stats\r\nb:2\r\n#   clients\r\nc:3 \r\n');

    expect(info.sections).toEqual({ clients: { a: '1', c: '3' }, stats: { b: '2' } });
  });

  it('keeps __proto__ keys and sections as own properties', () => {
    const info = parseInfo('# __proto__\n__proto__:x\n');

    expect(Object.getPrototypeOf(info.sections)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(info.sections.__proto__, '__proto__')?.value).toBe('x');
  });

  it('never throws on binary garbage', () => {
    const garbage = '\u0000\u00ff#\r\n:\n\ud800::\n\u0001:\u0002\n'.repeat(50);

    expect(() => readCounters(parseInfo(garbage))).not.toThrow();
  });
});

describe('readCounters edge cases', () => {
  it('returns nulls, and serverName redis, when nothing is reported', () => {
    expect(readCounters(parseInfo(''))).toEqual({
      version: null, serverName: 'redis', mode: null, role: null, runId: null, uptimeSeconds: null,
      connectedClients: null, blockedClients: null, pubsubClients: null, trackingClients: null, maxClients: null,
      totalConnectionsReceived: null, rejectedConnections: null,
    });
  });

  it('finds a key moved to another section', () => {
    const counters = readCounters(parseInfo('# Server\r\nmaxclients:50\r\n# Misc\r\nrejected_connections:4\r\n'));

    expect(counters.maxClients).toBe(50);
    expect(counters.rejectedConnections).toBe(4);
  });

  it('prefers the usual section when a key appears in two', () => {
    const counters = readCounters(parseInfo('# Server\nconnected_clients:1\n# Clients\nconnected_clients:2\n'));

    expect(counters.connectedClients).toBe(2);
  });

  it.each(['12abc', '', ' 12', '0x10', '1e3', '1.5', '99999999999999999'])('reads connected_clients:%s as null', (value) => {
    expect(readCounters(parseInfo(`# Clients\nconnected_clients:${value}\n`)).connectedClients).toBeNull();
  });

  it('reads the mode from server_mode when redis_mode is absent, and valkey_version over redis_version', () => {
    const counters = readCounters(parseInfo('# Server\nredis_version:7.2.4\nvalkey_version:8.1.1\nserver_mode:cluster\n'));

    expect(counters).toMatchObject({ version: '8.1.1', mode: 'cluster', serverName: 'redis' });
  });
});
