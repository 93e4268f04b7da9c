// A serverless cache's own CloudWatch connection metrics (ElastiCache Serverless refuses CLIENT LIST), read
// before its audit (they need nothing from Redis) and handed to runAudit, whose assessment decides with them.
// A failed read never fails the run: it is logged, and the report says it (the evidence's `failure`).
import type { LambdaConfig, TargetConfig } from './config.js';
import type { ServiceMetricsEvidence } from './core/service-metrics.js';
import type { ServiceMetricsSource } from './publish/ports.js';
import { describeError, type TargetLog } from './target-log.js';

export type CacheMetricsSettings = Pick<LambdaConfig, 'serviceMetricsWindowMinutes'>;

/**
 * The series read, or why not, for a target with `serverless: true` and a `cacheName`; undefined for any
 * other target, or without a source. The window ends at `nowMs`.
 */
export async function readCacheMetrics(
  settings: CacheMetricsSettings,
  target: Pick<TargetConfig, 'serverless' | 'cacheName'>,
  source: ServiceMetricsSource | undefined,
  nowMs: number,
  log: TargetLog,
): Promise<ServiceMetricsEvidence | undefined> {
  const { cacheName } = target;
  if (source === undefined || target.serverless !== true || cacheName === undefined || cacheName === '') return undefined;
  const windowMinutes = settings.serviceMetricsWindowMinutes;
  try {
    const series = await source.read(cacheName, nowMs, windowMinutes);
    if ((series.warnings?.length ?? 0) > 0) log('warn', 'cache metrics incomplete', { cacheName, warnings: series.warnings });
    return { series };
  } catch (err) {
    const error = describeError(err);
    log('warn', 'cache metrics not read', { cacheName, error });
    return { failure: { cacheName, windowMinutes, endMs: nowMs, error } };
  }
}
