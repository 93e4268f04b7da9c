// Finds the caches to audit by tag through the ElastiCache API, at every run, so that a new cache is audited
// without a redeploy: DescribeReplicationGroups and DescribeServerlessCaches (paginated), then
// ListTagsForResource for the reachable caches of this invocation's shard only (the Describe answers carry no
// tags). Bounded: pages, tag reads at once, and targets a run.
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { DiscoveryConfig, TargetConfig } from '../config.js';
import { AuditError, errorText } from '../core/errors.js';
import { collectPages, consoleWarnLogger, logRetries, withRetry, type RetryOptions, type WarnLogger } from '../publish/retry.js';
import { replicationGroupCandidate, serverlessCacheCandidate, shardOf, tagsMatch, type Candidate, type CacheCandidate } from './discovered-target.js';
import { elastiCacheSdk } from './elasticache-sdk.js';
import { mapLimited } from '../map-limited.js';

/** Which part of the fleet one invocation audits: shard `index` of `count` (see shardOf). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface DiscoveryResult {
  /** This shard's caches that carry the tags, sorted by name, at most maxTargets. */
  readonly targets: readonly TargetConfig[];
  /** Caches of this shard carrying the tags, before the maxTargets cap. */
  readonly matched: number;
  /** Caches of this shard that carry the tags (or could not be checked) but are not audited, and why. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

export interface CacheDiscovery {
  discover(config: DiscoveryConfig, shard: Shard): Promise<DiscoveryResult>;
}

export interface ElastiCacheDiscoveryOptions {
  /** The client, or how to get it: a function lets the SDK load only when discovery runs. */
  readonly elasticache: ElastiCacheClient | (() => ElastiCacheClient);
  /** @default attempts 3, base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** @default JSON lines on stderr */
  readonly logger?: WarnLogger;
}

/** A fleet larger than 50 pages of 100 is beyond what one account's auditor should walk every run. */
const MAX_PAGES = 50;
const PAGE_SIZE = 100;
/** ListTagsForResource calls at once: ElastiCache's API rate is shared with the account's own tooling. */
const TAG_READS_AT_ONCE = 4;

export class DiscoveryError extends AuditError {
  override name = 'DiscoveryError';
}

export class ElastiCacheDiscovery implements CacheDiscovery {
  private readonly retry: RetryOptions;
  private readonly logger: WarnLogger;

  constructor(private readonly options: ElastiCacheDiscoveryOptions) {
    this.logger = options.logger ?? consoleWarnLogger;
    this.retry = { attempts: 3, ...options.retry, onRetry: logRetries(this.logger) };
  }

  /** Throws a DiscoveryError when the caches cannot be listed, or no tag of this shard could be read. */
  async discover(config: DiscoveryConfig, shard: Shard): Promise<DiscoveryResult> {
    const candidates: Candidate[] = [];
    try {
      if (config.kinds.includes('replication-group')) candidates.push(...(await this.replicationGroups()).map((g) => replicationGroupCandidate(g, config)));
      if (config.kinds.includes('serverless-cache')) candidates.push(...(await this.serverlessCaches()).map((c) => serverlessCacheCandidate(c, config)));
    } catch (error) {
      throw new DiscoveryError(`caches could not be listed: ${errorText(error, { maxChars: 300 })}`, { cause: error });
    }
    // Caches that cannot be audited now (being created, deleted, another engine) are left out without a tag read.
    const reachable = candidates.flatMap((c) => (c.ok && shardOf(c.cache.name, shard.count) === shard.index ? [c] : []));
    const tagged = await mapLimited(reachable, TAG_READS_AT_ONCE, async (candidate) => ({ candidate, tags: await this.tagsOf(candidate.cache) }));

    const unreadable = tagged.filter((t) => t.tags instanceof Error);
    if (unreadable.length > 0 && unreadable.length === tagged.length) {
      throw new DiscoveryError(`no cache's tags could be read (${unreadable.length} tried): ${errorText(unreadable[0]?.tags, { maxChars: 300 })}`);
    }
    const skipped = unreadable.map((t) => ({ name: t.candidate.cache.name, reason: `tags not readable: ${errorText(t.tags, { maxChars: 300 })}` }));
    const matching = tagged
      .filter((t) => !(t.tags instanceof Error) && tagsMatch(t.tags, config.tags))
      .map((t) => t.candidate.target)
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const target of matching.slice(config.maxTargets)) {
      skipped.push({ name: target.name, reason: `over maxTargets (${config.maxTargets}) of this shard: raise maxTargets or the number of shards` });
    }
    return { targets: matching.slice(0, config.maxTargets), matched: matching.length, skipped };
  }

  private client(): ElastiCacheClient {
    const { elasticache } = this.options;
    return typeof elasticache === 'function' ? elasticache() : elasticache;
  }

  private async replicationGroups() {
    const sdk = elastiCacheSdk();
    return collectPages('elasticache DescribeReplicationGroups', MAX_PAGES, async (marker) => {
      const page = await this.client().send(new sdk.DescribeReplicationGroupsCommand({ MaxRecords: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }));
      return { items: page.ReplicationGroups ?? [], next: page.Marker };
    }, this.retry);
  }

  private async serverlessCaches() {
    const sdk = elastiCacheSdk();
    return collectPages('elasticache DescribeServerlessCaches', MAX_PAGES, async (token) => {
      const page = await this.client().send(new sdk.DescribeServerlessCachesCommand({ MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }));
      return { items: page.ServerlessCaches ?? [], next: page.NextToken };
    }, this.retry);
  }

  /** The cache's tags, or the error that kept them unread (one cache's failure does not stop the others). */
  private async tagsOf(cache: CacheCandidate) {
    const sdk = elastiCacheSdk();
    try {
      const response = await withRetry(
        `elasticache ListTagsForResource ${cache.name}`,
        () => this.client().send(new sdk.ListTagsForResourceCommand({ ResourceName: cache.arn })),
        this.retry,
      );
      return response.TagList ?? [];
    } catch (error) {
      this.logger.warn('cache tags not read', { cache: cache.name, error: errorText(error, { maxChars: 300 }) });
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
