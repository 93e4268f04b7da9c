// The bounds of a cluster audit and the rule for which announced nodes the auditor may contact, in one place
// for the cluster pipeline (lambda/cluster-audit.ts), the CLI flag `--cluster-allow` and the Lambda target
// setting `clusterAllow`. A seed's CLUSTER NODES is the server's word, not the operator's: a broken or
// hostile seed can announce thousands of nodes, anywhere. Pure: the addresses the seed's name resolved to
// are passed in.
import { ConfigError } from './errors.js';

/**
 * Nodes audited per run, the seed included. ElastiCache's largest cluster is 500 nodes (e.g. 83 shards of 6,
 * or 500 shards without replicas), so a real cluster is never cut; it also keeps one run's sockets (one per
 * node, held for the run) at half the Lambda's 1,024 descriptors.
 */
export const MAX_CLUSTER_NODES = 500;
/**
 * CLUSTER NODES lines read. Redis Cluster is designed for up to 1,000 nodes; twice that leaves room for
 * failed and handshake entries, and the lines beyond are only counted.
 */
export const MAX_CLUSTER_NODES_LINES = 2_000;
/** Connections being opened, or nodes being sampled, at once: a burst a node's network and our descriptors bear. */
export const CLUSTER_CONNECTIONS_AT_ONCE = 64;
/**
 * Node connections one process holds at once across the clusters it audits in parallel (connection-budget.ts):
 * Lambda allows 1,024 descriptors; the SDK clients, the seeds and single-node targets keep the rest.
 */
export const MAX_NODE_CONNECTIONS_PER_PROCESS = 800;
/** IPv4 seed network: an AWS VPC is at most a /16, so every node of a cluster in it shares the seed's /16. */
export const SEED_PREFIX_IPV4 = 16;
/**
 * IPv6 seed network: AWS gives a VPC a /56 and each subnet a /64; a Multi-AZ cluster spans subnets, so a /64
 * would cut it apart, and a /48 (a whole site) would be 256 VPCs.
 */
export const SEED_PREFIX_IPV6 = 56;
/** Entries in one allow list: a list of networks, not a routing table. */
export const MAX_ALLOW_ENTRIES = 64;
export const CLUSTER_ALLOW_FORM = 'expected CIDR[,CIDR...] such as 10.1.0.0/16,fd00:1:2:300::/56 (a bare address is one host), or *.domain for announced host names';
const HOW_TO_ALLOW = 'allow it with --cluster-allow, or clusterAllow in the Lambda target';

export interface IpNetwork {
  readonly family: 4 | 6;
  /** Network address, 4 or 16 bytes, host bits zero. */
  readonly bytes: readonly number[];
  readonly prefix: number;
}

/** What the operator allows beyond the seed's own network. */
export interface AllowList {
  readonly networks: readonly IpNetwork[];
  /** Host-name suffixes, lower case, without the `*.`: `example.internal` allows `a.example.internal`. */
  readonly domains: readonly string[];
}

export const EMPTY_ALLOW_LIST: AllowList = { networks: [], domains: [] };

/** Where the seed is: the default allowed set. */
export interface SeedScope {
  readonly networks: readonly IpNetwork[];
  /** The seed is on loopback (address or `localhost`): every loopback address, 127/8 and ::1, is one network. */
  readonly loopback: boolean;
  /** Parent domain of a seed given by name (ElastiCache announces nodes under it); null for an IP seed. */
  readonly domain: string | null;
}

/** `--cluster-allow 10.1.0.0/16,*.corp.example`: throws a ConfigError naming `what` and the expected form. */
export function parseClusterAllow(text: string, what = '--cluster-allow'): AllowList {
  return parseClusterAllowList(String(text).split(','), what);
}

