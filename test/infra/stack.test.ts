// The synthesized stack, both modes: what matters asserted resource by resource (VPC placement, schedule,
// IAM scope, alarms, bucket and topic settings, the sandbox cache), plus one normalised snapshot.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionTimeoutSeconds } from '../../lib/redis-leak-auditor.js';
import { buildStack, EXAMPLE_EXISTING, templateFor } from '../support/cdk.js';
import { writtenTargetList } from '../support/target-list.js';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const withAction = (template: Template, action: string) => statements(template).filter((s) => actionsOf(s).includes(action));

describe('sandbox mode (no target configured)', () => {
  const template = templateFor();

  it('runs the auditor on Node.js 24, arm64, in the isolated subnets, with no reserved concurrency (a new account has none to give)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 50,
      ReservedConcurrentExecutions: Match.absent(),
      VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('VpcisolatedSubnet1') }]), SecurityGroupIds: Match.anyValue() },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ REPORT_BUCKET: Match.anyValue(), TOPIC_ARN: Match.anyValue(), METRIC_NAMESPACE: 'RedisLeakAuditor' }) },
    });
  });

  it('points the auditor at the sandbox cache over TLS with its AUTH secret', () => {
    const { targets } = writtenTargetList(template);
    expect(targets).toEqual([{
      name: 'sandbox',
      url: expect.stringMatching(/^rediss:\/\/<GetAtt:CacheReplicationGroup\w+\.PrimaryEndPoint\.Address>:6379$/),
      tls: true,
      authSecretArn: expect.stringMatching(/^<Ref:CacheAuthSecret\w+>$/),
    }]);
  });

  it('creates a TLS, encrypted-at-rest Valkey replication group with its AUTH token from Secrets Manager', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      AuthToken: { 'Fn::Join': ['', Match.arrayWith(['{{resolve:secretsmanager:', ':SecretString:password::}}'])] },
    });
  });

  it('lets the auditor reach only the Redis port of the cache and HTTPS', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^redis-leak-auditor'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'AWS APIs over HTTPS' }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 6379, ToPort: 6379, IpProtocol: 'tcp' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 6379, ToPort: 6379, IpProtocol: 'tcp' });
  });

  it('schedules a run every 5 minutes with retries and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 }, DeadLetterConfig: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('scopes the role: its own prefixes, its topic, its namespace; no IAM cache access', () => {
    // The auditor's own role (the deploy-time writer of the target list has its one key, nothing else).
    expect(withAction(template, 's3:PutObject').map((s) => JSON.stringify(s.Resource)).sort()).toEqual([
      expect.stringMatching(/reports\/\*.*state\/\*/),
      expect.stringMatching(/^[^*]*\/config\/audit-targets\.json"[^*]*$/),
    ]);
    expect(withAction(template, 'cloudwatch:PutMetricData')[0]?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'RedisLeakAuditor' } });
    expect(JSON.stringify(withAction(template, 'sns:Publish')[0]?.Resource)).toContain('NotificationsTopic');
    // The auditor's, and the sandbox leaky workload's on the same secret (test/infra/sandbox-leaky-workload.test.ts).
    expect(withAction(template, 'secretsmanager:GetSecretValue').map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining('CacheAuthSecret'), expect.stringContaining('CacheAuthSecret')]);
    expect(withAction(template, 'elasticache:Connect')).toEqual([]);
    // No EC2 endpoint in the sandbox VPC, so no naming of source IPs there.
    expect(withAction(template, 'ec2:DescribeNetworkInterfaces')).toEqual([]);
    expect(statements(template).some((s) => actionsOf(s).some((a) => a.endsWith(':*')))).toBe(false);
  });

  it('keeps reports private, TLS-only, encrypted, versioned and expiring', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'reports/', ExpirationInDays: 90, Status: 'Enabled' })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('encrypts the alert topic with its own key and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('has the five alarms of the target and the two health alarms, notifying the topic through one summary for the target and one for the auditor, and a dashboard', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { AlarmActions?: unknown[]; OKActions?: unknown[] } }>;
    expect(alarms).toHaveLength(7);
    for (const alarm of alarms) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([undefined, undefined]);
    const summaries = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')) as Array<{ Properties: { AlarmName: string; AlarmActions: unknown[]; OKActions: unknown[] } }>;
    expect(summaries.map((s) => s.Properties.AlarmName).sort()).toEqual(['RedisLeakAuditor audit Lambda failing', 'RedisLeakAuditor sandbox needs attention']);
    for (const summary of summaries) {
      expect(JSON.stringify(summary.Properties.AlarmActions)).toContain('NotificationsTopic');
      expect(JSON.stringify(summary.Properties.OKActions)).toContain('NotificationsTopic');
    }
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('matches the snapshot (asset hashes normalised)', () => {
    const json = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip)?/g, 'ASSET-HASH');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});

describe('existing mode (examples/existing.json)', () => {
  const template = templateFor({ context: { redisLeakAuditor: EXAMPLE_EXISTING } });

  it('runs in the given subnets and opens each cache security group to the auditor on its port', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a2b3c4d5e6f70819'], SecurityGroupIds: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0a1b2c3d4e5f60718', FromPort: 6379, ToPort: 6379 });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-1a2b3c4d5e6f70819', FromPort: 6379, ToPort: 6379 });
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
  });

  it('may describe network interfaces and instances to name source IPs', () => {
    expect(withAction(template, 'ec2:DescribeNetworkInterfaces')).toHaveLength(1);
    expect(withAction(template, 'ec2:DescribeInstances')).toHaveLength(1);
  });

  it('grants only the configured secret and IAM connect to the serverless cache and user', () => {
    expect(withAction(template, 'secretsmanager:GetSecretValue').map((s) => s.Resource)).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-cache-auth-AbCdEf']);
    expect(JSON.stringify(withAction(template, 'elasticache:Connect')[0]?.Resource)).toMatch(/serverlesscache:sessions.*user:leak-auditor/);
  });

  it('subscribes the e-mail addresses and the Slack channel to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'sre-oncall@example.com' });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { SlackWorkspaceId: 'T0123456789', SlackChannelId: 'C0123456789' });
  });

  it('has five alarms per target plus two health alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
  });

  it('sizes the function timeout for hung targets, four at a time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^redis-leak-auditor'), Timeout: 50 });
    expect(functionTimeoutSeconds(9)).toBe(90);
    expect(functionTimeoutSeconds(500)).toBe(900);
  });
});

describe('bundling', () => {
  it('bundles the handler with esbuild, offline, into one small file', () => {
    const { app } = buildStack({ bundle: true });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    const bundle = assets.map((d) => join(assembly.directory, d, 'index.js')).find((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
    expect(bundle).toBeDefined();
    expect(statSync(bundle ?? '').size).toBeLessThan(5 * 1024 * 1024);
  }, 60_000);
});
