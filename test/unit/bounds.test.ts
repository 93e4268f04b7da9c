// What a broken or hostile server sends is bounded before it is kept: impossible numbers are unknown, client
// values are cut, addresses that are no addresses are malformed lines, and distinct groups have a ceiling.
import { describe, expect, it } from 'vitest';
import { ClientAnalyser } from '../../lambda/core/analyse-clients.js';
import { MAX_GROUPS_PER_COUNTER, OVERFLOW_GROUP_KEY } from '../../lambda/core/client-groups.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { parseInfo, readCounters } from '../../lambda/core/parse-info.js';
import { MAX_CLIENT_FIELD_CHARS } from '../../lambda/core/plausible.js';
import { safeJson } from '../../lambda/core/text-safety.js';
import { describeError } from '../../lambda/redis/redis-connection.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { client } from '../support/builders.js';
import { assessAudit } from '../../lambda/core/audit.js';
import { MAX_FINDINGS } from '../../lambda/core/workload-limitations.js';
import { expectValidReport } from '../support/report-schema.js';

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

describe('the report', () => {
  const T0 = 1_700_000_000_000;
  const assess = (lines: readonly string[], config = { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, infoExtra = '') => assessAudit({
    target: 'redis://x:6379', failedNodes: [], previousState: null, policy: { ...defaultPolicy, idleSeconds: 60 },
    startedAtMs: T0, nowMs: T0 + 10, toolVersion: 'test',
    samples: [[{
      node: 'x:6379', takenAtMs: T0, infoText: `# Server\r\nredis_version:7.0.15\r\n# Clients\r\nconnected_clients:${lines.length}\r\n${infoExtra}`,
      clientListText: lines.join('\n'), config, auditorAddresses: [], errors: [], cost: { commandsSent: 2, bytesRead: 10, roundTripMs: 1 },
    }]],
  }).report;

  it('keeps the most severe findings up to its limit, counts the rest, and says so', () => {
    // One client blocked for an hour on each of 300 addresses: 300 findings of one kind.
    const lines = Array.from({ length: MAX_FINDINGS + 100 }, (_, i) => `id=${i + 1} addr=10.9.${i >> 8}.${i & 255}:5000 age=3600 idle=3600 flags=b db=0 cmd=blpop user=default`);
    const report = assess(lines);
    expect(report.findings).toHaveLength(MAX_FINDINGS);
    const { info, warning, critical } = report.summary.findingsBySeverity;
    expect(warning).toBe(MAX_FINDINGS + 100);
    expect(report.findingsOmitted).toBe(info + warning + critical - MAX_FINDINGS);
    expect(report.findings.every((f) => f.severity !== 'info')).toBe(true);
    expect(report.limitations?.some((l) => l.startsWith(`${report.findingsOmitted} more findings`))).toBe(true);
    expectValidReport(JSON.parse(JSON.stringify(report)));
  });

  it('believes neither INFO\'s nor CONFIG GET\'s maxclients 0', () => {
    const report = assess(['id=1 addr=10.0.0.1:5000 age=1 idle=1 flags=N db=0 cmd=get user=default'], { timeoutSeconds: 0, maxClients: 0, tcpKeepaliveSeconds: 300 }, 'maxclients:0\r\n');
    expect(report.nodes[0]?.maxClients).toBeNull();
    expect(report.summary.maxClients).toBeNull();
  });

  it('takes CONFIG GET\'s maxclients when INFO\'s is impossible', () => {
    const lines = Array.from({ length: 25 }, (_, i) => `id=${i + 1} addr=10.0.0.1:${5000 + i} age=900 idle=900 flags=N db=0 cmd=get user=default`);
    const report = assess(lines, { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, 'maxclients:0\r\n');
    expect(report.nodes[0]?.maxClients).toBe(10000);
    // 25 idle connections are not a quarter of maxclients: warning, not critical.
    expect(report.findings.filter((f) => f.kind === 'idle-connections').map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('safeJson', () => {
  it('escapes what a terminal would act on or show reversed, and stays the same data', () => {
    const value = { name: 'a\u202eb\u0085c\u2028d\u200be', n: 1 };
    const text = safeJson(value, 2);
    expect(text).not.toMatch(/[\u007f-\u009f\u202e\u2028\u200b]/u);
    expect(text).toContain('a\\u202eb\\u0085c\\u2028d\\u200be');
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('error replies', () => {
  it('reach messages without control, format or separator characters', () => {
    const text = describeError(new Error('NOPERM \u001b[31mred\u001b]0;title\u0007\u202eevil\u2028line'), parseTargetUrl('redis://h:6379'));
    expect(text).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}]/u);
    expect(text).toContain('NOPERM');
  });
});
