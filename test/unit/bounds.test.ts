// What a broken or hostile server sends is bounded before it is kept: impossible numbers are unknown, client
// values are cut, addresses that are no addresses are malformed lines, and distinct groups have a ceiling.
import { describe, expect, it } from 'vitest';
import { ClientAnalyser } from '../../lambda/core/analyse-clients.js';
import { MAX_GROUPS_PER_COUNTER, OVERFLOW_GROUP_KEY } from '../../lambda/core/client-groups.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { parseInfo, readCounters } from '../../lambda/core/parse-info.js';
import { MAX_CLIENT_FIELD_CHARS } from '../../lambda/core/plausible.js';
import { client } from '../support/builders.js';

const info = (clients: Record<string, string>) => readCounters(parseInfo(['# Server', 'redis_version:7.0.15\u001b[31m', '# Clients',
  ...Object.entries(clients).map(([k, v]) => `${k}:${v}`)].join('\r\n')));

describe('numbers no server could mean', () => {
  it.each([['0'], ['-5'], ['99999999999999']])('maxclients:%s is unknown, not a fact', (value) => {
    expect(info({ maxclients: value }).maxClients).toBeNull();
  });

  it('keeps believable values', () => {
    expect(info({ maxclients: '10000', connected_clients: '29' })).toMatchObject({ maxClients: 10000, connectedClients: 29 });
  });

  it('treats negative client counts as unknown', () => {
    expect(info({ connected_clients: '-1', blocked_clients: '-3' })).toMatchObject({ connectedClients: null, blockedClients: null });
  });

  it('flattens server-chosen text: no escape sequence is kept', () => {
    expect(info({}).version).toBe('7.0.15 [31m');
  });
});

describe('client values', () => {
  it('cuts a 1 MB client name to a bounded length', () => {
    const [record] = parseClientList(`id=7 addr=10.0.0.1:5000 name=${'x'.repeat(1_000_000)} age=1 idle=1 flags=N db=0 cmd=get user=${'u'.repeat(5000)}`).clients;
    expect(record?.name.length).toBe(MAX_CLIENT_FIELD_CHARS);
    expect(record?.user.length).toBe(MAX_CLIENT_FIELD_CHARS);
  });

  it('counts a line whose address is no address as malformed', () => {
    const parsed = parseClientList(`id=7 addr=${'1'.repeat(10_000)}:5000 age=1 idle=1 flags=N`);
    expect(parsed.clients).toEqual([]);
    expect(parsed.malformedLines).toBe(1);
  });
});

describe('distinct groups', () => {
  it('are kept up to the ceiling; the rest are counted together, and the analysis says so', () => {
    const analyser = new ClientAnalyser(defaultPolicy);
    const total = MAX_GROUPS_PER_COUNTER + 50;
    for (let i = 0; i < total; i += 1) {
      analyser.add('n', client({ id: i + 1, sourceIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, name: `svc${i}x` }), new Set());
    }
    const analysis = analyser.finish();
    expect(analysis.groupsOverflowed).toBe(true);
    expect(analysis.bySourceIp).toHaveLength(MAX_GROUPS_PER_COUNTER + 1);
    expect(analysis.bySourceIp.find((g) => g.key === OVERFLOW_GROUP_KEY)?.connections).toBe(50);
    expect(analysis.byWorkload.length).toBeLessThanOrEqual(MAX_GROUPS_PER_COUNTER + 1);
    expect(analysis.byWorkload.reduce((sum, g) => sum + g.connections, 0)).toBe(total);
    expect(analysis.analysedConnections).toBe(total);
  });

  it('stay below the ceiling on a normal server, with nothing counted together', () => {
    const analyser = new ClientAnalyser(defaultPolicy);
    for (let i = 0; i < 500; i += 1) analyser.add('n', client({ id: i + 1, sourceIp: `10.0.${i >> 8}.${i & 255}` }), new Set());
    expect(analyser.finish().groupsOverflowed).toBe(false);
  });
});
