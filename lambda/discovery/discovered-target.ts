// What a cache found by discovery becomes: a target like one from AUDIT_TARGETS, or a reason it is left out.
// Pure: it reads the shapes ElastiCache's Describe calls answer with, so tests feed it recorded answers.
import type { DiscoveryConfig, TargetConfig } from '../config.js';

/** The fields of a DescribeReplicationGroups item used here (the SDK's ReplicationGroup fits it). */
export interface ReplicationGroupDescription {
  readonly ReplicationGroupId?: string | undefined;
  readonly Status?: string | undefined;
  readonly Engine?: string | undefined;
  readonly ARN?: string | undefined;
  readonly ClusterEnabled?: boolean | undefined;
  readonly TransitEncryptionEnabled?: boolean | undefined;
  readonly ConfigurationEndpoint?: Endpoint | undefined;
  readonly NodeGroups?: ReadonlyArray<{ readonly PrimaryEndpoint?: Endpoint | undefined }> | undefined;
}

/** The fields of a DescribeServerlessCaches item used here (the SDK's ServerlessCache fits it). */
export interface ServerlessCacheDescription {
  readonly ServerlessCacheName?: string | undefined;
  readonly Status?: string | undefined;
  readonly Engine?: string | undefined;
  readonly ARN?: string | undefined;
  readonly Endpoint?: Endpoint | undefined;
}

interface Endpoint {
  readonly Address?: string | undefined;
  readonly Port?: number | undefined;
}

/** A cache the API listed, before its tags are read. */
export interface CacheCandidate {
  readonly kind: 'replication-group' | 'serverless-cache';
  /** Replication group id or serverless cache name: the target's name. */
  readonly name: string;
  readonly arn: string;
}

export type Candidate = { readonly ok: true; readonly cache: CacheCandidate; readonly target: TargetConfig } | { readonly ok: false; readonly name: string; readonly reason: string };

// Statuses in which the endpoint answers: a replication group being modified or snapshotted still serves.
const REACHABLE_REPLICATION_GROUP = new Set(['available', 'modifying', 'snapshotting']);
const REACHABLE_SERVERLESS_CACHE = new Set(['available', 'modifying']);
const REDIS_ENGINES = new Set(['redis', 'valkey']);

export function replicationGroupCandidate(group: ReplicationGroupDescription, discovery: DiscoveryConfig): Candidate {
  const name = group.ReplicationGroupId ?? '';
  if (name === '' || !group.ARN) return { ok: false, name: name || '(no id)', reason: 'the API gave no id or ARN' };
  if (!REACHABLE_REPLICATION_GROUP.has(group.Status ?? '')) return { ok: false, name, reason: `status ${group.Status ?? 'unknown'}` };
  // Engine is absent in older answers, which predate Valkey: such a group is Redis.
  if (group.Engine !== undefined && !REDIS_ENGINES.has(group.Engine)) return { ok: false, name, reason: `engine ${group.Engine}` };
  const cluster = group.ClusterEnabled === true;
  const endpoint = cluster ? group.ConfigurationEndpoint : group.NodeGroups?.[0]?.PrimaryEndpoint;
  if (!endpoint?.Address) return { ok: false, name, reason: cluster ? 'no configuration endpoint' : 'no primary endpoint' };
  const tls = group.TransitEncryptionEnabled === true;
  return {
    ok: true,
    cache: { kind: 'replication-group', name, arn: group.ARN },
    target: withCredentials({
      name,
      url: `${tls ? 'rediss' : 'redis'}://${endpoint.Address}:${endpoint.Port ?? 6379}`,
      ...(tls ? { tls: true } : {}),
      ...(cluster ? { cluster: true } : {}),
      cacheName: name,
    }, discovery),
  };
}

export function serverlessCacheCandidate(cache: ServerlessCacheDescription, discovery: DiscoveryConfig): Candidate {
  const name = cache.ServerlessCacheName ?? '';
  if (name === '' || !cache.ARN) return { ok: false, name: name || '(no name)', reason: 'the API gave no name or ARN' };
  if (!REACHABLE_SERVERLESS_CACHE.has(cache.Status ?? '')) return { ok: false, name, reason: `status ${cache.Status ?? 'unknown'}` };
  if (!REDIS_ENGINES.has(cache.Engine ?? '')) return { ok: false, name, reason: `engine ${cache.Engine ?? 'unknown'}` };
  if (!cache.Endpoint?.Address) return { ok: false, name, reason: 'no endpoint' };
  return {
    ok: true,
    cache: { kind: 'serverless-cache', name, arn: cache.ARN },
    // Serverless caches always encrypt in transit; cacheName lets the run read the cache's CloudWatch metrics.
    target: withCredentials({ name, url: `rediss://${cache.Endpoint.Address}:${cache.Endpoint.Port ?? 6379}`, tls: true, cacheName: name, serverless: true }, discovery),
  };
}

function withCredentials(target: TargetConfig, discovery: DiscoveryConfig): TargetConfig {
  // The break-glass's credential goes with either way of signing in: it is a separate user either way.
  const armed = discovery.reclaimSecretArn === undefined ? target : { ...target, reclaimSecretArn: discovery.reclaimSecretArn };
  if (discovery.authSecretArn !== undefined) return { ...armed, authSecretArn: discovery.authSecretArn };
  if (discovery.iamUser !== undefined) return { ...armed, iamUser: discovery.iamUser };
  return armed;
}

/** Every wanted tag is present with the wanted value; the value `*` accepts any value. */
export function tagsMatch(tags: ReadonlyArray<{ readonly Key?: string | undefined; readonly Value?: string | undefined }>, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([key, value]) => tags.some((tag) => tag.Key === key && (value === '*' || (tag.Value ?? '') === value)));
}

/**
 * The shard a cache belongs to (0..shards-1): FNV-1a of its name. Stable across runs and invocations, so each
 * scheduled shard invocation audits the same caches every time without any shared state, and a new cache
 * lands in one shard only.
 */
export function shardOf(name: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
