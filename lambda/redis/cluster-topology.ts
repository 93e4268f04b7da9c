// Every node of a Redis Cluster, primaries and replicas, from one seed node's CLUSTER NODES: where to
// connect to each (same credentials and TLS settings as the seed), and which nodes are left out and why.
import { isIP } from 'node:net';
import type { CollectionCost } from '../core/model.js';
import { parseClusterNodes, type ClusterNode } from '../core/cluster-nodes.js';
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
  /** Nodes listed but not audited (flagged fail, noaddr, handshake): reported as failed nodes. */
  readonly skipped: ReadonlyArray<{ readonly label: string; readonly reason: string }>;
  /** Problems reading the node list (malformed lines), for the seed node's errors. */
  readonly errors: readonly string[];
}

/** What discovering the cluster needs from the seed's connection (NodeCollector provides it). */
export interface ClusterSeed {
  /** `host:port` of the seed as the auditor reached it. */
  readonly node: string;
  clusterNodes(): Promise<{ text: string; cost: CollectionCost }>;
}

/** Sends CLUSTER NODES on the seed's connection and maps the reply; throws an AuditError when refused. */
export async function discoverCluster(seed: ClusterSeed, seedTarget: RedisTarget): Promise<{ topology: ClusterTopology; cost: CollectionCost }> {
  const { text, cost } = await seed.clusterNodes();
  return { topology: clusterTopology(text, seedTarget, seed.node), cost };
}

export function clusterTopology(text: string, seedTarget: RedisTarget, seedNode: string): ClusterTopology {
  const parsed = parseClusterNodes(text);
  const myself = parsed.nodes.find((n) => n.myself);
  // A seed that does not know its own address (a fresh node prints `:port@cport`) keeps the URL's name.
  const seedLabel = myself !== undefined && myself.address !== '' ? myself.address : seedNode;
  const members: ClusterMember[] = [];
  const skipped: Array<{ label: string; reason: string }> = [];
  const seen = new Set([seedLabel, seedNode]);
  for (const node of parsed.nodes) {
    if (node.myself) continue;
    const label = node.address !== '' ? node.address : `${node.id.slice(0, 12)} (no address)`;
    if (seen.has(label)) continue;
    seen.add(label);
    if (node.skipReason !== null) {
      skipped.push({ label, reason: `not audited: ${node.skipReason}` });
      continue;
    }
    members.push({ label, target: nodeTarget(seedTarget, node), node });
  }
  const errors = parsed.malformedLines > 0
    ? [`${parsed.malformedLines} malformed CLUSTER NODES lines skipped, e.g. ${JSON.stringify(parsed.malformedExamples[0] ?? '')}`]
    : [];
  return { seedLabel, members, skipped, errors };
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
export function nodeTarget(seed: RedisTarget, node: ClusterNode): RedisTarget {
  const scheme = seed.tls ? 'rediss' : 'redis';
  const servername = node.hostname ?? (isIP(seed.host) === 0 ? seed.host : undefined);
  const { tlsServername: _ignored, ...rest } = seed;
  return {
    ...rest,
    host: node.ip,
    port: node.port,
    ...(seed.tls && servername !== undefined ? { tlsServername: servername } : {}),
    display: `${scheme}://${hostPort(node.ip, node.port)}`,
  };
}
