// What one invocation audits, read from its event. The construct's schedules send these events:
//   (none, or any other event)                 every configured target, and every discovered one
//   { "targets": ["orders-cache"] }            these configured targets only (per-target fan-out)
//   { "discovered": { "shard": 0, "shards": 3 } }  the discovered caches of one shard only
// Both keys may appear together. A manual invocation with `{}` audits everything.
import type { LambdaConfig } from './config.js';
import { ConfigError } from './core/errors.js';
import { MAX_SHARDS } from './discovery/discovery-rules.js';
import type { Shard } from './discovery/elasticache-discovery.js';

export interface Invocation {
  readonly targets: LambdaConfig['targets'];
  /** The discovered caches to audit, or null: none (no discovery configured, or the event names none). */
  readonly discoveredShard: Shard | null;
}

export function readInvocation(config: Pick<LambdaConfig, 'targets' | 'discovery'>, event: unknown): Invocation {
  const fields = typeof event === 'object' && event !== null ? event as { targets?: unknown; discovered?: unknown } : {};
  const namesTargets = Array.isArray(fields.targets);
  const namesDiscovered = fields.discovered !== undefined;
  if (!namesTargets && !namesDiscovered) {
    return { targets: config.targets, discoveredShard: config.discovery ? { index: 0, count: 1 } : null };
  }
  return {
    targets: namesTargets ? selectTargets(config.targets, event) : [],
    discoveredShard: namesDiscovered ? readShard(fields.discovered, config.discovery !== null) : null,
  };
}

/** The configured targets an event names (`{ "targets": [...] }`); all of them for any other event. */
export function selectTargets(all: LambdaConfig['targets'], event: unknown): LambdaConfig['targets'] {
  const wanted = typeof event === 'object' && event !== null && Array.isArray((event as { targets?: unknown }).targets)
    ? (event as { targets: unknown[] }).targets.filter((t): t is string => typeof t === 'string')
    : null;
  if (wanted === null) return all;
  const unknown = wanted.filter((name) => !all.some((t) => t.name === name));
  if (unknown.length > 0) {
    throw new ConfigError(`the event names targets that AUDIT_TARGETS does not define: ${unknown.join(', ')}`);
  }
  return all.filter((t) => wanted.includes(t.name));
}

function readShard(value: unknown, configured: boolean): Shard {
  if (!configured) throw new ConfigError('the event asks for discovered targets, but DISCOVERY is not configured');
  if (value === true) return { index: 0, count: 1 };
  const { shard, shards } = typeof value === 'object' && value !== null ? value as { shard?: unknown; shards?: unknown } : {};
  if (!Number.isInteger(shards) || (shards as number) < 1 || (shards as number) > MAX_SHARDS
    || !Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= (shards as number)) {
    throw new ConfigError(`the event's "discovered" must be true or { "shard": i, "shards": n } with 0 <= i < n <= ${MAX_SHARDS}, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return { index: shard as number, count: shards as number };
}
