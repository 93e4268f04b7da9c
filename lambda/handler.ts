// The Lambda entry: the only place where the audit pipeline and the AWS adapters meet. It reads the
// configuration once, audits every target independently (one failing target never stops the others),
// and fails the invocation only when a run's output could not be delivered at all.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Context } from 'aws-lambda';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { auditTarget, type LogSink, type TargetDeps, type TargetOutcome } from './audit-target.js';
import { connectableTarget } from './auth/target-credentials.js';
import type { LambdaConfig, TargetConfig } from './config.js';
import { AuditError, ConfigError, errorText } from './core/errors.js';
import { configLoader } from './handler-config.js';
import { DISCOVERED_FLEET } from './core/fleet-metrics.js';
import { discoverTargets, type DiscoverySummary } from './discover-targets.js';
import { ElastiCacheDiscovery, type CacheDiscovery } from './discovery/elasticache-discovery.js';
import { readInvocation } from './invocation.js';
import { mapLimited } from './map-limited.js';
import { createAwsClients, createSecretsManagerClient, type AwsClients } from './publish/aws-clients.js';
import { CloudWatchConnectionMetrics } from './publish/cloudwatch-connection-metrics.js';
import { CloudWatchMetricSink } from './publish/cloudwatch-metric-sink.js';
import { Ec2IpResolver } from './publish/ec2-ip-resolver.js';
import { withFleetCopies } from './publish/fleet-metric-sink.js';
import type { IpResolver } from './publish/ports.js';
import { S3ReportStore } from './publish/s3-report-store.js';
import { SnsNotifier } from './publish/sns-notifier.js';
import { TOOL_VERSION } from './tool-version.js';

export interface HandlerDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Without `ec2` (test doubles), source IPs are not resolved. */
  readonly clients: () => HandlerClients;
  /** The IP resolver of one invocation, when RESOLVE_SOURCE_IPS is true. @default Ec2IpResolver on clients.ec2 */
  readonly ipResolver?: (clients: HandlerClients, logger: Logger) => IpResolver | null;
  /** Finds tagged caches when DISCOVERY is set. @default ElastiCacheDiscovery on clients.elasticache */
  readonly discovery?: (clients: HandlerClients, logger: Logger) => CacheDiscovery;
  readonly getSecret: (arn: string, maxAgeSeconds: number) => Promise<string | undefined>;
  readonly awsCredentials: AwsCredentialIdentityProvider;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type HandlerClients = Omit<AwsClients, 'ec2' | 'ecs' | 'elasticache'> & Partial<Pick<AwsClients, 'ec2' | 'ecs' | 'elasticache'>>;

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
  const configuration = configLoader({ env: deps.env, s3: () => deps.clients().s3, logger: deps.logger });

  const audit = async (event: unknown, context: Context): Promise<HandlerResult> => {
    let config: LambdaConfig;
    try {
      config = await configuration();
    } catch (error) {
      deps.logger.error(error instanceof ConfigError ? 'configuration is invalid' : 'configuration could not be read', { error: errorText(error) });
      throw error;
    }
    const invocation = readInvocation(config, event);
    const clients = deps.clients();
    const metrics = new CloudWatchMetricSink({ cloudwatch: clients.cloudwatch, namespace: config.metricNamespace, logger: deps.logger });
    const now = deps.now ?? Date.now;
    const discovered = invocation.discoveredShard && config.discovery
      ? await discoverTargets({
        config: config.discovery,
        shard: invocation.discoveredShard,
        configuredNames: new Set(config.targets.map((t) => t.name)),
        discovery: (deps.discovery ?? defaultDiscovery)(clients, deps.logger),
        metrics,
        logger: deps.logger as LogSink,
        nowMs: now(),
      })
      : null;
    if (discovered?.error && invocation.targets.length === 0) {
      // Nothing else to audit: fail the invocation so the retry, the dead-letter queue and the Errors alarm see it.
      throw new AuditError(`discovery failed: ${discovered.error}`);
    }
    // One resolver per invocation: its cache lives for this run only (workloads come and go).
    const resolver = config.resolveSourceIps ? (deps.ipResolver ?? defaultIpResolver)(clients, deps.logger) : null;
    const targetDeps: TargetDeps = {
      store: new S3ReportStore({
        s3: clients.s3,
        bucket: config.reportBucket,
        region: config.region,
        presignExpiresSeconds: config.presignExpiresSeconds,
        ...(config.reportKmsKeyArn ? { kmsKeyArn: config.reportKmsKeyArn } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        logger: deps.logger,
      }),
      metrics,
      // Read for serverless targets only: their CLIENT LIST is refused, the cache's CloudWatch metrics stand in.
      serviceMetrics: new CloudWatchConnectionMetrics({ cloudwatch: clients.cloudwatch, logger: deps.logger }),
      notifier: config.topicArn ? new SnsNotifier({ sns: clients.sns, topicArn: config.topicArn, logger: deps.logger }) : null,
      logger: deps.logger as LogSink,
      ...(resolver ? { resolver } : {}),
      connectable: (target: TargetConfig) => connectableTarget(target, {
        getSecret: (arn) => deps.getSecret(arn, config.secretMaxAgeSeconds),
        awsCredentials: deps.awsCredentials,
        region: config.region,
      }),
      toolVersion: TOOL_VERSION,
      // Audits stop in time for their reports to be delivered before Lambda ends the invocation.
      ...(typeof context?.getRemainingTimeInMillis === 'function' ? { invocationEndsAtMs: now() + context.getRemainingTimeInMillis() } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    };
    // A discovered target's alarm metrics also go to the fleet's (its alarms cannot exist per target).
    const discoveredDeps: TargetDeps = { ...targetDeps, metrics: withFleetCopies(metrics, DISCOVERED_FLEET) };
    const runs = [
      ...invocation.targets.map((target) => ({ target, deps: targetDeps })),
      ...(discovered?.targets ?? []).map((target) => ({ target, deps: discoveredDeps })),
    ];
    const outcomes = await mapLimited(runs, config.targetConcurrency, ({ target, deps: runDeps }) =>
      auditTarget(config, target, runDeps).catch((err: unknown): TargetOutcome => {
        // A bug in one target's run must not take the other targets down with it.
        deps.logger.error('target run failed unexpectedly', { target: target.name, error: err instanceof Error ? err.name : typeof err });
        return { target: target.name, status: 'failed', findings: 0, suspectedLeaks: 0, reportKey: null, notified: false, notifyReason: 'none', deliveryFailures: ['save-report', 'metrics'] };
      }));
    const lost = outcomes.filter((o) => o.deliveryFailures.includes('save-report') && o.deliveryFailures.includes('metrics'));
    if (lost.length > 0) {
      // Nothing of these runs reached S3 or CloudWatch: fail the invocation so the retry, the dead-letter
      // queue and the Errors alarm see it.
      throw new AuditError(`no report and no metrics could be delivered for ${lost.map((o) => o.target).join(', ')}`);
    }
    return { targets: outcomes, ...(discovered ? { discovery: discovered.summary } : {}) };
  };

  return middy(audit).use(injectLambdaContext(deps.logger));
}

function defaultIpResolver(clients: HandlerClients, logger: Logger): IpResolver | null {
  // `in`, not a read: reading clients.ec2 (or .ecs) would load its SDK even when no address needs looking up.
  if (!('ec2' in clients)) return null;
  return new Ec2IpResolver({
    ec2: () => clients.ec2 as EC2Client,
    // Without an ECS client (test doubles) task interfaces are named from their tags only.
    ...('ecs' in clients ? { ecs: () => clients.ecs as ECSClient } : {}),
    logger,
  });
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
