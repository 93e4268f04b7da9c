// The reusable construct: a scheduled Lambda in the user's VPC that audits Redis/Valkey targets for
// connection leaks, its report bucket, its alert topic, its alarms and dashboard. Least privilege
// throughout; every cdk-nag acknowledgement says why.
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_RUN_RULES, TIMEOUT_RULES } from '../lambda/core/policy-rules.js';
import { DEFAULT_DISCOVERED_TARGETS } from '../lambda/discovery/discovery-rules.js';
import { discoveryEnv, shardEvents, type DiscoverySpec } from './auditor-discovery.js';
import { AuditorMonitoring } from './auditor-monitoring.js';
import { AuditorNotifications } from './auditor-notifications.js';
import { AuditTargetList } from './audit-target-list.js';
import { AuditorEndpoints, neededServices, type ServiceRoute } from './auditor-endpoints.js';
import { ReportBucket } from './report-bucket.js';
import { grantAuditorPermissions } from './auditor-permissions.js';
import { auditFunction } from './handler-code.js';
import { auditSchedules } from './audit-schedules.js';
import type { AuditTargetSpec, RedisLeakAuditorProps } from './redis-leak-auditor-props.js';
import { breakGlassEnv, breakGlassWarnings, thresholdEnv, validateAuditorProps } from './redis-leak-auditor-validation.js';

export type { AuditTargetSpec, AuditThresholds, BreakGlassSpec, RedisLeakAuditorProps } from './redis-leak-auditor-props.js';


const CONNECT_TIMEOUT_MS = TIMEOUT_RULES.connectTimeoutMs.default;
const COMMAND_TIMEOUT_MS = TIMEOUT_RULES.commandTimeoutMs.default;
/** Targets audited at once by the handler. */
const TARGET_CONCURRENCY = LAMBDA_RUN_RULES.targetConcurrency.default;
/** Above this many targets one invocation per target is the default. */
const SINGLE_RUN_MAX_TARGETS = 8;
/** Listing the caches and reading their tags, with bounded retries, before the audits of a shard start. */
const DISCOVERY_SECONDS = 30;
/** The id of the construct's warnings about a configured but unused reclaim secret (acknowledge it with Annotations.acknowledgeWarning). */
export const RECLAIM_SECRET_UNUSED = 'redis-leak-auditor:reclaimSecretUnused';


/**
 * A run takes milliseconds when targets answer (measured: ~40 ms of analysis at 10k clients, a few round
 * trips); the timeout is sized for when they do not: a hung target costs its connect timeout plus a few
 * command timeouts (~20 s), targets go four at a time, plus 30 s for state, report, metrics and summary
 * with their bounded retries. Lambda's limit is 900 s.
 */
export function functionTimeoutSeconds(targets: number): number {
  const worstPerTargetSeconds = (CONNECT_TIMEOUT_MS + 3 * COMMAND_TIMEOUT_MS) / 1000;
  return Math.min(900, 30 + Math.ceil(targets / TARGET_CONCURRENCY) * worstPerTargetSeconds);
}

/**
 * A scheduled Lambda in your VPC that audits Redis/Valkey targets for connection leaks, with its report bucket, alert
 * topic, alarms and dashboard. Let it in on your caches' security groups (it is an `ec2.IConnectable`).
 */
export class RedisLeakAuditor extends Construct implements ec2.IConnectable {
  /** The audit function (arm64, in your VPC). */
  readonly function: lambda.Function;
  /** The function's role. */
  readonly role: iam.IRole;
  /** The function's security group: let it in on your caches (`cache.connections.allowFrom(auditor, port)`). */
  readonly securityGroup: ec2.SecurityGroup;
  /** The function's network connections (ec2.IConnectable): its security group. */
  readonly connections: ec2.Connections;
  /** The bucket of the reports, the state between runs and the target list. */
  readonly bucket: s3.IBucket;
  /** The topic of the leak summaries and of the summary alarms. */
  readonly topic: sns.ITopic;
  /** The metric alarms: per target, the audit Lambda's, the discovered fleet's (the summary alarms that notify for them are in `monitoring`). */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The CloudWatch dashboard of the targets and of the auditor itself. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The report bucket and its access-log bucket, unless `reportBucket` was given. */
  readonly reports?: ReportBucket;
  /** The target list in the report bucket, which the function reads (it outgrows Lambda's 4 KB environment). */
  readonly targetList: AuditTargetList;
  /** The alert topic, its key, its e-mail subscriptions and Slack channel, unless `alertTopic` was given. */
  readonly notifications?: AuditorNotifications;
  /** Where failed runs go (after their retries); an alarm watches it. */
  readonly deadLetterQueue: sqs.Queue;
  /** The alarms, their summary alarms and the dashboard. */
  readonly monitoring: AuditorMonitoring;
  /** The AWS services the function calls from its subnets: each needs a NAT route or a VPC endpoint. */
  readonly networkRoutes: readonly ServiceRoute[];
  /** The endpoints created for them, with `createVpcEndpoints`. */
  readonly vpcEndpoints?: AuditorEndpoints;
  /** One rule (single-run), or one invocation per target spread over rules of five targets (per-target). */
  readonly schedules: events.Rule[];

