// One discovery step of an invocation: find this shard's tagged caches, drop those AUDIT_TARGETS already
// configures (their own settings win), publish the discovery's health metrics, and log what was left out.
// A failure is returned, not thrown: the configured targets of the same invocation are still audited.
import type { DiscoveryConfig, TargetConfig } from './config.js';
import { errorText } from './core/errors.js';
import { discoveryMetrics } from './core/fleet-metrics.js';
import type { CacheDiscovery, Shard } from './discovery/elasticache-discovery.js';
import type { MetricSink } from './publish/ports.js';
import type { LogSink } from './audit-target.js';

export interface DiscoverySummary {
  readonly shard: Shard;
  /** Caches of this shard carrying the tags. */
  readonly matched: number;
  readonly audited: readonly string[];
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
  /** Why discovery failed (no discovered target is audited then); null when it worked. */
  readonly error: string | null;
}

export interface DiscoverTargetsInput {
  readonly config: DiscoveryConfig;
  readonly shard: Shard;
  /** Names in AUDIT_TARGETS: a discovered cache of the same name is audited with its configured settings only. */
  readonly configuredNames: ReadonlySet<string>;
  readonly discovery: CacheDiscovery;
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly nowMs: number;
}

export async function discoverTargets(input: DiscoverTargetsInput): Promise<{ targets: readonly TargetConfig[]; error: string | null; summary: DiscoverySummary }> {
  const { shard, logger } = input;
  let targets: TargetConfig[] = [];
  let matched = 0;
  let skipped: Array<{ name: string; reason: string }> = [];
  let error: string | null = null;
  try {
    const result = await input.discovery.discover(input.config, shard);
    matched = result.matched;
    skipped = [...result.skipped];
    for (const target of result.targets) {
      if (input.configuredNames.has(target.name)) skipped.push({ name: target.name, reason: 'configured in AUDIT_TARGETS' });
      else targets.push(target);
    }
  } catch (err) {
    error = errorText(err, { maxChars: 300 });
    targets = [];
    logger.error('discovery failed: no discovered cache is audited this run', { shard: `${shard.index}/${shard.count}`, error });
  }
  try {
    await input.metrics.publish(discoveryMetrics({ succeeded: error === null, matched }, input.nowMs));
  } catch (err) {
    logger.error('discovery metrics not published', { error: err instanceof Error ? err.name : String(err) });
  }
  if (error === null) {
    logger.info('targets discovered', { shard: `${shard.index}/${shard.count}`, matched, audited: targets.map((t) => t.name), skipped });
    const overCap = skipped.filter((x) => x.reason.startsWith('over maxTargets')).map((x) => x.name);
    if (overCap.length > 0) logger.warn('discovered caches not audited: over maxTargets', { caches: overCap });
  }
  return { targets, error, summary: { shard, matched, audited: targets.map((t) => t.name), skipped, error } };
}
