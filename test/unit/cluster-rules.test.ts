// Which announced cluster nodes the auditor may contact (lambda/core/cluster-rules.ts): the seed's own network
// by default, loopback as one network, host names under the seed's domain, and what --cluster-allow adds.
import { describe, expect, it } from 'vitest';
import {
  clusterNodeAccess, EMPTY_ALLOW_LIST, formatNetwork, parentDomain, parseCidr, parseClusterAllow, parseClusterAllowList, parseIp, seedScope,
  MAX_ALLOW_ENTRIES, type AllowList, type SeedScope,
} from '../../lambda/core/cluster-rules.js';
import { ConfigError } from '../../lambda/core/errors.js';

const node = (ip: string, hostname: string | null = null, port = 6379) => ({
  ip, hostname, address: ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`,
});
const access = (scope: SeedScope, ip: string, hostname: string | null = null, allow: AllowList = EMPTY_ALLOW_LIST) =>
  clusterNodeAccess(node(ip, hostname), scope, allow);

describe('the seed\'s network (default allowed set)', () => {
  it.each([
    ['10.0.0.5', '10.0.255.254', true],
    ['10.0.0.5', '10.0.0.5', true],
    ['10.0.0.5', '10.1.0.5', false],
    ['10.0.0.5', '10.255.255.1', false],
    ['10.0.0.5', '192.0.2.1', false],
    ['10.0.0.5', '127.0.0.1', false],
    ['10.0.0.5', '169.254.169.254', false],
    ['10.0.0.5', '::ffff:10.0.3.4', true],
    ['10.0.0.5', '0.0.0.0', false],
    ['fd00:1:2:300::5', 'fd00:1:2:3ff::9', true],
    ['fd00:1:2:300::5', 'fd00:1:2:400::9', false],
    ['fd00:1:2:300::5', '10.0.0.1', false],
    ['2600:1f18:aa:bb00::1', '2600:1f18:aa:bbff:ffff::1', true],
  ])('an IP seed %s allows %s: %s (IPv4 /16, IPv6 /56)', (seed, ip, allowed) => {
    expect(access(seedScope(seed), ip).allowed).toBe(allowed);
  });

  it.each([
    ['127.0.0.1', '::1'],
    ['127.0.0.1', '127.0.0.2'],
    ['::1', '127.0.0.1'],
    ['localhost', '::1'],
    ['localhost', '127.0.0.1'],
  ])('counts loopback as one network: a seed at %s allows %s', (seed, ip) => {
    expect(access(seedScope(seed), ip)).toEqual({ allowed: true, via: 'ip' });
  });

  it('places a seed given by name by the addresses its name resolved to', () => {
    const scope = seedScope('clustercfg.orders.ab12cd.use1.cache.amazonaws.com', ['10.20.1.5', '10.20.2.6']);
    expect(scope.networks.map(formatNetwork)).toEqual(['10.20.0.0/16']);
    expect(scope.loopback).toBe(false);
    expect(access(scope, '10.20.3.9').allowed).toBe(true);
    expect(access(scope, '10.21.3.9').allowed).toBe(false);
  });

  it('a seed name that resolved to loopback allows loopback, and one that did not resolve allows no address', () => {
    expect(access(seedScope('redis.test.example', ['127.0.0.1']), '::1').allowed).toBe(true);
    expect(access(seedScope('redis.test.example', []), '127.0.0.1').allowed).toBe(false);
  });

  it('does not allow loopback to a seed outside it', () => {
    expect(access(seedScope('10.0.0.5'), '::1').allowed).toBe(false);
  });

  it('says why a node is not contacted, and how to allow it', () => {
    const result = access(seedScope('10.0.0.5'), '10.9.0.5');
    expect(result).toEqual({
      allowed: false,
      reason: '10.9.0.5:6379 is outside the seed\'s network 10.0.0.0/16: not contacted, credentials not sent (allow it with --cluster-allow, or clusterAllow in the Lambda target)',
    });
  });
});

describe('host names under the seed\'s domain', () => {
  const cfg = seedScope('clustercfg.orders.ab12cd.use1.cache.amazonaws.com', ['10.20.1.5']);

  it.each([
    ['clustercfg.orders.ab12cd.use1.cache.amazonaws.com', 'orders.ab12cd.use1.cache.amazonaws.com'],
    ['orders.ab12cd.clustercfg.use1.cache.amazonaws.com', 'orders.ab12cd.use1.cache.amazonaws.com'],
    ['orders-0001-001.orders.ab12cd.use1.cache.amazonaws.com', 'orders.ab12cd.use1.cache.amazonaws.com'],
    ['clustercfg.orders.ab12cd.cnn1.cache.amazonaws.com.cn', 'orders.ab12cd.cnn1.cache.amazonaws.com.cn'],
    ['redis.corp.example.com', 'corp.example.com'],
    // Too wide to belong to one owner: every cache of a region, a whole registrable domain, a single label.
    ['orders-ab12cd.serverless.use1.cache.amazonaws.com', null],
    ['x.use1.cache.amazonaws.com', null],
    ['redis.example.com', null],
    ['localhost', null],
  ])('the parent domain of %s is %s', (host, domain) => {
    expect(parentDomain(host)).toBe(domain);
  });

  it('allows a node announced by a name under the configuration endpoint\'s domain, by that name, whatever its IP', () => {
    expect(access(cfg, '172.31.5.5', 'orders-0002-001.orders.ab12cd.use1.cache.amazonaws.com')).toEqual({ allowed: true, via: 'hostname' });
  });

  it.each([
    ['another cluster', 'other-0001-001.other.ab12cd.use1.cache.amazonaws.com'],
    ['a look-alike suffix', 'x.evilorders.ab12cd.use1.cache.amazonaws.com'],
    ['the domain itself', 'orders.ab12cd.use1.cache.amazonaws.com'],
    ['a name elsewhere', 'orders.ab12cd.use1.cache.amazonaws.com.evil.example'],
  ])('does not allow %s', (_, hostname) => {
    expect(access(cfg, '172.31.5.5', hostname).allowed).toBe(false);
  });
});

describe('--cluster-allow and clusterAllow', () => {
  it('adds IPv4 and IPv6 networks and host-name domains to the seed\'s own network', () => {
    const allow = parseClusterAllow('10.9.0.0/16, fd00:aa::/32,192.0.2.7,*.Nodes.Example.Internal');
    expect(allow.networks.map(formatNetwork)).toEqual(['10.9.0.0/16', 'fd00:aa::/32', '192.0.2.7/32']);
    expect(allow.domains).toEqual(['nodes.example.internal']);
    const scope = seedScope('10.0.0.5');
    expect(access(scope, '10.9.0.5', null, allow).allowed).toBe(true);
    expect(access(scope, 'fd00:aa:1::2', null, allow).allowed).toBe(true);
    expect(access(scope, '192.0.2.7', null, allow).allowed).toBe(true);
    expect(access(scope, '192.0.2.8', null, allow).allowed).toBe(false);
    expect(access(scope, '203.0.113.1', 'n1.nodes.example.internal', allow)).toEqual({ allowed: true, via: 'hostname' });
    expect(access(scope, '10.0.1.1', null, allow).allowed).toBe(true);
  });

  it('clears host bits and names the allowed networks in the reason of a node outside them', () => {
    const allow = parseClusterAllowList(['172.16.9.9/12']);
    expect(allow.networks.map(formatNetwork)).toEqual(['172.16.0.0/12']);
    const result = access(seedScope('10.0.0.5'), '192.168.1.1', null, allow);
    expect(result.allowed === false && result.reason).toContain('outside the seed\'s network 10.0.0.0/16 and the allowed 172.16.0.0/12');
  });

  it.each([
    ['10.0.0.300/16', '"10.0.0.300/16" is not an IPv4 or IPv6 network'],
    ['10.0.0.0/33', '"10.0.0.0/33" is not an IPv4 or IPv6 network'],
    ['fd00::/129', '"fd00::/129" is not an IPv4 or IPv6 network'],
    ['10.0.0.0/16,', 'an empty entry'],
    ['010.0.0.0/16', '"010.0.0.0/16" is not an IPv4 or IPv6 network'],
    ['1:2:3:4:5:6:7:8:9', 'is not an IPv4 or IPv6 network'],
    ['redis.example.com', '"redis.example.com" is not an IPv4 or IPv6 network'],
    ['*.com', '"*.com" is not *. followed by a domain of two labels or more'],
    ['*.bad_do main.com', 'is not *. followed by a domain'],
  ])('refuses %j with a ConfigError naming the flag, the entry and the expected form', (text, why) => {
    const call = () => parseClusterAllow(text);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(`Invalid --cluster-allow: `);
    expect(call).toThrow(why);
    expect(call).toThrow('expected CIDR[,CIDR...] such as 10.1.0.0/16');
  });

  it('names the Lambda setting in its errors, and bounds the number of entries', () => {
    expect(() => parseClusterAllowList(['nope'])).toThrow(/^Invalid clusterAllow: "nope"/);
    const many = Array.from({ length: MAX_ALLOW_ENTRIES + 1 }, (_, i) => `10.${i}.0.0/16`);
    expect(() => parseClusterAllowList(many)).toThrow(`${MAX_ALLOW_ENTRIES + 1} entries, at most ${MAX_ALLOW_ENTRIES}`);
  });
});

describe('addresses', () => {
  it.each([
    ['10.1.2.3', [10, 1, 2, 3]],
    ['::1', [...new Array<number>(15).fill(0), 1]],
    ['[::1]', [...new Array<number>(15).fill(0), 1]],
    ['::ffff:127.0.0.1', [127, 0, 0, 1]],
    ['2001:db8::7', [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 7]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ])('reads %s', (text, bytes) => {
    expect(parseIp(text)).toEqual(bytes);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7', '::g', 'example.com', ':::', '1.2.3.4::'])('refuses %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('writes IPv6 networks as RFC 5952 does', () => {
    expect(formatNetwork(parseCidr('fd00:0:0:1::/56') ?? fail())).toBe('fd00::/56');
    expect(formatNetwork(seedScope('2600:1f18:aa:bb12::1').networks[0] ?? fail())).toBe('2600:1f18:aa:bb00::/56');
  });
});

function fail(): never {
  throw new Error('expected a value');
}
