// The deployable stack, in two modes. existing: the user's VPC and caches, from the config. sandbox (no
// target configured): a new VPC with an ElastiCache replication group and the auditor pointed at it, so
// that `cdk deploy` alone gives a working system to try.
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { AppConfig, DiscoveryConfig } from './app-config.js';
import type { DiscoverySpec } from './auditor-discovery.js';
import { RedisLeakAuditor, type AuditTargetSpec } from './redis-leak-auditor.js';
import { SandboxCache } from './sandbox-cache.js';

export interface RedisLeakAuditorStackProps extends StackProps {
  readonly config: AppConfig;
}

export class RedisLeakAuditorStack extends Stack {
  readonly auditor: RedisLeakAuditor;
  readonly mode: 'existing' | 'sandbox';
  readonly sandbox?: SandboxCache;

  constructor(scope: Construct, id: string, props: RedisLeakAuditorStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.mode = config.targets.length > 0 || config.discovery ? 'existing' : 'sandbox';
    let vpc: ec2.IVpc;
    let targets: AuditTargetSpec[];
    if (this.mode === 'existing' && config.vpc) {
      // Attributes rather than a lookup: synth stays offline and deterministic.
      vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: config.vpc.id,
        availabilityZones: config.vpc.availabilityZones,
        privateSubnetIds: config.vpc.subnetIds,
        ...(config.vpc.cidrBlock ? { vpcCidrBlock: config.vpc.cidrBlock } : {}),
      });
      targets = config.targets.map((t, i) => ({
        name: t.name,
        host: t.host,
        port: t.port,
        tls: t.tls,
        ...(t.authSecretArn ? { authSecret: secretsmanager.Secret.fromSecretCompleteArn(this, `Secret${i}`, t.authSecretArn) } : {}),
        ...(t.iamUser ? { iamUser: t.iamUser } : {}),
        ...(t.cacheName ? { cacheName: t.cacheName } : {}),
        ...(t.serverless ? { serverless: true } : {}),
        ...(t.clusterAllow ? { clusterAllow: t.clusterAllow } : {}),
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, `CacheSecurityGroup${i}`, t.securityGroupId, { mutable: true }),
      }));
    } else {
      vpc = sandboxVpc(this);
      this.sandbox = new SandboxCache(this, 'Cache', { vpc, engine: config.sandbox.engine, nodeType: config.sandbox.nodeType });
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
    });
    stackOutputs(this, this.auditor);
  }
}

/** What a user needs after the deploy, each with what to do with it. */
function stackOutputs(stack: Stack, auditor: RedisLeakAuditor): void {
  const outputs: Record<string, { value: string; description: string }> = {
    AuditorSecurityGroupId: {
      value: auditor.securityGroup.securityGroupId,
      description: 'The auditor Lambda\'s security group: allow it inbound on the Redis port in the security group of every cache it audits '
        + 'that this stack does not open itself (discovered caches; configured targets given with securityGroupId are opened already).',
    },
    ReportBucketName: {
      value: auditor.reports.bucket.bucketName,
      description: 'Bucket of the reports: the last one of each target is reports/<target>/latest.html (and latest.json); history is under state/.',
    },
    AlertTopicArn: {
      value: auditor.notifications.topic.topicArn,
      description: 'SNS topic of the leak summaries and alarms: subscribe more endpoints to it; e-mail subscribers must confirm the mail AWS sends.',
    },
    DashboardUrl: {
      value: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${auditor.monitoring.dashboard.dashboardName}`,
      description: 'CloudWatch dashboard of the audited caches and of the auditor itself (console URL of the aws partition): open it to read the trends and alarms.',
    },
    FunctionName: {
      value: auditor.function.functionName,
      description: 'The audit Lambda: run an audit now with aws lambda invoke --function-name <this> --invocation-type Event out.json (no payload: every target), or open it to read its logs.',
    },
  };
  for (const [id, output] of Object.entries(outputs)) new CfnOutput(stack, id, output);
}

function discoverySpec(stack: Stack, config: DiscoveryConfig): DiscoverySpec {
  return {
    tags: config.tags,
    ...(config.kinds ? { kinds: config.kinds } : {}),
    ...(config.shards ? { shards: config.shards } : {}),
    ...(config.maxTargetsPerShard ? { maxTargetsPerShard: config.maxTargetsPerShard } : {}),
    ...(config.authSecretArn ? { authSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'DiscoverySecret', config.authSecretArn) } : {}),
    ...(config.iamUser ? { iamUser: config.iamUser } : {}),
    ...(config.ports ? { ports: config.ports } : {}),
  };
}

/**
 * A VPC with isolated subnets only (no NAT, no internet route) and VPC endpoints for the AWS APIs the
 * auditor calls: nothing in it can reach the internet, and no NAT gateway is paid for.
 */
function sandboxVpc(stack: Stack): ec2.Vpc {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
  });
  vpc.addFlowLog('FlowLogs', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(stack, 'FlowLogGroup', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    })),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  for (const [id, service] of [
    ['Sns', ec2.InterfaceVpcEndpointAwsService.SNS],
    ['CloudWatch', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
    ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ] as const) {
    // One AZ is enough for a sandbox and halves the endpoints' hourly cost.
    const endpoint = vpc.addInterfaceEndpoint(id, { service, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED, availabilityZones: [vpc.availabilityZones[0] ?? ''] } });
    for (const group of endpoint.connections.securityGroups) {
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'The endpoint accepts HTTPS only from the VPC\'s own CIDR block; the rule cannot evaluate that intrinsic and stops with an error.',
      });
    }
  }
  return vpc;
}
