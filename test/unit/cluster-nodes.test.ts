import { describe, expect, it } from 'vitest';
import { isClusterMode, parseClusterNodes } from '../../lambda/core/cluster-nodes.js';
import { MAX_CLUSTER_NODES, MAX_CLUSTER_NODES_LINES, parseClusterAllow, seedScope } from '../../lambda/core/cluster-rules.js';
import { clusterAccess, clusterTopology, MAX_LISTED_SKIPPED, nodeTarget } from '../../lambda/redis/cluster-topology.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';

/** Captured from the integration test's cluster (redis-server 7.0.15, `redis-cli --cluster create ... --cluster-replicas 1`). */
const REDIS_7_0 = [
  '0a6f3ad13231469dff637b5227fcf07ec6399a1a 127.0.0.1:38333@48333 master - 0 1795688985087 2 connected 5461-10922',
  'f6ef23a28c544e1d96b87856abe0b568b4f59d7b 127.0.0.1:45435@55435 myself,master - 0 1795688985000 1 connected 0-5460',
  '523383eaf633931bb77ae28635ed74699ddfe5df 127.0.0.1:34277@44277 slave 2a2e4d4530b21022381efd98024281ead457864c 0 1795688985088 3 connected',
  'fcb5756e1ad8d4ef4e3e93f6226be0a6606b99f6 127.0.0.1:39357@49357 slave f6ef23a28c544e1d96b87856abe0b568b4f59d7b 0 1795688985088 1 connected',
  '796c644502868d9d4b2bd850fcbcc1294c0aefde 127.0.0.1:46207@56207 slave 0a6f3ad13231469dff637b5227fcf07ec6399a1a 0 1795688985088 2 connected',
  '2a2e4d4530b21022381efd98024281ead457864c 127.0.0.1:38759@48759 master - 0 1795688985388 3 connected 10923-16383',
  '',
].join('\n');

const ID = (n: number) => String(n).repeat(40).slice(0, 40);

describe('parseClusterNodes', () => {
  it('reads every node of a real six-node cluster with roles, primaries and the answering node', () => {
    const { nodes, malformedLines } = parseClusterNodes(REDIS_7_0);
    expect(malformedLines).toBe(0);
    expect(nodes.map((n) => [n.address, n.role, n.myself])).toEqual([
      ['127.0.0.1:38333', 'master', false],
      ['127.0.0.1:45435', 'master', true],
      ['127.0.0.1:34277', 'slave', false],
      ['127.0.0.1:39357', 'slave', false],
      ['127.0.0.1:46207', 'slave', false],
      ['127.0.0.1:38759', 'master', false],
    ]);
    expect(nodes[2]).toMatchObject({ port: 34277, busPort: 44277, hostname: null, masterId: '2a2e4d4530b21022381efd98024281ead457864c', linkState: 'connected', skipReason: null });
    expect(nodes[0]?.masterId).toBeNull();
  });

  it.each([
    ['a host name (Redis 7.0 docs)', `${ID(1)} 127.0.0.1:30004@31004,hostname4 slave ${ID(2)} 0 1426238317239 4 connected`,
      { ip: '127.0.0.1', port: 30004, busPort: 31004, hostname: 'hostname4', role: 'slave', masterId: ID(2), skipReason: null }],
    ['auxiliary fields and no host name (7.2)', `${ID(1)} 10.0.1.7:6379@16379,,tls-port=0,shard-id=${ID(3)} master - 0 1700000000000 1 connected 0-8191`,
      { ip: '10.0.1.7', port: 6379, hostname: null, address: '10.0.1.7:6379', role: 'master', skipReason: null }],
    ['a host name before auxiliary fields (7.2)', `${ID(1)} 10.0.1.8:6379@16379,node-8.example.internal,shard-id=${ID(3)} slave ${ID(2)} 0 1700000000000 1 connected`,
      { hostname: 'node-8.example.internal', role: 'slave' }],
    ['no bus port (before Redis 4.0)', `${ID(1)} 127.0.0.1:7001 master - 0 1426238316232 2 connected 5461-10922`,
      { port: 7001, busPort: null, address: '127.0.0.1:7001' }],
    ['an IPv6 address', `${ID(1)} 2001:db8::7:6379@16379 master - 0 1426238316232 2 connected 0-16383`,
      { ip: '2001:db8::7', port: 6379, address: '[2001:db8::7]:6379' }],
    ['a failed replica (documented flags)', `${ID(1)} 127.0.0.1:30006@31006 slave,fail ${ID(2)} 1426238317239 1426238316232 6 disconnected`,
      { role: 'slave', linkState: 'disconnected', skipReason: expect.stringContaining('fail') as unknown }],
    ['a node suspected failing (fail?): still tried', `${ID(1)} 127.0.0.1:30005@31005 master,fail? - 1426238317239 1426238316232 5 connected 0-100`,
      { flags: ['master', 'fail?'], skipReason: null }],
    ['a node without address', `${ID(1)} :0@0 master,noaddr - 1426238317239 1426238316232 5 disconnected`,
      { ip: '', address: '', skipReason: expect.stringContaining('noaddr') as unknown }],
    ['a node in handshake', `${ID(1)} 127.0.0.1:30007@31007 handshake - 0 0 0 connected`,
      { role: null, skipReason: expect.stringContaining('handshake') as unknown }],
    ['a lone node that does not know its address yet', `${ID(1)} :30001@31001 myself,master - 0 0 0 connected`,
      { ip: '', myself: true, skipReason: expect.stringContaining('no address') as unknown }],
  ])('reads a line with %s', (_, line, expected) => {
    const { nodes, malformedLines } = parseClusterNodes(line);
    expect(malformedLines).toBe(0);
    expect(nodes[0]).toMatchObject(expected);
  });

  it.each([
    ['a short id', 'abc 127.0.0.1:1@2 master - 0 0 1 connected'],
    ['a missing link state', `${ID(1)} 127.0.0.1:1@2 master - 0 0`],
    ['a port that is not a number', `${ID(1)} 127.0.0.1:x@2 master - 0 0 1 connected`],
    ['no colon in the address', `${ID(1)} localhost master - 0 0 1 connected`],
  ])('counts a line with %s as malformed, never throws', (_, line) => {
    const parsed = parseClusterNodes(`${line}\n${REDIS_7_0}`);
    expect(parsed.malformedLines).toBe(1);
    expect(parsed.malformedExamples[0]).toBe(line);
    expect(parsed.nodes).toHaveLength(6);
  });
});

