// The sandbox's leaky workload: a small scheduled Lambda in the sandbox VPC that leaks connections to the
// sandbox cache on purpose, so that `cdk deploy` alone ends in a real finding, a real alarm and a real
// e-mail. On by default in the sandbox, `sandbox.leakyWorkload: false` leaves it out; never in existing mode.
//
// The numbers, against the auditor's defaults (idle 300 s, min-group-connections 20, a run every 5 min, one
// sample a run with the history in S3; lambda/core/findings/leak-finding.ts):
// - 6 connections a minute, all from one source address (the function's one subnet: one Hyperplane ENI),
//   each used once (AUTH, CLIENT SETNAME) and then idle with idle = age: the "used only when opened" shape.
// - The auditor's first run after the deploy sees up to ~30 of them; its second, 5 minutes later, ~30 more:
//   growth of at least 5 (and 10%) to 20 or more is a `connection-growth` leak finding, and the first ~25-30
//   have been idle for 300 s by then, which alone is an `idle-connections` leak (20 idle on one member).
//   Either way SuspectedLeaks is 1 on the second run, 5 to 10 minutes after the deploy; the alarm (period 5
//   min, 1 datapoint) and its summary's e-mail follow within minutes: about 15 minutes in all.
// - Should the server drop them after ~10 minutes (see the source's keepalive note), about 30 stay idle for
//   300 s or more at any time: 6 rather than 5 a minute keeps that margin over 20.
// - The worker stops opening at 200 held connections (about 35 minutes): growth then ends, an hour later the
//   finding reads `idle-connections`, still a warning, and stays (0.3% of a cache.t4g.micro's maxclients:
//   never critical, which would need 25%).
// Why the connections stay on the server, and for how long: lib/sandbox-leaky-worker-source.ts.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeLambdaManagedPolicies } from './lambda-role-acknowledgements.js';
import type { SandboxCache } from './sandbox-cache.js';
import { LEAKY_WORKER_SOURCE } from './sandbox-leaky-worker-source.js';

export { LEAKY_WORKER_NAME } from './sandbox-leaky-worker-source.js';
/** Connections opened (and never closed) per invocation. */
export const LEAKY_CONNECTIONS_PER_RUN = 6;
/** The most connections one Lambda environment holds; it opens no more beyond. */
export const LEAKY_MAX_HELD = 200;
/** Minutes between invocations. */
export const LEAKY_SCHEDULE_MINUTES = 1;

/** Properties of a {@link SandboxLeakyWorkload}. */
export interface SandboxLeakyWorkloadProps {
  /** The sandbox VPC: the function goes in its first isolated subnet, which reaches Secrets Manager through an endpoint. */
  readonly vpc: ec2.IVpc;
  /** The cache to leak connections to; it is opened to the function on its port. */
  readonly cache: SandboxCache;
}

/** A Lambda that opens {@link LEAKY_CONNECTIONS_PER_RUN} connections to the cache every minute and never closes them. */
export class SandboxLeakyWorkload extends Construct implements ec2.IConnectable {
  public readonly function: lambda.Function;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly schedule: events.Rule;
  public readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: SandboxLeakyWorkloadProps) {
    super(scope, id);
    const { vpc, cache } = props;
    // One subnet: every connection then comes from one Hyperplane ENI address, so the leak is one member of
    // the workload (the auditor's single-host rule applies as well as the used-once rule). No redundancy is
    // needed for a demo load; a zone outage only pauses the leak.
    const subnet = vpc.isolatedSubnets[0];
    if (subnet === undefined) throw new Error('SandboxLeakyWorkload: the VPC has no isolated subnet; it runs where the sandbox cache is, in PRIVATE_ISOLATED subnets.');

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'redis-leak-auditor sandbox leaky workload: egress to the cache on 6379 and to the VPC endpoints on 443 only',
    });
    // The isolated subnets reach nothing outside the VPC: HTTPS to the VPC is the Secrets Manager endpoint.
    this.securityGroup.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'Secrets Manager VPC endpoint over HTTPS');

    this.function = new lambda.Function(this, 'Function', {
      description: `redis-leak-auditor sandbox: leaks ${LEAKY_CONNECTIONS_PER_RUN} Redis connections a minute on purpose, for the auditor to find`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // Inline: dependency-free, nothing to bundle or upload (CloudFormation's ZipFile, 4,096 characters at most).
      code: lambda.Code.fromInline(LEAKY_WORKER_SOURCE),
      memorySize: 128,
      // Secrets Manager (3 s, 2 attempts) on a cold start, then 5 s at most per connection, opened in parallel.
      timeout: Duration.seconds(20),
      vpc,
      vpcSubnets: { subnets: [subnet] },
      securityGroups: [this.securityGroup],
      // A failed run is retried by the next one a minute later; retries would only add connection attempts.
      retryAttempts: 0,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY }),
      environment: {
        REDIS_HOST: cache.endpointAddress,
        REDIS_PORT: String(cache.port),
        REDIS_TLS: 'true',
        SECRET_ARN: cache.authSecret.secretArn,
        CONNECTIONS_PER_RUN: String(LEAKY_CONNECTIONS_PER_RUN),
        MAX_HELD: String(LEAKY_MAX_HELD),
      },
    });
    this.connections = this.function.connections;
    cache.authSecret.grantRead(this.function);
    cache.allowFrom(this.function, 'sandbox leaky workload (redis-leak-auditor demo)');

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'redis-leak-auditor sandbox: runs the leaky workload every minute',
      schedule: events.Schedule.rate(Duration.minutes(LEAKY_SCHEDULE_MINUTES)),
      targets: [new eventsTargets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    if (this.function.role) acknowledgeLambdaManagedPolicies(this.function.role, { vpc: true });
  }
}
