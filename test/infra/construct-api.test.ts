// RedisLeakAuditor as other CDK apps use it (issue 15): an ec2.IConnectable, its parts as readonly members, the
// function's runtime, memory, timeout and log retention settable, the alarm action pluggable (or none), targets
// optional with discovery, every problem of the props reported at once, and tokens accepted where a value is not
// known at synth.
import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisLeakAuditor, type OverBudget, type RedisLeakAuditorProps } from '../../lib/index.js';
import { MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES } from '../../lambda/core/stall-budget.js';
import { nagFindings } from '../support/cdk.js';

const env = { account: '123456789012', region: 'eu-west-1' };

function build(props: Partial<RedisLeakAuditorProps> | ((stack: Stack) => Partial<RedisLeakAuditorProps>) = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'rla-construct-')), context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validationReportJson': true } });
  const stack = new Stack(app, 'Consumer', { env });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
  const auditor = new RedisLeakAuditor(stack, 'Auditor', { vpc, targets: [{ name: 'orders', host: 'master.orders.abc123.euw1.cache.amazonaws.com' }], ...(typeof props === 'function' ? props(stack) : props) });
  return { app, stack, vpc, auditor, template: () => Template.fromStack(stack) };
}
const auditorFunction = { Description: Match.stringLikeRegexp('^redis-leak-auditor: audits') };

