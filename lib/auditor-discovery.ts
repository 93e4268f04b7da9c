// Discovery by tag in the construct: the props, their checks, the Lambda's DISCOVERY variable and the
// scheduled shard events. The caches are found at run time (lambda/discovery/), so a cache tagged after
// the deploy is audited at the next run.
import * as events from 'aws-cdk-lib/aws-events';
import { DEFAULT_DISCOVERED_TARGETS, MAX_DISCOVERED_TARGETS, MAX_SHARDS, TAG_KEY, TAG_KEY_FORM } from '../lambda/discovery/discovery-rules.js';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export type DiscoveredCacheKind = 'replication-group' | 'serverless-cache';

/** Which caches to find by tag through the ElastiCache API at every run, and how to audit them. */
export interface DiscoverySpec {
  /** Tags a cache must carry, all of them, to be audited; the value `*` accepts any value. 1 to 10 tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** Kinds of caches to look for. @default both replication groups and serverless caches */
  readonly kinds?: readonly DiscoveredCacheKind[];
  /** Scheduled invocations the discovered fleet is split over (by a stable hash of the cache name). @default 1 */
  readonly shards?: number;
  /** Discovered caches one invocation audits at most; the rest are logged as skipped. @default 20 */
  readonly maxTargetsPerShard?: number;
  /** Secret with the AUTH password (or username and password) of the auditor's user on every discovered cache. @default no AUTH */
  readonly authSecret?: secretsmanager.ISecret;
  /**
   * The break-glass's credential on every discovered cache (like `authSecret`: a Redis ACL user with the read-only rule
   * plus `+client|kill`), read only while the construct's `breakGlass` is enabled. @default none: the break-glass closes nothing on discovered caches
   */
  readonly reclaimSecret?: secretsmanager.ISecret;
  /** ElastiCache user id for IAM authentication to every discovered cache. @default no IAM authentication */
  readonly iamUser?: string;
  /** Ports the auditor may reach discovered caches on, anywhere in the VPC (their security groups must allow the auditor's). @default [6379] */
  readonly ports?: readonly number[];
}

export function validateDiscovery(spec: DiscoverySpec): void {
  const fail = (sentence: string): never => {
    throw new Error(`RedisLeakAuditor: discovery.${sentence}`);
  };
  const keys = Object.keys(spec.tags);
  if (keys.length < 1 || keys.length > 10) fail(`tags has ${keys.length} tags: give 1 to 10, all of which a cache must carry (e.g. { "leak-audit": "on" })`);
  for (const [key, value] of Object.entries(spec.tags)) {
    if (!TAG_KEY.test(key)) fail(`tags: '${key}' is not a tag key (${TAG_KEY_FORM})`);
    if (value.length > 256) fail(`tags.${key}: a tag value has at most 256 characters`);
  }
  if (spec.kinds !== undefined && spec.kinds.length === 0) fail('kinds is empty: give replication-group, serverless-cache or both, or leave it out for both');
  const shards = spec.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) fail(`shards must be a whole number from 1 to ${MAX_SHARDS}, not ${shards}`);
  const max = spec.maxTargetsPerShard ?? DEFAULT_DISCOVERED_TARGETS;
  if (!Number.isInteger(max) || max < 1 || max > MAX_DISCOVERED_TARGETS) fail(`maxTargetsPerShard must be a whole number from 1 to ${MAX_DISCOVERED_TARGETS}, not ${max}`);
  if (spec.authSecret && spec.iamUser) fail('give either authSecret or iamUser, not both');
  for (const port of spec.ports ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`ports: ${port} is not a TCP port`);
  }
}

/** The Lambda's DISCOVERY variable (lambda/config.ts); the construct leaves reclaimSecret out unless the break-glass is enabled. */
export function discoveryEnv(spec: DiscoverySpec): Record<string, unknown> {
  return {
    tags: spec.tags,
    kinds: spec.kinds ?? ['replication-group', 'serverless-cache'],
    maxTargets: spec.maxTargetsPerShard ?? DEFAULT_DISCOVERED_TARGETS,
    ...(spec.authSecret ? { authSecretArn: spec.authSecret.secretArn } : {}),
    ...(spec.reclaimSecret ? { reclaimSecretArn: spec.reclaimSecret.secretArn } : {}),
    ...(spec.iamUser ? { iamUser: spec.iamUser } : {}),
  };
}

/** One scheduled event per shard: `{ "discovered": { "shard": i, "shards": n } }` (lambda/invocation.ts). */
export function shardEvents(spec: DiscoverySpec): events.RuleTargetInput[] {
  const shards = spec.shards ?? 1;
  return Array.from({ length: shards }, (_, shard) => events.RuleTargetInput.fromObject({ discovered: { shard, shards } }));
}
