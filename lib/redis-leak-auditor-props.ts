// The props of RedisLeakAuditor, in a file of their own: the construct, its validation and the permissions read
// them, and none of those needs the others to know their shape.
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { OverBudget } from '../lambda/core/stall-budget.js';
import type { DiscoverySpec } from './auditor-discovery.js';
import type { AlarmThresholds } from './auditor-monitoring.js';
import type { SlackChannel } from './auditor-notifications.js';

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
  /**
   * The break-glass's own credential (`breakGlass`): a secret like `authSecret`, of a Redis ACL user with the read-only
   * rule plus `+client|kill` (README, `leak-reclaimer`), used only to close the leaking connections; the audit keeps
   * `authSecret`. Read only while `breakGlass` is enabled. @default none: the break-glass closes nothing on this target and says why in its report
   */
  readonly reclaimSecret?: secretsmanager.ISecret;
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
  /** The longest one listing command may hold the cache's server, in ms (`--max-stall-ms`). @default 1 */
  readonly maxStallMs?: number;
  /** When no listing fits maxStallMs: report from INFO alone and learn client ids over the next runs, or one plain CLIENT LIST whatever it stalls (`--over-budget`). @default info-only */
  readonly overBudget?: OverBudget;
}

/**
 * The opt-in break-glass (issue 19): when a target is at or above the critical share of maxclients and a leak is
 * identified, the scheduled run closes (CLIENT KILL ID) the leaking workload's idle connections that were used only
 * when opened, with the target's `reclaimSecret`, down to the warning share at most. A standalone server only.
 */
export interface BreakGlassSpec {
  /** Arm it. Off, nothing is closed and no reclaim secret is read. */
  readonly enabled: boolean;
  /** Connections one run may close at most, per target (the Lambda's RECLAIM_MAX_PER_RUN). @default 1000, the ceiling */
  readonly maxPerRun?: number;
  /** Close only connections idle at least this many seconds (the Lambda's RECLAIM_MIN_IDLE_SECONDS). @default 3600 */
  readonly minIdleSeconds?: number;
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
  /**
   * The opt-in break-glass: close the leaking workload's idle, used-once connections of a target at critical maxclients
   * use, with the target's (or discovery's) `reclaimSecret`. Enabled, it also graphs ConnectionsReclaimed on the dashboard.
   * @default off
   */
  readonly breakGlass?: BreakGlassSpec;
}
