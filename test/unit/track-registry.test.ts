// The registry of tracked clients with a hand-driven clock and stand-in clients: open and closed, the warning
// when one origin holds too many, idle from socket counters, the exit report's text, options and client shapes.
import { describe, expect, it } from 'vitest';
import { ClientRegistry, type ClientProbe, type NewEntry } from '../../track/client-registry.js';
import { recogniseClient } from '../../track/client-shapes.js';
import { formatExitReport } from '../../track/exit-report.js';
import { IdleMeter } from '../../track/idle-meter.js';
import { resolveTrackOptions, TrackWarning } from '../../track/track-options.js';

const NEVER_ENDS: ClientProbe = { hasEnded: () => false, socketBytes: () => null };

function setUp(): { registry: ClientRegistry; clock: { now: number }; warnings: TrackWarning[]; entry: (name: string, probe?: ClientProbe) => NewEntry } {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const warnings: TrackWarning[] = [];
  const entry = (name: string, probe = NEVER_ENDS): NewEntry => ({
    service: 'orders-api', origin: name.split('@')[1] ?? '', name, library: 'ioredis', kind: 'client',
    maxClientsPerOrigin: 2, warn: (w) => warnings.push(w), reportOpenAtExit: true, probe,
  });
  return { registry: new ClientRegistry(() => clock.now), clock, warnings, entry };
}

describe('the registry', () => {
  it('lists open clients as plain data and forgets closed ones', () => {
    const { registry, clock, entry } = setUp();
    const a = {};
    const b = {};
    const ea = registry.add(a, entry('orders-api@src/a.ts:1'));
    registry.add(b, entry('orders-api@src/b.ts:2'));
    clock.now += 90_000;
    registry.closed(ea);
    expect(registry.openClients()).toEqual([{
      service: 'orders-api', origin: 'src/b.ts:2', name: 'orders-api@src/b.ts:2', library: 'ioredis', kind: 'client',
      createdAt: '2026-01-01T00:00:00.000Z', state: 'open', ageSeconds: 90, idleSeconds: null,
    }]);
    expect(registry.lookUp(a)?.state).toBe('closed');
    expect(registry.lookUp({})).toBeUndefined();
    expect(JSON.parse(JSON.stringify(registry.openClients()))).toEqual(registry.openClients());
  });

  it('opens a closed client again when it reconnects', () => {
    const { registry, entry } = setUp();
    const client = {};
    const e = registry.add(client, entry('orders-api@src/a.ts:1'));
    registry.closed(e);
    registry.opened(e);
    expect(registry.lookUp(client)?.state).toBe('open');
  });

  it('closes, when it looks, a client that ended without an event', () => {
    const { registry, entry } = setUp();
    let ended = false;
    const client = {};
    registry.add(client, entry('orders-api@src/a.ts:1', { hasEnded: () => ended, socketBytes: () => null }));
    ended = true;
    expect(registry.openClients()).toEqual([]);
    expect(registry.lookUp(client)?.state).toBe('closed');
  });

  it('warns once when an origin goes past its bound, and again only after it came back within it', () => {
    const { registry, warnings, entry } = setUp();
    const name = 'orders-api@src/a.ts:1';
    const entries = [1, 2, 3, 4].map(() => registry.add({}, entry(name)));
    expect(warnings.map((w) => w.message.slice(0, 60))).toEqual(['3 Redis clients are open from orders-api@src/a.ts:1 (more th']);
    registry.closed(entries[0]!);
    registry.closed(entries[1]!);
    registry.add({}, entry(name));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]?.code).toBe('RLA_TRACK_TOO_MANY_CLIENTS');
  });

  it('does not count clients of other origins together', () => {
    const { registry, warnings, entry } = setUp();
    for (const line of [1, 2, 3, 4]) registry.add({}, entry(`orders-api@src/a.ts:${line}`));
    expect(warnings).toEqual([]);
  });
});

describe('idle time from socket counters', () => {
  it('is unknown at the first look, then counts from the last look the counters moved', () => {
    const meter = new IdleMeter();
    expect(meter.look(0, 100)).toBeNull();
    expect(meter.look(5_000, 100)).toBe(5);
    expect(meter.look(6_000, 180)).toBe(0);
    expect(meter.look(9_500, 180)).toBe(3);
    expect(meter.look(9_600, null)).toBeNull();
  });
});

describe('the exit report', () => {
  it('groups the open clients by origin, largest first', () => {
    const text = formatExitReport([
      { name: 'orders-api@src/a.ts:1', library: 'ioredis', kind: 'client' },
      { name: 'orders-api@src/b.ts:2', library: 'node-redis', kind: 'pool' },
      { name: 'orders-api@src/b.ts:2', library: 'node-redis', kind: 'pool' },
    ]);
    expect(text).toBe([
      'redis-leak-auditor/track: 3 Redis clients still open at exit, by origin (create one client and share it, or close it):',
      '  2  orders-api@src/b.ts:2 (node-redis pool)',
      '  1  orders-api@src/a.ts:1 (ioredis client)',
      '',
    ].join('\n'));
    expect(formatExitReport([])).toBe('');
  });
});

describe('options', () => {
  it('fills in the defaults', () => {
    expect(resolveTrackOptions({ service: 'orders-api' })).toMatchObject({ root: process.cwd(), hashOrigin: false, maxClientsPerOrigin: 10, reportOpenAtExit: false });
  });

  it('refuses a missing service and a bound below 1, naming the option', () => {
    expect(() => resolveTrackOptions({ service: ' ' })).toThrow(/service must be the application's name/);
    expect(() => resolveTrackOptions({ service: 'a', maxClientsPerOrigin: 0 })).toThrow(/maxClientsPerOrigin must be a whole number of 1 or more, got 0/);
  });

  it('keeps a warning handler that throws from reaching the application', () => {
    const options = resolveTrackOptions({ service: 'a', onWarning: () => { throw new Error('handler bug'); } });
    expect(() => options.warn(new TrackWarning('RLA_TRACK_NAME_FAILED', 'x'))).not.toThrow();
  });
});

describe('recognising clients by shape', () => {
  const on = (): void => undefined;
  it.each([
    [{ isCluster: false, status: 'wait', options: {}, on, call: on }, 'ioredis client'],
    [{ isCluster: true, status: 'wait', options: {}, on, nodes: on }, 'ioredis cluster'],
    [{ _options: { rootNodes: [] }, on, isOpen: false }, 'node-redis cluster'],
    [{ execute: on, totalClients: 0, connect: on, close: on }, 'node-redis pool'],
    [{ sendCommand: on, isOpen: false, options: {}, on }, 'node-redis client'],
  ])('%o is an %s', (shape, expected) => {
    const recognised = recogniseClient(shape);
    expect(recognised && `${recognised.library} ${recognised.kind}`).toBe(expected);
  });

  it.each([null, 42, {}, { status: 'ready' }, { on: () => undefined, options: {} }])('%o is none', (value) => {
    expect(recogniseClient(value)).toBeNull();
  });
});
