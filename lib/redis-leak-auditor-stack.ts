// The deployable stack, in two modes. existing: the user's VPC and caches, from the config. sandbox (no
// target configured): a new VPC with an ElastiCache replication group and the auditor pointed at it, so
// that `cdk deploy` alone gives a working system to try.
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { AppConfig, BreakGlassConfig, DiscoveryConfig } from './app-config.js';
import type { DiscoverySpec } from './auditor-discovery.js';
import { RedisLeakAuditor } from './redis-leak-auditor.js';
import type { AuditTargetSpec, BreakGlassSpec } from './redis-leak-auditor-props.js';
import { endpointService } from './auditor-endpoints.js';
import { checkRegionConsistency } from './region-consistency.js';
import { SandboxCache } from './sandbox-cache.js';
import { SandboxLeakyWorkload } from './sandbox-leaky-workload.js';
import { SANDBOX_ENDPOINT_SERVICES, sandboxVpc } from './sandbox-vpc.js';

export interface RedisLeakAuditorStackProps extends StackProps {
  /** The app's configuration (lib/app-config.ts; README, "Configuration"). */
  readonly config: AppConfig;
}

/** The deployable stack: the auditor in your VPC for your caches (existing), or in a new VPC with a sandbox cache to audit (sandbox). */
export class RedisLeakAuditorStack extends Stack {
  /** The auditor. */
  readonly auditor: RedisLeakAuditor;
  /** existing: your VPC and caches (targets or discovery configured); sandbox: a new VPC and cache. */
  readonly mode: 'existing' | 'sandbox';
  /** The sandbox cache, in sandbox mode. */
  readonly sandbox?: SandboxCache;

  constructor(scope: Construct, id: string, props: RedisLeakAuditorStackProps) {
    super(scope, id, props);
    const { config } = props;
    checkRegionConsistency(config, this.region);
    this.mode = config.targets.length > 0 || config.discovery ? 'existing' : 'sandbox';
    let vpc: ec2.IVpc;
    let targets: AuditTargetSpec[];
    if (this.mode === 'existing' && config.vpc) {
      // Attributes rather than a lookup: synth stays offline and deterministic.
      vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: config.vpc.id,
        availabilityZones: config.vpc.availabilityZones,
        privateSubnetIds: config.vpc.subnetIds,
        ...(config.vpc.routeTableIds ? { privateSubnetRouteTableIds: config.vpc.routeTableIds } : {}),
        ...(config.vpc.cidrBlock ? { vpcCidrBlock: config.vpc.cidrBlock } : {}),
      });
      targets = config.targets.map((t, i) => ({
        name: t.name,
        host: t.host,
        port: t.port,
        tls: t.tls,
        ...(t.authSecretArn ? { authSecret: importSecret(this, `Secret${i}`, t.authSecretArn, t.authSecretKmsKeyArn) } : {}),
        ...(t.reclaimSecretArn ? { reclaimSecret: importSecret(this, `ReclaimSecret${i}`, t.reclaimSecretArn, t.reclaimSecretKmsKeyArn) } : {}),
        ...(t.iamUser ? { iamUser: t.iamUser } : {}),
        ...(t.cacheName ? { cacheName: t.cacheName } : {}),
        ...(t.serverless ? { serverless: true } : {}),
        ...(t.clusterAllow ? { clusterAllow: t.clusterAllow } : {}),
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, `CacheSecurityGroup${i}`, t.securityGroupId, { mutable: true }),
      }));
    } else {
      vpc = sandboxVpc(this);
      this.sandbox = new SandboxCache(this, 'Cache', { vpc, engine: config.sandbox.engine, nodeType: config.sandbox.nodeType });
      // Something for a first deploy to find (lib/sandbox-leaky-workload.ts); `sandbox.leakyWorkload: false` leaves it out.
      if (config.sandbox.leakyWorkload) new SandboxLeakyWorkload(this, 'LeakyWorkload', { vpc, cache: this.sandbox });
      targets = [{
        name: 'sandbox',
        host: this.sandbox.endpointAddress,
        port: this.sandbox.port,
        tls: true,
        authSecret: this.sandbox.authSecret,
        securityGroup: this.sandbox.securityGroup,
      }];
    }
    this.auditor = new RedisLeakAuditor(this, 'Auditor', {
      vpc,
      vpcSubnets: this.mode === 'existing' ? { subnets: vpc.privateSubnets } : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      targets,
      ...(config.discovery ? { discovery: discoverySpec(this, config.discovery) } : {}),
      scheduleMinutes: config.scheduleMinutes,
      ...(config.fanOut ? { fanOut: config.fanOut } : {}),
      thresholds: config.thresholds,
      alarmThresholds: config.alarms,
      notificationEmails: config.notificationEmails,
      ...(config.slack ? { slack: config.slack } : {}),
      reportRetentionDays: config.reportRetentionDays,
      // The sandbox VPC has endpoints only for what a run needs; its clients are yours to name anyway.
      resolveSourceIps: this.mode === 'existing' && config.resolveSourceIps,
      removalPolicy: this.mode === 'sandbox' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      ...(config.reservedConcurrency !== undefined ? { reservedConcurrency: config.reservedConcurrency } : {}),
      createVpcEndpoints: this.mode === 'existing' && config.vpc?.createEndpoints === true,
      ...(config.breakGlass ? { breakGlass: breakGlassSpec(config.breakGlass) } : {}),
    });
    // The sandbox VPC brings its own endpoints (sandbox-vpc.ts); in your VPC, the stack's only with createEndpoints.
    const created = this.mode === 'sandbox' ? new Set(SANDBOX_ENDPOINT_SERVICES) : new Set(this.auditor.vpcEndpoints ? this.auditor.networkRoutes.map((r) => r.service) : []);
    stackOutputs(this, this.auditor, created);
  }
}