/** `count` node lines on 10.0.x.y, the seed 10.0.0.1 first (`myself`); the others primaries where `primary(i)`, else replicas. */
function manyNodes(count: number, primary = (_i: number) => true, ip = (i: number) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`): string {
  return Array.from({ length: count }, (_, i) => {
    const flags = i === 0 ? 'myself,master' : primary(i) ? 'master' : 'slave';
    return `${i.toString(16).padStart(40, '0')} ${ip(i)}:6379@16379 ${flags} ${flags.includes('master') ? '-' : ID(1)} 0 0 1 connected`;
  }).join('\n');
}

describe('parseClusterNodes line bound', () => {
  it('reads at most the given number of lines and only counts the rest', () => {
    const parsed = parseClusterNodes(`${REDIS_7_0}\n\n${REDIS_7_0}`, 8);
    expect(parsed.nodes).toHaveLength(8);
    expect(parsed.unreadLines).toBe(4);
    expect(parsed.malformedLines).toBe(0);
  });

  it(`reads at most ${MAX_CLUSTER_NODES_LINES} lines of a reply announcing 10,000 nodes, malformed lines included`, () => {
    const parsed = parseClusterNodes(`garbage line\n${manyNodes(10_000)}`);
    expect(parsed.nodes.length + parsed.malformedLines).toBe(MAX_CLUSTER_NODES_LINES);
    expect(parsed.malformedLines).toBe(1);
    expect(parsed.unreadLines).toBe(10_001 - MAX_CLUSTER_NODES_LINES);
  });
});

describe('clusterTopology bounds and allowed networks', () => {
  const seed = parseTargetUrl('redis://auditor:s3cret@10.0.0.1:6379');
  const total = (skipped: ReadonlyArray<{ count?: number }>) => skipped.reduce((sum, s) => sum + (s.count ?? 1), 0);

  it(`audits at most ${MAX_CLUSTER_NODES} of 10,000 announced nodes, seed included, and counts the rest as not audited`, () => {
    const topology = clusterTopology(manyNodes(10_000), seed, '10.0.0.1:6379');
    expect(topology.members).toHaveLength(MAX_CLUSTER_NODES - 1);
    expect(topology.skipped).toEqual([{
      label: `(${10_000 - MAX_CLUSTER_NODES} more nodes)`,
      count: 10_000 - MAX_CLUSTER_NODES,
      reason: `not audited: ${MAX_CLUSTER_NODES_LINES - MAX_CLUSTER_NODES} beyond the bound of ${MAX_CLUSTER_NODES} nodes a run (primaries are audited first); `
        + `${10_000 - MAX_CLUSTER_NODES_LINES} announced after the first ${MAX_CLUSTER_NODES_LINES} CLUSTER NODES lines (not read)`,
    }]);
    expect(1 + topology.members.length + total(topology.skipped)).toBe(10_000);
  });

  it('audits every primary first when the bound cuts, then the first replicas, in the announced order', () => {
    // 1,000 nodes: 250 primaries (every fourth line, the seed included), 750 replicas.
    const topology = clusterTopology(manyNodes(1_000, (i) => i % 4 === 0), seed, '10.0.0.1:6379');
    const primaries = topology.members.filter((m) => m.node.role === 'master');
    expect(topology.members).toHaveLength(MAX_CLUSTER_NODES - 1);
    expect(primaries).toHaveLength(249);
    expect(primaries.at(-1)?.label).toBe('10.0.3.247:6379'); // line 996
    expect(topology.members.filter((m) => m.node.role === 'slave').at(-1)?.label).toBe('10.0.1.84:6379'); // the 250th replica, line 333
    const order = topology.members.map((m) => topologyOrder(m.label));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(topology.skipped).toMatchObject([{ count: 500, reason: expect.stringContaining('500 beyond the bound of 500 nodes') as unknown }]);
  });

  it('never lists a node outside the seed\'s network as a member, and says why it is skipped', () => {
    const text = [`${ID(1)} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected`, `${ID(2)} 10.0.9.9:6379@16379 master - 0 0 1 connected`,
      `${ID(3)} 10.255.255.1:6379@16379 master - 0 0 1 connected`, `${ID(4)} 169.254.169.254:80@16379 slave ${ID(2)} 0 0 1 connected`].join('\n');
    const topology = clusterTopology(text, seed, '10.0.0.1:6379');
    expect(topology.members.map((m) => m.label)).toEqual(['10.0.9.9:6379']);
    expect(topology.skipped).toEqual([
      { label: '10.255.255.1:6379', reason: '10.255.255.1:6379 is outside the seed\'s network 10.0.0.0/16: not contacted, credentials not sent (allow it with --cluster-allow, or clusterAllow in the Lambda target)' },
      { label: '169.254.169.254:80', reason: expect.stringContaining('169.254.169.254:80 is outside the seed\'s network 10.0.0.0/16') as unknown },
    ]);
    const allowed = clusterTopology(text, seed, '10.0.0.1:6379', { seed: seedScope('10.0.0.1'), allow: parseClusterAllow('10.255.0.0/16') });
    expect(allowed.members.map((m) => m.label)).toEqual(['10.0.9.9:6379', '10.255.255.1:6379']);
    expect(allowed.members[1]?.target).toMatchObject({ host: '10.255.255.1', password: 's3cret' });
  });

  it(`lists at most ${MAX_LISTED_SKIPPED} skipped nodes one by one and counts the others in one entry`, () => {
    const topology = clusterTopology(manyNodes(1_000, () => true, (i) => (i === 0 ? '10.0.0.1' : `192.0.${Math.floor(i / 250)}.${(i % 250) + 1}`)), seed, '10.0.0.1:6379');
    expect(topology.members).toEqual([]);
    expect(topology.skipped).toHaveLength(MAX_LISTED_SKIPPED + 1);
    expect(topology.skipped[MAX_LISTED_SKIPPED]).toMatchObject({ count: 999 - MAX_LISTED_SKIPPED, reason: `not audited: ${999 - MAX_LISTED_SKIPPED} more outside the allowed networks (not contacted, credentials not sent)` });
    expect(total(topology.skipped)).toBe(999);
  });

  it('reaches a node allowed by its announced host name by that name, not by its announced IP', () => {
    const cfg = parseTargetUrl('rediss://clustercfg.orders.ab12cd.use1.cache.amazonaws.com:6379');
    const text = `${ID(1)} 172.31.0.9:6379@16379,orders-0001-002.orders.ab12cd.use1.cache.amazonaws.com master - 0 0 1 connected`;
    const topology = clusterTopology(text, cfg, 'clustercfg.orders.ab12cd.use1.cache.amazonaws.com:6379');
    expect(topology.members[0]?.target).toMatchObject({ host: 'orders-0001-002.orders.ab12cd.use1.cache.amazonaws.com', tlsServername: 'orders-0001-002.orders.ab12cd.use1.cache.amazonaws.com' });
  });
});

describe('clusterAccess', () => {
  const cfg = parseTargetUrl('rediss://clustercfg.orders.ab12cd.use1.cache.amazonaws.com:6379');

  it('places a seed given by name where its name resolves, and keeps the allow list', async () => {
    const allow = parseClusterAllow('10.9.0.0/16');
    const { access, errors } = await clusterAccess(cfg, allow, 1000, (host) => Promise.resolve(host.startsWith('clustercfg.') ? ['10.20.1.5'] : []));
    expect(errors).toEqual([]);
    expect(access).toEqual({ seed: seedScope(cfg.host, ['10.20.1.5']), allow });
  });

  it('asks no DNS for an IP or localhost seed', async () => {
    const lookups: string[] = [];
    const lookup = (host: string) => Promise.resolve(void lookups.push(host)).then(() => ['10.1.1.1']);
    await clusterAccess(parseTargetUrl('redis://10.0.0.1:6379'), undefined, 1000, lookup);
    const { access } = await clusterAccess(parseTargetUrl('redis://localhost:6379'), undefined, 1000, lookup);
    expect(lookups).toEqual([]);
    expect(access.seed.loopback).toBe(true);
  });

  it('gives up on a name that does not resolve in time, allowing only its domain, and says so', async () => {
    const { access, errors } = await clusterAccess(cfg, undefined, 50, () => new Promise(() => undefined));
    expect(access.seed).toEqual({ networks: [], loopback: false, domain: 'orders.ab12cd.use1.cache.amazonaws.com' });
    expect(errors).toEqual([expect.stringContaining('did not resolve within 50 ms')]);
  });
});

/** Line index of a `10.0.x.y:6379` label in manyNodes. */
function topologyOrder(label: string): number {
  const [, c = '0', d = '0'] = /^10\.0\.(\d+)\.(\d+):/.exec(label) ?? [];
  return Number(c) * 250 + Number(d) - 1;
}

describe('isClusterMode', () => {
  it.each([
    ['# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n', true],
    ['# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n# Cluster\r\ncluster_enabled:0\r\n', false],
    ['# Cluster\r\ncluster_enabled:1\r\n', true],
    ['# Server\r\nvalkey_version:8.1.1\r\nserver_mode:cluster\r\n', true],
    ['', false],
  ])('reads %j as cluster mode %s', (info, expected) => {
    expect(isClusterMode(info)).toBe(expected);
  });
});

describe('clusterTopology', () => {
  const seed = parseTargetUrl('redis://auditor:s3cret@127.0.0.1:45435');

  it('reuses the seed for its own node and connects to every other node with the seed credentials', () => {
    const topology = clusterTopology(REDIS_7_0, seed, '127.0.0.1:45435');
    expect(topology.seedLabel).toBe('127.0.0.1:45435');
    expect(topology.members.map((m) => m.label)).toEqual(['127.0.0.1:38333', '127.0.0.1:34277', '127.0.0.1:39357', '127.0.0.1:46207', '127.0.0.1:38759']);
    expect(topology.members[0]?.target).toMatchObject({ host: '127.0.0.1', port: 38333, username: 'auditor', password: 's3cret', display: 'redis://127.0.0.1:38333' });
    expect(topology.skipped).toEqual([]);
  });

  it('reports failed and unaddressed nodes as skipped, with the reason', () => {
    const text = `${REDIS_7_0}${ID(7)} 127.0.0.1:30006@31006 slave,fail ${ID(2)} 1 1 6 disconnected\n${ID(8)} :0@0 master,noaddr - 1 1 5 disconnected\n`;
    const topology = clusterTopology(text, seed, '127.0.0.1:45435');
    expect(topology.members).toHaveLength(5);
    expect(topology.skipped).toEqual([
      { label: '127.0.0.1:30006', reason: expect.stringContaining('flag fail') as unknown },
      { label: '888888888888 (no address)', reason: expect.stringContaining('noaddr') as unknown },
    ]);
  });

  it('keeps the seed host name as the TLS server name of nodes announced by IP (ElastiCache cluster TLS)', () => {
    const tlsSeed = parseTargetUrl('rediss://clustercfg.sessions.abc123.euw1.cache.amazonaws.com:6379');
    const [node] = parseClusterNodes(`${ID(1)} 10.0.1.7:6379@16379 master - 0 1 1 connected 0-16383`).nodes;
    expect(node && nodeTarget(tlsSeed, node)).toMatchObject({
      host: '10.0.1.7', port: 6379, tls: true, tlsServername: 'clustercfg.sessions.abc123.euw1.cache.amazonaws.com', display: 'rediss://10.0.1.7:6379',
    });
  });

  it('uses a node\'s announced host name as its TLS server name, and sets none for a plain-TCP seed', () => {
    const [named] = parseClusterNodes(`${ID(1)} 10.0.1.8:6379@16379,node-8.example.internal master - 0 1 1 connected`).nodes;
    expect(named && nodeTarget(parseTargetUrl('rediss://10.0.1.1:6379'), named).tlsServername).toBe('node-8.example.internal');
    expect(named && nodeTarget(parseTargetUrl('redis://cache.example.internal:6379'), named).tlsServername).toBeUndefined();
  });
});
