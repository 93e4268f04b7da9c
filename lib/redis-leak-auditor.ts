// The reusable construct: a scheduled Lambda in the user's VPC that audits Redis/Valkey targets for
// connection leaks, its report bucket, its alert topic, its alarms and dashboard. Least privilege
// throughout; every cdk-nag acknowledgement says why.
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_DISCOVERED_TARGETS } from '../lambda/discovery/discovery-rules.js';
import { discoveryEnv, shardEvents, validateDiscovery, type DiscoverySpec } from './auditor-discovery.js';
import { AuditorMonitoring, type AlarmThresholds } from './auditor-monitoring.js';
import { AuditorNotifications, type SlackChannel } from './auditor-notifications.js';
import { AuditTargetList } from './audit-target-list.js';
import { AuditorEndpoints, neededServices, type ServiceRoute } from './auditor-endpoints.js';
import { ReportBucket } from './report-bucket.js';
import { grantAuditorPermissions } from './auditor-permissions.js';
import { auditFunction } from './handler-code.js';
import { loadConfig } from '../lambda/config.js';
import { MAX_TARGETS } from '../lambda/target-list-object.js';
import { auditSchedules } from './audit-schedules.js';

/** One Redis/Valkey endpoint to audit. */
export interface AuditTargetSpec {
  /** Target name: S3 key part and metric dimension; 1-64 of A-Z a-z 0-9 . _ - */
  readonly name: string;
  /** Endpoint host name (the primary endpoint of a replication group, or a node address). */
  readonly host: string;
  /** The cache's TCP port. @default 6379 */
  readonly port?: number;
  /** Connect with TLS (ElastiCache in-transit encryption). @default true */
  readonly tls?: boolean;
  /** Secret holding the AUTH password (bare, or JSON with `password` and optional `username`). @default no AUTH */
  readonly authSecret?: secretsmanager.ISecret;
  /** ElastiCache user id for IAM authentication (needs `cacheName`). @default no IAM authentication */
  readonly iamUser?: string;
  /** Replication group id or serverless cache name: for IAM authentication, and for a serverless cache's CloudWatch metrics. @default none */
  readonly cacheName?: string;
  /** The cache is ElastiCache Serverless: CLIENT LIST is refused there, so its CloudWatch connection metrics are read (needs `cacheName`). @default false */
  readonly serverless?: boolean;
  /** Networks (CIDR) or `*.domain`s beyond the seed's own network whose announced cluster nodes may be contacted with the target's credentials. @default the seed's network only */
  readonly clusterAllow?: readonly string[];
  /** The cache's security group: an ingress rule from the auditor on `port` is added to it. @default no rule added */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** Thresholds that decide findings (the CLI's flags). */
export interface AuditThresholds {
  /** Seconds without a command after which a connection counts as idle (`--idle-seconds`). @default 300 */
  readonly idleSeconds?: number;
  /** New connections a minute above which churn is reported (`--churn-per-minute`). @default 100 */
  readonly churnPerMinute?: number;
  /** Connections one workload must hold before its idle or used-once connections are a leak (`--min-group-connections`). @default 20 */
  readonly minGroupConnections?: number;
  /** Share of maxclients in use at which a warning is reported (`--maxclients-warn`). @default 0.8 */
  readonly maxclientsWarn?: number;
  /** Share of maxclients in use at which the headroom finding is critical (`--maxclients-critical`). @default 0.95, and never below maxclientsWarn */
  readonly maxclientsCritical?: number;
  /** Idle subscriber connections from one workload that make a pub/sub leak (`--min-pubsub-connections`). @default 10, and never above minGroupConnections */
  readonly minPubsubConnections?: number;
  /** Connections a workload must gain across runs to be reported as growing (`--min-growth`). @default 5 */
  readonly minGrowthConnections?: number;
  /** Entries the report keeps in each bounded list: groups, the most idle connections (`--list-limit`). @default 50 */
  readonly listLimit?: number;
}

export interface RedisLeakAuditorProps {
  /** The VPC the caches live in. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the Lambda: they must reach the caches and the AWS APIs (NAT or VPC endpoints). @default private subnets with egress, else isolated */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The endpoints to audit, at most 50. @default none: then `discovery` must find them */
  readonly targets?: readonly AuditTargetSpec[];
  /** Also audit the caches that carry these tags, found through the ElastiCache API at every run. @default no discovery */
  readonly discovery?: DiscoverySpec;
  /** Minutes between runs. @default 5 */
  readonly scheduleMinutes?: number;
  /**
   * single-run: one invocation audits every target (four at a time). per-target: the schedule invokes the
   * function once per target (EventBridge fans out), for fleets one run cannot cover in its timeout.
   * @default per-target above 8 targets, else single-run
   */
  readonly fanOut?: 'single-run' | 'per-target';
  /** The thresholds that decide findings. @default the CLI's defaults */
  readonly thresholds?: AuditThresholds;
  /** Alarm thresholds (connections, rejected, churn, suspected leaks). @default see AuditorMonitoring */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /** E-mail addresses subscribed to the alert topic. @default none */
  readonly notificationEmails?: readonly string[];
  /** Slack channel for alerts through Amazon Q Developer in chat applications. @default none */
  readonly slack?: SlackChannel;
  /** Days before a stored report expires. @default 90 */
  readonly reportRetentionDays?: number;
  /** The function's memory in MB. @default 512 (measured: analysing 65,000 clients peaks at about 175 MB RSS) */
  readonly memorySize?: number;
  /** The function's Node.js runtime: 22 or later (the handler is built for node22). @default lambda.Runtime.NODEJS_24_X */
  readonly runtime?: lambda.Runtime;
  /** The function's timeout. @default sized for hung targets: 30 s plus 20 s per four targets a run audits, at most 900 s */
  readonly timeout?: Duration;
  /** How long the function's logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What the summary alarms do when they fire and when they clear (e.g. an incident tool's action); null for nothing.
   * @default an SNS action on the alert topic
   */
  readonly alarmAction?: cloudwatch.IAlarmAction | null;
  /** Minutes before the same findings are sent again. @default 60 */
  readonly notifyCooldownMinutes?: number;
  /** Removal policy of the report bucket and the topic's key. @default RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Name the workloads behind client IPs (Lambda function, ECS service, EC2 instance) with EC2 DescribeNetworkInterfaces. @default true */
  readonly resolveSourceIps?: boolean;
  /**
   * Executions reserved for (and capping) the function. Lambda refuses a reservation that leaves the account fewer
   * than 100 unreserved executions, so a new account (limit 10) cannot have one. @default none: the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * Create the VPC endpoints the function needs (`networkRoutes`: S3 as a gateway on the subnets' route tables, the
   * others as interface endpoints open to the function only), for subnets with no NAT gateway and no such endpoints
   * of their own. A VPC that already has an endpoint with private DNS for one of them cannot take a second.
   * @default false: the subnets reach AWS through their NAT gateway or the VPC's own endpoints
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * Your topic for the leak summaries and the summary alarms, instead of one of its own. With it, subscribe e-mail and
   * Slack to your topic yourself (notificationEmails and slack are refused); a topic under a customer managed key needs
   * its key given (`sns.Topic.fromTopicAttributes` with `keyArn`) for the function to publish.
   * @default a topic of its own, encrypted with a KMS key of its own
   */
  readonly alertTopic?: sns.ITopic;
  /**
   * Your bucket for the reports, the state between runs and the target list, instead of one of its own. It must be
   * versioned (the function reads the target list by the version the deploy wrote) and encrypted with SSE-S3 or a key
   * the function's role may use; its lifecycle rules, access logs and removal are yours.
   * @default a bucket of its own: versioned, SSE-S3, TLS only, reports expiring after reportRetentionDays, access logs
   */
  readonly reportBucket?: s3.IBucket;
}

const TARGET_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const CONNECT_TIMEOUT_MS = 5000;
const COMMAND_TIMEOUT_MS = 5000;
/** Targets audited at once by the handler (its TARGET_CONCURRENCY default). */
const TARGET_CONCURRENCY = 4;
/** Above this many targets one invocation per target is the default. */
const SINGLE_RUN_MAX_TARGETS = 8;
/** Listing the caches and reading their tags, with bounded retries, before the audits of a shard start. */
const DISCOVERY_SECONDS = 30;


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
    validate(props);
    const targets = props.targets ?? [];
    const fanOut = props.fanOut ?? (targets.length > SINGLE_RUN_MAX_TARGETS ? 'per-target' : 'single-run');
    const { discovery } = props;
    const scheduleMinutes = props.scheduleMinutes ?? 5;
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
      secrets: targets.some((t) => t.authSecret !== undefined) || discovery?.authSecret !== undefined,
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
        NOTIFY_COOLDOWN_MINUTES: String(props.notifyCooldownMinutes ?? 60),
        TARGET_CONCURRENCY: String(TARGET_CONCURRENCY),
        PRESIGN_EXPIRES_SECONDS: '3600',
        POWERTOOLS_SERVICE_NAME: 'redis-leak-auditor',
        RESOLVE_SOURCE_IPS: String(resolveSourceIps),
        ...(discovery ? { DISCOVERY: Stack.of(this).toJsonString(discoveryEnv(discovery)) } : {}),
        ...thresholdEnv(props.thresholds),
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

function targetEnv(target: AuditTargetSpec): Record<string, unknown> {
  const tls = target.tls ?? true;
  return {
    name: target.name,
    url: `${tls ? 'rediss' : 'redis'}://${target.host}:${target.port ?? 6379}`,
    ...(tls ? { tls: true } : {}),
    ...(target.authSecret ? { authSecretArn: target.authSecret.secretArn } : {}),
    ...(target.iamUser ? { iamUser: target.iamUser } : {}),
    ...(target.cacheName && (target.iamUser || target.serverless) ? { cacheName: target.cacheName } : {}),
    ...(target.serverless ? { serverless: true } : {}),
    ...(target.clusterAllow ? { clusterAllow: [...target.clusterAllow] } : {}),
  };
}

/** The Lambda's environment variable of each threshold (docs/lambda.md): the handler reads and checks them. */
const THRESHOLD_ENV: Readonly<Record<keyof AuditThresholds, string>> = {
  idleSeconds: 'IDLE_SECONDS', churnPerMinute: 'CHURN_PER_MINUTE', minGroupConnections: 'MIN_GROUP_CONNECTIONS', maxclientsWarn: 'MAXCLIENTS_WARN',
  maxclientsCritical: 'MAXCLIENTS_CRITICAL', minPubsubConnections: 'MIN_PUBSUB_CONNECTIONS', minGrowthConnections: 'MIN_GROWTH', listLimit: 'LIST_LIMIT',
};

function thresholdEnv(thresholds: AuditThresholds | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(THRESHOLD_ENV)) {
    const value = thresholds?.[key as keyof AuditThresholds];
    if (value !== undefined) env[variable] = String(value);
  }
  return env;
}

/**
 * The thresholds checked at synth by the handler's own configuration reader (lambda/config.ts), so a value the
 * Lambda would refuse at every run stops synth instead, with the same rule; tokens are left to the deploy.
 */
function thresholdProblem(thresholds: AuditThresholds | undefined): string | null {
  const known = Object.fromEntries(Object.entries(thresholds ?? {}).filter(([, v]) => v !== undefined && !Token.isUnresolved(v)));
  try {
    loadConfig({ ...thresholdEnv(known), AWS_REGION: 'us-east-1', REPORT_BUCKET: 'synth-check', DISCOVERY: '{"tags":{"synth-check":"*"}}' });
    return null;
  } catch (error) {
    let message = (error as Error).message;
    for (const [key, variable] of Object.entries(THRESHOLD_ENV)) message = message.replace(new RegExp(`\\b${variable}\\b`, 'g'), `thresholds.${key}`);
    return message;
  }
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return vpc.privateSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
}

/** Every problem of the props at once, in one error; values that are tokens (unknown until deploy) are not judged. */
function validate(props: RedisLeakAuditorProps): void {
  const problems: string[] = [];
  const targets = props.targets ?? [];
  if (targets.length === 0 && !props.discovery) problems.push('give at least one target to audit (targets: [{ name, host, ... }]), or discovery: { tags } to find them');
  if (targets.length > MAX_TARGETS) problems.push(`targets has ${targets.length} entries: audit at most ${MAX_TARGETS} per construct, or split them across several`);
  if (props.discovery) {
    try {
      validateDiscovery(props.discovery);
    } catch (error) {
      problems.push((error as Error).message.replace(/^RedisLeakAuditor: /, ''));
    }
  }
  const names = new Set<string>();
  for (const target of targets) {
    if (Token.isUnresolved(target.name)) problems.push('a target name is a token: names are S3 keys, metric dimensions and alarm names, so give them as plain text');
    else if (!TARGET_NAME.test(target.name)) problems.push(`target name '${target.name}' must be 1-64 characters from A-Z a-z 0-9 . _ -`);
    else if (names.has(target.name)) problems.push(`target name '${target.name}' is used twice; names must be unique`);
    names.add(target.name);
    if (target.iamUser && !target.cacheName) problems.push(`target '${target.name}' uses iamUser and needs cacheName (the replication group id or serverless cache name)`);
    if (target.serverless && !target.cacheName) problems.push(`target '${target.name}' is serverless and needs cacheName (the serverless cache name, whose CloudWatch connection metrics stand in for CLIENT LIST)`);
    if (target.iamUser && target.authSecret) problems.push(`target '${target.name}': give either authSecret or iamUser, not both`);
    const port = target.port;
    if (port !== undefined && !Token.isUnresolved(port) && (!Number.isInteger(port) || port < 1 || port > 65535)) problems.push(`target '${target.name}': port ${port} is not a TCP port (1-65535)`);
  }
  if (props.alertTopic && ((props.notificationEmails ?? []).length > 0 || props.slack)) {
    problems.push('notificationEmails and slack subscribe to the topic this construct creates; with alertTopic, subscribe them to your topic yourself');
  }
  if (props.reportBucket && props.reportRetentionDays !== undefined) problems.push('reportRetentionDays sets the lifecycle of the bucket this construct creates; with reportBucket, the lifecycle is yours');
  const thresholds = thresholdProblem(props.thresholds);
  if (thresholds) problems.push(thresholds);
  const minutes = props.scheduleMinutes ?? 5;
  if (!Token.isUnresolved(minutes) && (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)) problems.push(`scheduleMinutes must be a whole number from 1 to 1440, not ${minutes}`);
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
    problems.push(`reservedConcurrency must be a whole number of at least 1 (or left out for none), not ${reserved}`);
  }
  const memory = props.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && (!Number.isInteger(memory) || memory < 256 || memory > 10240)) {
    problems.push(`memorySize must be a whole number of MB from 256 (the handler's floor with a large CLIENT LIST) to 10240, not ${memory}`);
  }
  const runtime = props.runtime;
  if (runtime && (runtime.family !== lambda.RuntimeFamily.NODEJS || !/^nodejs(2[2-9]|[3-9]\d)\.x$/.test(runtime.name))) {
    problems.push(`runtime ${runtime.name} cannot run the handler: use lambda.Runtime.NODEJS_22_X or later`);
  }
  if (problems.length === 1) throw new Error(`RedisLeakAuditor: ${problems[0]}`);
  if (problems.length > 1) throw new Error(`RedisLeakAuditor: ${problems.length} problems: ${problems.map((p, i) => `(${i + 1}) ${p}`).join('; ')}`);
}