/** The Lambda's `clusterAllow: ["10.1.0.0/16", ...]`; throws a ConfigError naming `what` and the expected form. */
export function parseClusterAllowList(entries: readonly string[], what = 'clusterAllow'): AllowList {
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid ${what}: ${why}; ${CLUSTER_ALLOW_FORM}`);
  };
  if (entries.length > MAX_ALLOW_ENTRIES) fail(`${entries.length} entries, at most ${MAX_ALLOW_ENTRIES}`);
  const networks: IpNetwork[] = [];
  const domains: string[] = [];
  for (const raw of entries) {
    const entry = String(raw).trim();
    const shown = JSON.stringify(entry.slice(0, 60));
    if (entry === '') fail('an empty entry');
    if (entry.startsWith('*.')) {
      const domain = normalHost(entry.slice(2));
      if (domain === null || domain.split('.').length < 2) fail(`${shown} is not *. followed by a domain of two labels or more`);
      domains.push(domain as string);
      continue;
    }
    networks.push(parseCidr(entry) ?? fail(`${shown} is not an IPv4 or IPv6 network`));
  }
  return { networks, domains };
}

/** `10.1.0.0/16`, `fd00::/56`, or a bare address (/32, /128); host bits are cleared. Null when malformed. */
export function parseCidr(text: string): IpNetwork | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  const address = m?.[1] === undefined ? null : parseIp(m[1]);
  if (m === null || address === null) return null;
  const max = address.length * 8;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return null;
  return network(address, prefix);
}

/** The default allowed set of a seed: `seedHost` from the URL, `resolved` the addresses its name resolved to. */
export function seedScope(seedHost: string, resolved: readonly string[] = []): SeedScope {
  const ip = parseIp(seedHost);
  const addresses = ip !== null ? [ip] : resolved.map(parseIp).filter((a): a is number[] => a !== null);
  const name = ip === null ? normalHost(seedHost) : null;
  return {
    networks: dedupe(addresses.filter((a) => !isLoopback(a)).map((a) => network(a, a.length === 4 ? SEED_PREFIX_IPV4 : SEED_PREFIX_IPV6))),
    loopback: addresses.some(isLoopback) || (name !== null && (name === 'localhost' || name.endsWith('.localhost'))),
    domain: name === null ? null : parentDomain(name),
  };
}

export type NodeAccess =
  | { readonly allowed: true; /** `hostname`: reach the node by its announced name, which DNS places. */ readonly via: 'ip' | 'hostname' }
  | { readonly allowed: false; readonly reason: string };

/**
 * May the auditor contact this announced node (with the seed's credentials)? By its IP when inside the seed's
 * network, loopback for a loopback seed, or an allowed network; else by its announced host name when that is
 * under the seed's domain or an allowed one. Anything else is not contacted at all, with or without credentials:
 * a connection alone already lets a seed aim the auditor at any host and port it can reach.
 */
export function clusterNodeAccess(node: { readonly ip: string; readonly hostname: string | null; readonly address: string }, seed: SeedScope, allow: AllowList): NodeAccess {
  const ip = parseIp(node.ip);
  if (ip !== null && !ip.every((b) => b === 0)) {
    if (seed.loopback && isLoopback(ip)) return { allowed: true, via: 'ip' };
    if ([...seed.networks, ...allow.networks].some((n) => contains(n, ip))) return { allowed: true, via: 'ip' };
  }
  const hostname = node.hostname === null ? null : normalHost(node.hostname);
  const domains = [...(seed.domain === null ? [] : [seed.domain]), ...allow.domains];
  if (hostname !== null && domains.some((d) => hostname.endsWith(`.${d}`))) return { allowed: true, via: 'hostname' };
  const where = [
    ...(seed.loopback ? ['loopback (127.0.0.0/8, ::1)'] : []),
    ...seed.networks.map(formatNetwork),
    ...(seed.domain === null ? [] : [`*.${seed.domain}`]),
  ];
  const allowed = [...allow.networks.map(formatNetwork), ...allow.domains.map((d) => `*.${d}`)];
  const seedText = where.length === 0 ? 'the seed\'s network (unknown: its name did not resolve)' : `the seed's network ${where.join(', ')}`;
  const allowText = allowed.length === 0 ? '' : ` and the allowed ${allowed.join(', ')}`;
  const label = node.hostname === null ? node.address : `${node.address} (${node.hostname})`;
  return { allowed: false, reason: `${label} is outside ${seedText}${allowText}: not contacted, credentials not sent (${HOW_TO_ALLOW})` };
}