  constructor(scope: Construct, id: string, props: RedisLeakAuditorProps) {
    super(scope, id);
    const { scheduleMinutes } = validateAuditorProps(props);
    // The break-glass's credentials exist for the rest of the construct only while it is armed: decided here once,
    // so they are listed, granted and routed to together or not at all.
    const breakGlass = props.breakGlass?.enabled === true;
    for (const warning of breakGlassWarnings(props)) Annotations.of(this).addWarningV2(RECLAIM_SECRET_UNUSED, warning);
    const targets = (props.targets ?? []).map((t) => (breakGlass ? t : withoutReclaimSecret(t)));
    const discovery = props.discovery && !breakGlass ? withoutReclaimSecret(props.discovery) : props.discovery;
    const fanOut = props.fanOut ?? (targets.length > SINGLE_RUN_MAX_TARGETS ? 'per-target' : 'single-run');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const resolveSourceIps = props.resolveSourceIps ?? true;

    if (!props.reportBucket) this.reports = new ReportBucket(this, 'Reports', { retentionDays: props.reportRetentionDays ?? 90, removalPolicy });
    this.bucket = props.reportBucket ?? (this.reports as ReportBucket).bucket;
    if (!props.alertTopic) {
      this.notifications = new AuditorNotifications(this, 'Notifications', {
        emails: props.notificationEmails ?? [],
        ...(props.slack ? { slack: props.slack } : {}),
        removalPolicy,
      });
    }
    this.topic = props.alertTopic ?? (this.notifications as AuditorNotifications).topic;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: 'redis-leak-auditor: egress to the audited Redis ports and to AWS APIs over HTTPS only',
    });
    // AWS APIs (S3, CloudWatch, SNS, Secrets Manager): through NAT or VPC endpoints; in isolated subnets
    // this reaches nothing but the endpoints.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');
    for (const target of targets) {
      const port = target.port ?? 6379;
      if (target.securityGroup) {
        this.securityGroup.connections.allowTo(target.securityGroup, ec2.Port.tcp(port), `Redis ${target.name}`);
      } else {
        this.securityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(port), `Redis ${target.name}`);
      }
    }
    // Discovered caches are not known at synth time: their port, anywhere in the VPC. Their own security
    // groups must let the auditor's in (see the README).
    for (const port of new Set(discovery ? discovery.ports ?? [6379] : [])) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(port), `Redis caches found by discovery, port ${port}`);
    }

    this.targetList = new AuditTargetList(this, 'TargetList', { bucket: this.bucket, targets: targets.map(targetEnv) });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of failed audit runs.' });

    const vpcSubnets = props.vpcSubnets ?? defaultSubnets(props.vpc);
    this.networkRoutes = neededServices({
      secrets: targets.some((t) => t.authSecret !== undefined || t.reclaimSecret !== undefined)
        || discovery?.authSecret !== undefined || discovery?.reclaimSecret !== undefined,
      resolveSourceIps,
      discovery: discovery !== undefined,
    });
    if (props.createVpcEndpoints) {
      this.vpcEndpoints = new AuditorEndpoints(this, 'Endpoints', { vpc: props.vpc, subnets: vpcSubnets, auditor: this.securityGroup, routes: this.networkRoutes });
    }

    this.function = auditFunction(this, 'Function', {
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // Measured (docs/lambda.md): 65,000 clients peak at ~175 MB RSS in a bare Node process; 512 MB leaves
      // room for a CLIENT LIST reply (up to 96 MiB, core/reply-limits.ts) and the SDK, and buys CPU for the parse. Cost stays cents a month.
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(Math.max(
        targets.length > 0 ? functionTimeoutSeconds(fanOut === 'per-target' ? 1 : targets.length) : 0,
        discovery ? Math.min(900, DISCOVERY_SECONDS + functionTimeoutSeconds(discovery.maxTargetsPerShard ?? DEFAULT_DISCOVERED_TARGETS)) : 0,
      )),
      // Opt-in only: a reservation fails the deploy where the account's limit is low (docs/lambda.md, "Runs
      // that overlap", says what two runs of one target at once do).
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [this.securityGroup],
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 1,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      environment: {
        ...this.targetList.environment,
        REPORT_BUCKET: this.bucket.bucketName,
        TOPIC_ARN: this.topic.topicArn,
        METRIC_NAMESPACE: 'RedisLeakAuditor',
        // One sample a run: history for churn and growth comes from the state between runs.
        SAMPLES: '1',
        CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
        NOTIFY_COOLDOWN_MINUTES: String(props.notifyCooldownMinutes ?? LAMBDA_RUN_RULES.notifyCooldownMinutes.default),
        TARGET_CONCURRENCY: String(TARGET_CONCURRENCY),
        PRESIGN_EXPIRES_SECONDS: '3600',
        POWERTOOLS_SERVICE_NAME: 'redis-leak-auditor',
        RESOLVE_SOURCE_IPS: String(resolveSourceIps),
        ...(discovery ? { DISCOVERY: Stack.of(this).toJsonString(discoveryEnv(discovery)) } : {}),
        ...thresholdEnv(props.thresholds),
        ...breakGlassEnv(props.breakGlass),
      },
      description: 'redis-leak-auditor: audits Redis/Valkey client connections for leaks',
    });
    grantAuditorPermissions(this.function, {
      bucket: this.bucket,
      topic: this.topic,
      namespace: 'RedisLeakAuditor',
      targets: targets,
      resolveSourceIps,
      ...(discovery ? { discovery } : {}),
    });

    this.schedules = auditSchedules(this, this.function, this.deadLetterQueue, scheduleMinutes, scheduledEvents(targets.map((t) => t.name), fanOut, discovery));

    this.monitoring = new AuditorMonitoring(this, 'Monitoring', {
      targets: targets.map((t) => t.name),
      alarmTopic: this.topic,
      ...(props.alarmAction !== undefined ? { alarmAction: props.alarmAction } : {}),
      auditFunction: this.function,
      deadLetterQueue: this.deadLetterQueue,
      scheduleMinutes,
      discoveredFleet: discovery !== undefined,
      breakGlass,
      ...(props.alarmThresholds ? { thresholds: props.alarmThresholds } : {}),
    });
    this.role = this.function.role as iam.IRole;
    this.connections = this.securityGroup.connections;
    this.alarms = this.monitoring.alarms;
    this.dashboard = this.monitoring.dashboard;
  }
}

