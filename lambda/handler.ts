// The Lambda entry: the only place where the audit pipeline and the AWS adapters meet. It reads the
// configuration once, audits every target independently (one failing target never stops the others),
// and fails the invocation only when a run's output could not be delivered at all.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { auditTarget, type LogSink, type TargetDeps, type TargetOutcome, type TargetRunSettings } from './audit-target.js';
import type { LambdaConfig, TargetConfig } from './config.js';
import { AuditError } from './core/errors.js';
import { DISCOVERED_FLEET } from './core/fleet-metrics.js';
import { deliveredNothing, NOTHING_DELIVERED } from './delivery-steps.js';
import { discoverTargets, type DiscoverySummary } from './discover-targets.js';
import { ElastiCacheDiscovery, type CacheDiscovery } from './discovery/elasticache-discovery.js';
import { configLoader, configOf, loadConfiguration } from './handler-config.js';
import { readInvocation, type Invocation } from './invocation.js';
import { mapLimited } from './map-limited.js';
import { createAwsClients, createSecretsManagerClient, type AwsClients } from './publish/aws-clients.js';
import { CloudWatchMetricSink } from './publish/cloudwatch-metric-sink.js';
import { withFleetCopies } from './publish/fleet-metric-sink.js';
import type { MetricSink } from './publish/ports.js';
import type { HandlerClients, HandlerDeps } from './handler-deps.js';
import { targetDepsFor } from './target-adapters.js';

export type { HandlerClients, HandlerDeps } from './handler-deps.js';

export interface HandlerResult {
  readonly targets: readonly TargetOutcome[];
  /** What discovery found, when this invocation ran it. */
  readonly discovery?: DiscoverySummary;
}

const logger = new Logger({ serviceName: 'redis-leak-auditor' });
// Created on first use and kept for warm invocations.
let sharedClients: AwsClients | undefined;

// Powertools' getSecret would build its own client, without the timeouts of ours: a hung Secrets Manager
// endpoint would then hold a target until the Lambda's timeout. Kept for warm invocations (with its cache).
const secretsProvider = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });

/** Reads a secret's string value through a Powertools provider (HandlerDeps.getSecret). */
export function secretReader(provider: SecretsProvider): HandlerDeps['getSecret'] {
  return async (arn, maxAgeSeconds) => {
    // Powertools caches the value for maxAge: a warm Lambda does not call Secrets Manager every run.
    const value: unknown = await provider.get(arn, { maxAge: maxAgeSeconds });
    if (value === undefined || typeof value === 'string') return value;
    return value instanceof Uint8Array ? new TextDecoder().decode(value) : undefined;
  };
}

export function createHandler(overrides: Partial<HandlerDeps> = {}) {
  const deps: HandlerDeps = {
    env: process.env,
    clients: () => (sharedClients ??= createAwsClients()),
    getSecret: secretReader(secretsProvider),
    awsCredentials: defaultProvider(),
    logger,
    ...overrides,
  };
  const load = configLoader({ env: deps.env, s3: () => deps.clients().s3, logger: deps.logger });
  return middy(async (event: unknown, context: Context): Promise<HandlerResult> => auditInvocation(configOf(context), event, context, deps))
    .use(injectLambdaContext(deps.logger))
    .use(loadConfiguration({ load, logger: deps.logger }));
}

/** One invocation: the targets its event names and those discovery found, each audited on its own. */
async function auditInvocation(config: LambdaConfig, event: unknown, context: Context, deps: HandlerDeps): Promise<HandlerResult> {
  const invocation = readInvocation(config, event);
  const clients = deps.clients();
  const metrics = new CloudWatchMetricSink({ cloudwatch: clients.cloudwatch, namespace: config.metricNamespace, logger: deps.logger });
  const discovered = await discoverIfAsked(config, invocation, clients, metrics, deps);
  if (discovered?.error && invocation.targets.length === 0) {
    // Nothing else to audit: fail the invocation so the retry, the dead-letter queue and the Errors alarm see it.
    throw new AuditError(`discovery failed: ${discovered.error}`);
  }
  const targetDeps = targetDepsFor(config, clients, metrics, context, deps);
  // A discovered target's alarm metrics also go to the fleet's (its alarms cannot exist per target).
  const discoveredDeps: TargetDeps = { ...targetDeps, metrics: withFleetCopies(metrics, DISCOVERED_FLEET) };
  const runs = [
    ...invocation.targets.map((target) => ({ target, deps: targetDeps })),
    ...(discovered?.targets ?? []).map((target) => ({ target, deps: discoveredDeps })),
  ];
  const outcomes = await mapLimited(runs, config.targetConcurrency, ({ target, deps: runDeps }) => auditAlone(config, target, runDeps));
  failWhenNothingDelivered(outcomes);
  return { targets: outcomes, ...(discovered ? { discovery: discovered.summary } : {}) };
}

/** Discovery's targets for this invocation's shard; null when the event asks for none or none is configured. */
async function discoverIfAsked(
  config: Pick<LambdaConfig, 'discovery' | 'targets'>, invocation: Invocation, clients: HandlerClients, metrics: MetricSink, deps: HandlerDeps,
): Promise<Awaited<ReturnType<typeof discoverTargets>> | null> {
  if (!invocation.discoveredShard || !config.discovery) return null;
  return discoverTargets({
    config: config.discovery,
    shard: invocation.discoveredShard,
    configuredNames: new Set(config.targets.map((t) => t.name)),
    discovery: (deps.discovery ?? defaultDiscovery)(clients, deps.logger),
    metrics,
    logger: deps.logger as LogSink,
    nowMs: (deps.now ?? Date.now)(),
  });
}

/** One target's run; a bug in it must not take the other targets down with it. */
function auditAlone(settings: TargetRunSettings, target: TargetConfig, deps: TargetDeps): Promise<TargetOutcome> {
  return auditTarget(settings, target, deps).catch((err: unknown): TargetOutcome => {
    deps.logger.error('target run failed unexpectedly', { target: target.name, error: err instanceof Error ? err.name : typeof err });
    return { target: target.name, status: 'failed', findings: 0, suspectedLeaks: 0, reportKey: null, notified: false, notifyReason: 'none', deliveryFailures: NOTHING_DELIVERED };
  });
}

/** Fails the invocation when some run reached neither S3 nor CloudWatch, so the retry, the dead-letter queue and the Errors alarm see it. */
function failWhenNothingDelivered(outcomes: readonly TargetOutcome[]): void {
  const lost = outcomes.filter((o) => deliveredNothing(o.deliveryFailures));
  if (lost.length > 0) throw new AuditError(`no report and no metrics could be delivered for ${lost.map((o) => o.target).join(', ')}`);
}

function defaultDiscovery(clients: HandlerClients, logger: Logger): CacheDiscovery {
  return new ElastiCacheDiscovery({
    elasticache: () => {
      if (!clients.elasticache) throw new AuditError('no ElastiCache client is available to discover caches');
      return clients.elasticache as ElastiCacheClient;
    },
    logger,
  });
}

export const handler = createHandler();