export function formatNetwork(n: IpNetwork): string {
  if (n.family === 4) return `${n.bytes.join('.')}/${n.prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((n.bytes[2 * i] ?? 0) * 256 + (n.bytes[2 * i + 1] ?? 0)).toString(16));
  // The longest run of zero groups (two or more) becomes `::`, as RFC 5952 writes it.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i += 1) {
    let len = 0;
    while (groups[i + len] === '0') len += 1;
    if (len > best.len) best = { at: i, len };
  }
  const text = best.at < 0 ? groups.join(':') : `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
  return `${text}/${n.prefix}`;
}

/**
 * A seed host name's parent domain, where its cluster's nodes are named: the `clustercfg` label removed from an
 * ElastiCache configuration endpoint (`clustercfg.orders.ab12cd.use1.cache.amazonaws.com` and the older
 * `orders.ab12cd.clustercfg.use1.cache.amazonaws.com` both give `orders.ab12cd.use1.cache.amazonaws.com`),
 * else the name without its first label. Null when that is too short to belong to one owner: fewer than three
 * labels, or an AWS name without the cluster's own name and id (never `use1.cache.amazonaws.com`: every
 * cache of the region).
 */
export function parentDomain(host: string): string | null {
  const labels = host.split('.');
  const at = labels.indexOf('clustercfg');
  const rest = at >= 0 ? [...labels.slice(0, at), ...labels.slice(at + 1)] : labels.slice(1);
  const aws = /(^|\.)amazonaws\.com(\.cn)?$/.exec(rest.join('.'));
  const minimum = aws === null ? 3 : 4 + (aws[2] === undefined ? 2 : 3);
  return rest.length >= minimum ? rest.join('.') : null;
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as IPv4; null otherwise. */
export function parseIp(text: string): number[] | null {
  const t = text.replace(/^\[(.*)\]$/, '$1');
  if (t.includes('.') && !t.includes(':')) return parseIpv4(t);
  if (!/^[0-9a-fA-F:.]{2,45}$/.test(t) || (t.match(/::/g)?.length ?? 0) > 1) return null;
  const [head = '', tail] = t.split('::');
  const side = (s: string, last: boolean): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (const [i, g] of groups.entries()) {
      // A dotted quad may end the address only (`::ffff:10.0.0.1`).
      const v4 = last && i === groups.length - 1 && g.includes('.') ? parseIpv4(g) : null;
      if (v4 !== null) out.push(...v4);
      else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16) >> 8, parseInt(g, 16) & 255);
      else return null;
    }
    return out;
  };
  const left = side(head, tail === undefined);
  const right = tail === undefined ? [] : side(tail, true);
  if (left === null || right === null) return null;
  const missing = 16 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 2)) return null;
  const bytes = [...left, ...new Array<number>(missing).fill(0), ...right];
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  return mapped ? bytes.slice(12) : bytes;
}

/** Dotted quad only, no leading zeros (`010` is octal to some parsers, decimal to others). */
function parseIpv4(t: string): number[] | null {
  const parts = t.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255) ? parts.map(Number) : null;
}

function isLoopback(a: readonly number[]): boolean {
  return a.length === 4 ? a[0] === 127 : a.slice(0, 15).every((b) => b === 0) && a[15] === 1;
}

function network(address: readonly number[], prefix: number): IpNetwork {
  const bytes = address.map((b, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { family: address.length === 4 ? 4 : 6, bytes, prefix };
}

function contains(n: IpNetwork, address: readonly number[]): boolean {
  return address.length === n.bytes.length && network(address, n.prefix).bytes.every((b, i) => b === n.bytes[i]);
}

function dedupe(networks: readonly IpNetwork[]): IpNetwork[] {
  const seen = new Map(networks.map((n) => [formatNetwork(n), n]));
  return [...seen.values()];
}

/** A host name in lower case without a trailing dot; null when it has characters a DNS name cannot. */
function normalHost(text: string): string | null {
  const host = text.trim().toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(host) && host.length <= 253 ? host : null;
}

/** The `clusterAllow` entries as configured (Lambda target, CDK config): checked with the same parser as the CLI flag. */
export function isValidClusterAllow(entries: readonly string[]): boolean {
  try {
    parseClusterAllowList(entries);
    return true;
  } catch {
    return false;
  }
}