describe('RedisLeakAuditor as a library construct', () => {
  it('is an IConnectable: a cache lets it in with cache.connections.allowFrom(auditor, port)', () => {
    const { stack, vpc, auditor, template } = build();
    const cache = new ec2.SecurityGroup(stack, 'Cache', { vpc });
    cache.connections.allowFrom(auditor, ec2.Port.tcp(6379));
    template().hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6379, GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cache'), 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditorSecurityGroup'), 'GroupId'] },
    });
  });

  it('exposes its function, role, bucket, topic, alarms, dashboard and security group', () => {
    const { auditor } = build();
    expect(auditor.role).toBe(auditor.function.role);
    expect(auditor.bucket).toBe(auditor.reports?.bucket);
    expect(auditor.topic).toBe(auditor.notifications?.topic);
    expect(auditor.alarms.length).toBeGreaterThanOrEqual(7);
    expect(auditor.dashboard).toBe(auditor.monitoring.dashboard);
    expect(auditor.connections.securityGroups).toEqual([auditor.securityGroup]);
  });

  it('takes the runtime, memory, timeout and log retention', () => {
    const { template } = build({ runtime: lambda.Runtime.NODEJS_22_X, memorySize: 1024, timeout: Duration.minutes(3), logRetention: logs.RetentionDays.ONE_WEEK });
    template().hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Runtime: 'nodejs22.x', MemorySize: 1024, Timeout: 180 });
    template().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('sends the summary alarms to the action given, or to none', () => {
    const pager: cloudwatch.IAlarmAction = { bind: () => ({ alarmActionArn: 'arn:aws:sns:eu-west-1:123456789012:incident-pager' }) };
    const composites = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm')) as Array<{ Properties: { AlarmActions?: unknown[]; OKActions?: unknown[] } }>;
    const paged = composites(build({ alarmAction: pager }).template());
    expect(paged.length).toBeGreaterThan(0);
    for (const alarm of paged) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([['arn:aws:sns:eu-west-1:123456789012:incident-pager'], ['arn:aws:sns:eu-west-1:123456789012:incident-pager']]);
    for (const alarm of composites(build({ alarmAction: null }).template())) expect(alarm.Properties.AlarmActions).toBeUndefined();
    for (const alarm of composites(build().template())) expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain('NotificationsTopic');
  });

  it('needs no targets when discovery finds them', () => {
    const { template } = build({ targets: undefined, discovery: { tags: { 'leak-audit': 'on' } } });
    template().resourceCountIs('AWS::Lambda::Function', 2);
  });

  it('accepts tokens where a value is known only at deploy time', () => {
    expect(() => build({ targets: [{ name: 'orders', host: Token.asString({ 'Fn::ImportValue': 'orders-host' }), port: Token.asNumber({ 'Fn::ImportValue': 'orders-port' }) }] })).not.toThrow();
  });

  it('reports every problem of its props at once', () => {
    expect(() => build({
      targets: [{ name: 'orders cache', host: 'h' }, { name: 'sessions', host: 'h', iamUser: 'auditor' }, { name: 'carts', host: 'h', port: 70000 }],
      scheduleMinutes: 0,
      runtime: lambda.Runtime.NODEJS_20_X,
      memorySize: 128,
    })).toThrow("RedisLeakAuditor: 6 problems: (1) target name 'orders cache' must be 1-64 characters from A-Z a-z 0-9 . _ -; "
      + "(2) target 'sessions' uses iamUser and needs cacheName (the replication group id or serverless cache name); (3) target 'carts': port 70000 is not a TCP port (1-65535); "
      + "(4) scheduleMinutes expects a whole number from 1 to 1440, got '0'; (5) memorySize must be a whole number of MB from 256 (the handler's floor with a large CLIENT LIST) to 10240, not 128; "
      + '(6) runtime nodejs20.x cannot run the handler: use lambda.Runtime.NODEJS_22_X or later');
    expect(() => build({ targets: [] })).toThrow('RedisLeakAuditor: give at least one target to audit');
  });

  it('publishes to your topic when given one, and creates none', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:platform-alerts';
    const { template, auditor } = build((stack) => ({ alertTopic: sns.Topic.fromTopicArn(stack, 'Alerts', topicArn) }));
    const t = template();
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Environment: { Variables: Match.objectLike({ TOPIC_ARN: topicArn }) } });
    t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: topicArn })]) } });
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm'))) expect((alarm as { Properties: { AlarmActions: unknown } }).Properties.AlarmActions).toEqual([topicArn]);
    expect(auditor.notifications).toBeUndefined();
    expect(() => build((stack) => ({ alertTopic: sns.Topic.fromTopicArn(stack, 'Alerts', topicArn), notificationEmails: ['sre@example.com'] })))
      .toThrow('notificationEmails and slack subscribe to the topic this construct creates; with alertTopic, subscribe them to your topic yourself');
  });

  it('keeps reports, state and the target list in your bucket when given one, cdk-nag clean', () => {
    const built = build((stack) => ({ reportBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'platform-redis-reports') }));
    const t = built.template();
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Environment: { Variables: Match.objectLike({ REPORT_BUCKET: 'platform-redis-reports' }) } });
    const statements = JSON.stringify(Object.values(t.findResources('AWS::IAM::Policy')));
    expect(statements).toContain(':s3:::platform-redis-reports/reports/*');
    expect(statements).toContain(':s3:::platform-redis-reports/config/audit-targets.json');
    expect(JSON.stringify(t.findResources('Custom::AWS'))).toContain('platform-redis-reports');
    expect(nagFindings(built.app)).toEqual([]);
    expect(() => build((stack) => ({ reportBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'platform-redis-reports'), reportRetentionDays: 30 })))
      .toThrow('reportRetentionDays sets the lifecycle of the bucket this construct creates; with reportBucket, the lifecycle is yours');
  });

  it('takes every audit policy field of the CLI, checked at synth by the handler\'s own rules', () => {
    const thresholds = { idleSeconds: 600, churnPerMinute: 50, minGroupConnections: 30, maxclientsWarn: 0.7, maxclientsCritical: 0.9, minPubsubConnections: 8, minGrowthConnections: 7, listLimit: 100 };
    build({ thresholds }).template().hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Environment: { Variables: Match.objectLike({
      IDLE_SECONDS: '600', CHURN_PER_MINUTE: '50', MIN_GROUP_CONNECTIONS: '30', MAXCLIENTS_WARN: '0.7', MAXCLIENTS_CRITICAL: '0.9', MIN_PUBSUB_CONNECTIONS: '8', MIN_GROWTH: '7', LIST_LIMIT: '100',
    }) } });
    expect(() => build({ thresholds: { maxclientsWarn: 2 } })).toThrow("RedisLeakAuditor: thresholds.maxclientsWarn expects a share of maxclients from 0.01 to 1, got '2'");
    expect(() => build({ thresholds: { maxclientsCritical: 0.7 } })).toThrow('RedisLeakAuditor: thresholds.maxclientsCritical (0.7) must not be below thresholds.maxclientsWarn (0.8)');
    expect(() => build({ thresholds: { listLimit: 0 } })).toThrow("RedisLeakAuditor: thresholds.listLimit expects a whole number from 1 to 1000, got '0'");
    expect(() => build({ notifyCooldownMinutes: 10_081 })).toThrow("RedisLeakAuditor: notifyCooldownMinutes expects a whole number from 0 to 10080, got '10081'");
    expect(() => build({ thresholds: { idleSeconds: Token.asNumber({ Ref: 'IdleSeconds' }) } })).not.toThrow();
  });

  it('passes the stall budget to the function, and leaves it to the handler\'s defaults when not given', () => {
    build({ thresholds: { maxStallMs: 0.5, overBudget: 'list-all' } }).template().hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Environment: { Variables: Match.objectLike({
      MAX_STALL_MS: '0.5', OVER_BUDGET: 'list-all',
    }) } });
    build().template().hasResourceProperties('AWS::Lambda::Function', { ...auditorFunction, Environment: { Variables: Match.objectLike({ MAX_STALL_MS: Match.absent(), OVER_BUDGET: Match.absent() }) } });
  });

  it('stops synth on a stall budget the handler would refuse, naming the prop and the expected form', () => {
    expect(() => build({ thresholds: { maxStallMs: 0 } }))
      .toThrow(`RedisLeakAuditor: thresholds.maxStallMs expects a number from ${MAX_STALL_MS_RANGE.min} to ${MAX_STALL_MS_RANGE.max}, got '0'`);
    expect(() => build({ thresholds: { maxStallMs: Number.NaN } })).toThrow("thresholds.maxStallMs expects a number from");
    expect(() => build({ thresholds: { overBudget: 'x' as OverBudget } }))
      .toThrow(`RedisLeakAuditor: thresholds.overBudget expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got 'x'`);
    expect(() => build({ thresholds: { overBudget: Token.asString({ Ref: 'OverBudget' }) as OverBudget } })).not.toThrow();
  });
});