/** What a user needs after the deploy, each with what to do with it. */
function stackOutputs(stack: Stack, auditor: RedisLeakAuditor, createdEndpoints: ReadonlySet<string>): void {
  const routes = auditor.networkRoutes.map((route) => `${endpointService(route).name} (${route.kind}${createdEndpoints.has(route.service) ? ', created by this stack' : ''})`);
  const outputs: Record<string, { value: string; description: string }> = {
    AuditorSecurityGroupId: {
      value: auditor.securityGroup.securityGroupId,
      description: 'The auditor Lambda\'s security group: allow it inbound on the Redis port in the security group of every cache it audits '
        + 'that this stack does not open itself (discovered caches; configured targets given with securityGroupId are opened already).',
    },
    ReportBucketName: {
      value: auditor.bucket.bucketName,
      description: 'Bucket of the reports: the last one of each target is reports/<target>/latest.html (and latest.json); history is under state/.',
    },
    AlertTopicArn: {
      value: auditor.topic.topicArn,
      description: 'SNS topic of the leak summaries and alarms: subscribe more endpoints to it; e-mail subscribers must confirm the mail AWS sends.',
    },
    DashboardUrl: {
      value: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${auditor.monitoring.dashboard.dashboardName}`,
      description: 'CloudWatch dashboard of the audited caches and of the auditor itself (console URL of the aws partition): open it to read the trends and alarms.',
    },
    AwsServiceRoutes: {
      value: routes.join('; '),
      description: 'The AWS services the auditor Lambda calls from its subnets, over HTTPS: each must be reachable through a NAT gateway or a VPC endpoint. '
        + 'Those not created by this stack are yours to provide (or set vpc.createEndpoints).',
    },
    FunctionName: {
      value: auditor.function.functionName,
      description: 'The audit Lambda: run an audit now with aws lambda invoke --function-name <this> --invocation-type Event out.json (no payload: every target), or open it to read its logs.',
    },
  };
  for (const [id, output] of Object.entries(outputs)) new CfnOutput(stack, id, output);
}

/**
 * A secret of the config, with its customer managed key when it has one: the auditor's role is then also allowed
 * kms:Decrypt on that key, through Secrets Manager only (auditor-permissions.ts).
 */
function importSecret(scope: Construct, id: string, arn: string, keyArn: string | undefined): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretAttributes(scope, id, {
    secretCompleteArn: arn,
    ...(keyArn ? { encryptionKey: kms.Key.fromKeyArn(scope, `${id}Key`, keyArn) } : {}),
  });
}

function discoverySpec(stack: Stack, config: DiscoveryConfig): DiscoverySpec {
  return {
    tags: config.tags,
    ...(config.kinds ? { kinds: config.kinds } : {}),
    ...(config.shards ? { shards: config.shards } : {}),
    ...(config.maxTargetsPerShard ? { maxTargetsPerShard: config.maxTargetsPerShard } : {}),
    ...(config.authSecretArn ? { authSecret: importSecret(stack, 'DiscoverySecret', config.authSecretArn, config.authSecretKmsKeyArn) } : {}),
    ...(config.reclaimSecretArn ? { reclaimSecret: importSecret(stack, 'DiscoveryReclaimSecret', config.reclaimSecretArn, config.reclaimSecretKmsKeyArn) } : {}),
    ...(config.iamUser ? { iamUser: config.iamUser } : {}),
    ...(config.ports ? { ports: config.ports } : {}),
  };
}

/** The config's break-glass as the construct's prop: the settings given, the rest left to the Lambda's defaults. */
function breakGlassSpec(config: BreakGlassConfig): BreakGlassSpec {
  return {
    enabled: config.enabled,
    ...(config.maxPerRun !== undefined ? { maxPerRun: config.maxPerRun } : {}),
    ...(config.minIdleSeconds !== undefined ? { minIdleSeconds: config.minIdleSeconds } : {}),
  };
}
