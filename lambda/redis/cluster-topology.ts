// Every node of a Redis Cluster, primaries and replicas, from one seed node's CLUSTER NODES: where to
// connect to each (same credentials and TLS settings as the seed), and which nodes are left out and why:
// flagged by the cluster, outside the networks the operator allows (core/cluster-rules.ts), or beyond the
// bound of nodes a run. What is left out is listed node by node up to a bound, then counted in one entry.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { CollectionCost } from '../core/model.js';
import { parseClusterNodes, type ClusterNode } from '../core/cluster-nodes.js';
import {
  clusterNodeAccess, EMPTY_ALLOW_LIST, MAX_CLUSTER_NODES, MAX_CLUSTER_NODES_LINES, seedScope, type AllowList, type SeedScope,
} from '../core/cluster-rules.js';
import { hostPort, type RedisTarget } from './target-url.js';

export interface ClusterMember {
  /** The node's name in the report, state and metrics: its announced `ip:port`. */
  readonly label: string;
  readonly target: RedisTarget;
  readonly node: ClusterNode;
}

export interface ClusterTopology {
  /** Label of the seed node itself (flag `myself`): the seed's connection is reused for it. */
  readonly seedLabel: string;
  /** Every other node the auditor should open a connection to. */
  readonly members: readonly ClusterMember[];
  /**
   * Nodes listed but not audited (flagged fail, noaddr, handshake; outside the allowed networks; beyond the
   * bound): reported as failed nodes. The last entry may stand for `count` nodes at once.
   */
  readonly skipped: readonly SkippedNode[];
  /** Problems reading the node list (malformed lines), for the seed node's errors. */
  readonly errors: readonly string[];
}

export interface SkippedNode {
  readonly label: string;
  readonly reason: string;
  /** Nodes this entry stands for; 1 when absent. */
  readonly count?: number;
}

/** Which announced nodes may be contacted: the seed's own network, and what the operator allows. */
export interface ClusterAccess {
  readonly seed: SeedScope;
  readonly allow: AllowList;
}

/** Skipped nodes listed one by one in the report; the rest are counted in one entry (a report stays small). */
export const MAX_LISTED_SKIPPED = 100;

/** What discovering the cluster needs from the seed's connection (NodeCollector provides it). */
export interface ClusterSeed {
  /** `host:port` of the seed as the auditor reached it. */
  readonly node: string;
  clusterNodes(): Promise<{ text: string; cost: CollectionCost }>;
}

/** Sends CLUSTER NODES on the seed's connection and maps the reply; throws an AuditError when refused. */
export async function discoverCluster(seed: ClusterSeed, seedTarget: RedisTarget, access?: ClusterAccess): Promise<{ topology: ClusterTopology; cost: CollectionCost }> {
  const { text, cost } = await seed.clusterNodes();
  return { topology: clusterTopology(text, seedTarget, seed.node, access), cost };
}

/** Host name -> its addresses; the DNS by default. */
export type HostLookup = (host: string) => Promise<readonly string[]>;
const dnsLookup: HostLookup = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The seed's network and the operator's allow list. A seed given by name is placed by what its name resolves
 * to (the DNS the operator trusts, not the seed's own word in CLUSTER NODES); when it does not resolve within
 * `timeoutMs`, only allowed networks and host names under its domain can be contacted, and `errors` says so.
 */
export async function clusterAccess(seedTarget: RedisTarget, allow: AllowList = EMPTY_ALLOW_LIST, timeoutMs = 5000, lookupHost: HostLookup = dnsLookup): Promise<{ access: ClusterAccess; errors: string[] }> {
  const byUrl = seedScope(seedTarget.host);
  if (isIP(seedTarget.host) !== 0 || byUrl.loopback) return { access: { seed: byUrl, allow }, errors: [] };
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      lookupHost(seedTarget.host),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return { access: { seed: seedScope(seedTarget.host, addresses), allow }, errors: [] };
  } catch {
    return {
      access: { seed: byUrl, allow },
      errors: [`${seedTarget.host} did not resolve within ${timeoutMs} ms: other nodes are contacted only when announced by a name under its domain or inside --cluster-allow`],
    };
  } finally {
    clearTimeout(timer);
  }
}

