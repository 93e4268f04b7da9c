import { describe, expect, it } from 'vitest';
import { isClusterMode, parseClusterNodes } from '../../lambda/core/cluster-nodes.js';
import { clusterTopology, nodeTarget } from '../../lambda/redis/cluster-topology.js';
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
