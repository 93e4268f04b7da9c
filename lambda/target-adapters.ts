// The adapters every target of one invocation shares (S3, CloudWatch, SNS, the source-IP resolver, credentials),
// built from the invocation's clients and only the settings they need.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import type { LogSink, TargetDeps } from './audit-target.js';
import { connectableTarget } from './auth/target-credentials.js';
import type { LambdaConfig, TargetConfig } from './config.js';
import type { HandlerClients, HandlerDeps } from './handler-deps.js';
import { CloudWatchConnectionMetrics } from './publish/cloudwatch-connection-metrics.js';
import { Ec2IpResolver } from './publish/ec2-ip-resolver.js';
import type { IpResolver, MetricSink } from './publish/ports.js';
import { S3ReportStore } from './publish/s3-report-store.js';
import { SnsNotifier } from './publish/sns-notifier.js';
import { TOOL_VERSION } from './tool-version.js';

/** What the adapters of one invocation need of the configuration. */
export type DeliverySettings = Pick<LambdaConfig,
  'reportBucket' | 'region' | 'presignExpiresSeconds' | 'reportKmsKeyArn' | 'topicArn' | 'secretMaxAgeSeconds' | 'resolveSourceIps'>;

/** The adapters every target of one invocation shares. */
export function targetDepsFor(settings: DeliverySettings, clients: HandlerClients, metrics: MetricSink, context: Context, deps: HandlerDeps): TargetDeps {
  const now = deps.now ?? Date.now;
  // One resolver per invocation: its cache lives for this run only (workloads come and go).
  const credentialSources = {
    getSecret: (arn: string) => deps.getSecret(arn, settings.secretMaxAgeSeconds),
    awsCredentials: deps.awsCredentials,
    region: settings.region,
  };
  const resolver = settings.resolveSourceIps ? (deps.ipResolver ?? defaultIpResolver)(clients, deps.logger) : null;
  return {
    store: new S3ReportStore({
      s3: clients.s3,
      bucket: settings.reportBucket,
      region: settings.region,
      presignExpiresSeconds: settings.presignExpiresSeconds,
      ...(settings.reportKmsKeyArn ? { kmsKeyArn: settings.reportKmsKeyArn } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      logger: deps.logger,
    }),
    metrics,
    // Read for serverless targets only: their CLIENT LIST is refused, the cache's CloudWatch metrics stand in.
    serviceMetrics: new CloudWatchConnectionMetrics({ cloudwatch: clients.cloudwatch, logger: deps.logger }),
    notifier: settings.topicArn ? new SnsNotifier({ sns: clients.sns, topicArn: settings.topicArn, logger: deps.logger }) : null,
    logger: deps.logger as LogSink,
    ...(resolver ? { resolver } : {}),
    connectable: (target: TargetConfig) => connectableTarget(target, credentialSources),
    // The break-glass's own user: the same connection settings with the reclaim secret in place of the audit's credential.
    reclaimConnectable: (target: TargetConfig) => connectableTarget(reclaimCredentialOf(target), credentialSources),
    toolVersion: TOOL_VERSION,
    // Audits stop in time for their reports to be delivered before Lambda ends the invocation.
    ...(typeof context?.getRemainingTimeInMillis === 'function' ? { invocationEndsAtMs: now() + context.getRemainingTimeInMillis() } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  };
}

/** The target signed in as its reclaim user: only the secret changes (an IAM-auth target's token is not used). */
function reclaimCredentialOf(target: TargetConfig): TargetConfig {
  const { iamUser: _iam, authSecretArn: _auth, ...rest } = target;
  return target.reclaimSecretArn === undefined ? rest : { ...rest, authSecretArn: target.reclaimSecretArn };
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