export function clusterTopology(text: string, seedTarget: RedisTarget, seedNode: string, access: ClusterAccess = { seed: seedScope(seedTarget.host), allow: EMPTY_ALLOW_LIST }): ClusterTopology {
  const parsed = parseClusterNodes(text);
  const myself = parsed.nodes.find((n) => n.myself);
  // A seed that does not know its own address (a fresh node prints `:port@cport`) keeps the URL's name.
  const seedLabel = myself !== undefined && myself.address !== '' ? myself.address : seedNode;
  const candidates: ClusterMember[] = [];
  const skipped: SkippedNode[] = [];
  const unlisted = { flagged: 0, outside: 0 };
  const skip = (label: string, reason: string, kind: keyof typeof unlisted) => {
    if (skipped.length < MAX_LISTED_SKIPPED) skipped.push({ label, reason });
    else unlisted[kind] += 1;
  };
  const seen = new Set([seedLabel, seedNode]);
  for (const node of parsed.nodes) {
    if (node.myself) continue;
    const label = node.address !== '' ? node.address : `${node.id.slice(0, 12)} (no address)`;
    if (seen.has(label)) continue;
    seen.add(label);
    if (node.skipReason !== null) {
      skip(label, `not audited: ${node.skipReason}`, 'flagged');
      continue;
    }
    const allowed = clusterNodeAccess(node, access.seed, access.allow);
    if (!allowed.allowed) {
      skip(label, allowed.reason, 'outside');
      continue;
    }
    candidates.push({ label, target: nodeTarget(seedTarget, node, allowed.via), node });
  }
  // The seed is one of the nodes a run audits.
  const members = withinBound(candidates, MAX_CLUSTER_NODES - 1);
  const rest = { overBound: candidates.length - members.length, ...unlisted, unreadLines: parsed.unreadLines };
  const count = rest.overBound + rest.flagged + rest.outside + rest.unreadLines;
  if (count > 0) skipped.push({ label: `(${count} more nodes)`, reason: restReason(rest), count });
  const errors = parsed.malformedLines > 0
    ? [`${parsed.malformedLines} malformed CLUSTER NODES lines skipped, e.g. ${JSON.stringify(parsed.malformedExamples[0] ?? '')}`]
    : [];
  return { seedLabel, members, skipped, errors };
}

/** At most `max` members, primaries first (they hold the writers' connections), in the announced order. */
function withinBound(candidates: readonly ClusterMember[], max: number): readonly ClusterMember[] {
  if (candidates.length <= max) return candidates;
  const primaries = candidates.filter((m) => m.node.role === 'master');
  const chosen = new Set([...primaries, ...candidates.filter((m) => m.node.role !== 'master')].slice(0, max));
  return candidates.filter((m) => chosen.has(m));
}

function restReason(rest: { overBound: number; flagged: number; outside: number; unreadLines: number }): string {
  const parts = [
    rest.overBound > 0 ? `${rest.overBound} beyond the bound of ${MAX_CLUSTER_NODES} nodes a run (primaries are audited first)` : '',
    rest.outside > 0 ? `${rest.outside} more outside the allowed networks (not contacted, credentials not sent)` : '',
    rest.flagged > 0 ? `${rest.flagged} more flagged fail, noaddr or handshake` : '',
    rest.unreadLines > 0 ? `${rest.unreadLines} announced after the first ${MAX_CLUSTER_NODES_LINES} CLUSTER NODES lines (not read)` : '',
  ];
  return `not audited: ${parts.filter((p) => p !== '').join('; ')}`;
}

/**
 * The seed's target pointed at one announced node: same user, password, TLS and CA file.
 *
 * TLS: nodes are announced by IP, but the certificate names the service's host name. ElastiCache in cluster
 * mode with in-transit encryption is the common case: its certificate is for `*.<id>.cache.amazonaws.com`, and
 * ioredis users make cluster TLS work with `dnsLookup: (address, callback) => callback(null, address)` so
 * that ioredis keeps connecting by name. Here each node is reached by its IP while the TLS server name (SNI
 * and certificate check) stays the seed's host name; a node announcing its own host name uses that one.
 */
export function nodeTarget(seed: RedisTarget, node: ClusterNode, via: 'ip' | 'hostname' = 'ip'): RedisTarget {
  const scheme = seed.tls ? 'rediss' : 'redis';
  const servername = node.hostname ?? (isIP(seed.host) === 0 ? seed.host : undefined);
  const { tlsServername: _ignored, ...rest } = seed;
  // Allowed by its name only (its IP is outside the allowed networks): the DNS says where that name is.
  const host = via === 'hostname' && node.hostname !== null ? node.hostname : node.ip;
  return {
    ...rest,
    host,
    port: node.port,
    ...(seed.tls && servername !== undefined ? { tlsServername: servername } : {}),
    display: `${scheme}://${hostPort(host, node.port)}`,
  };
}