/**
 * The events of one period. Without discovery, single-run keeps its plain event (every target). With
 * discovery, every invocation names its part, so the configured targets and each shard run exactly once.
 */
function scheduledEvents(names: readonly string[], fanOut: 'single-run' | 'per-target', discovery: DiscoverySpec | undefined): Array<events.RuleTargetInput | undefined> {
  const perTarget = names.map((name) => events.RuleTargetInput.fromObject({ targets: [name] }));
  if (!discovery) return fanOut === 'per-target' ? perTarget : [undefined];
  const configured = fanOut === 'per-target' ? perTarget : names.length > 0 ? [events.RuleTargetInput.fromObject({ targets: names })] : [];
  return [...configured, ...shardEvents(discovery)];
}

/** The spec without its break-glass credential (the break-glass is not armed). */
function withoutReclaimSecret<T extends { readonly reclaimSecret?: unknown }>(spec: T): Omit<T, 'reclaimSecret'> & { readonly reclaimSecret?: undefined } {
  const { reclaimSecret: _unused, ...rest } = spec;
  return rest;
}

function targetEnv(target: AuditTargetSpec): Record<string, unknown> {
  const tls = target.tls ?? true;
  return {
    name: target.name,
    url: `${tls ? 'rediss' : 'redis'}://${target.host}:${target.port ?? 6379}`,
    ...(tls ? { tls: true } : {}),
    ...(target.authSecret ? { authSecretArn: target.authSecret.secretArn } : {}),
    ...(target.reclaimSecret ? { reclaimSecretArn: target.reclaimSecret.secretArn } : {}),
    ...(target.iamUser ? { iamUser: target.iamUser } : {}),
    ...(target.cacheName && (target.iamUser || target.serverless) ? { cacheName: target.cacheName } : {}),
    ...(target.serverless ? { serverless: true } : {}),
    ...(target.clusterAllow ? { clusterAllow: [...target.clusterAllow] } : {}),
  };
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return vpc.privateSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
}
