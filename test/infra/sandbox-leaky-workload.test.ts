// The sandbox's leaky workload (issue 14): in the sandbox by default, out with `sandbox.leakyWorkload: false`
// and in existing mode; a Node.js arm64 Lambda in one isolated subnet, every minute, inline code within
// CloudFormation's limit, egress only to the cache and the VPC's HTTPS endpoints, and the cache open to it.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { LEAKY_WORKER_SOURCE } from '../../lib/sandbox-leaky-worker-source.js';
import { EXAMPLE_EXISTING, buildStack, templateFor } from '../support/cdk.js';

const WORKER = { Description: Match.stringLikeRegexp('^redis-leak-auditor sandbox: leaks') };

type Resource = { Properties: Record<string, unknown> };

function workers(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::Lambda::Function', { Properties: WORKER })) as Resource[];
}

function logicalId(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

describe('sandbox leaky workload: when it is deployed', () => {
  it('is in the sandbox by default', () => {
    expect(workers(templateFor())).toHaveLength(1);
  });

  it('is left out with sandbox.leakyWorkload false (from -c sandbox=JSON, as a user gives it)', () => {
    const template = templateFor({ context: { sandbox: '{"leakyWorkload":false}' } });
    expect(workers(template)).toHaveLength(0);
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 0);
  });

  it('is never in existing mode', () => {
    const template = templateFor({ context: { redisLeakAuditor: EXAMPLE_EXISTING } });
    expect(workers(template)).toHaveLength(0);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 0);
  });

  it('refuses a non-boolean setting with the key in the message', () => {
    expect(() => buildStack({ context: { sandbox: '{"leakyWorkload":"yes"}' } })).toThrow(/config key sandbox\.leakyWorkload: expected true or false/);
  });
});

describe('sandbox leaky workload: what is deployed', () => {
  const template = templateFor();
  const { stack } = buildStack();
  const worker = workers(template)[0];

  it('runs the inline worker source on Node.js 24, arm64, with its cache and secret from the environment', () => {
    expect(worker?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 128,
      Code: { ZipFile: LEAKY_WORKER_SOURCE },
      Environment: { Variables: { REDIS_PORT: '6379', REDIS_TLS: 'true', CONNECTIONS_PER_RUN: '6', MAX_HELD: '200' } },
    });
    const env = JSON.stringify(worker?.Properties.Environment);
    expect(env).toContain('PrimaryEndPoint.Address');
    expect(env).toMatch(/"SECRET_ARN":\{"Ref":"CacheAuthSecret/);
    expect(worker?.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('keeps its source within CloudFormation\'s 4,096-character limit for inline code', () => {
    expect(LEAKY_WORKER_SOURCE.length).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(LEAKY_WORKER_SOURCE)).toBe(LEAKY_WORKER_SOURCE.length);
  });

  it('is invoked every minute by EventBridge, without retries (the next minute is the retry)', () => {
    const fn = logicalId(template, 'AWS::Lambda::Function', WORKER);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fn }, MaximumRetryAttempts: 0 });
  });

  it('runs in one isolated subnet of the sandbox VPC, with its own security group', () => {
    const sg = logicalId(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('leaky workload') });
    expect(worker?.Properties.VpcConfig).toEqual({
      SubnetIds: [stack.resolve((stack.node.findChild('Vpc') as ec2.Vpc).isolatedSubnets[0]?.subnetId)],
      SecurityGroupIds: [{ 'Fn::GetAtt': [sg, 'GroupId'] }],
    });
    expect(JSON.stringify(worker?.Properties.VpcConfig)).toContain('VpcisolatedSubnet1');
  });

  it('may send only to the cache on 6379 and to the VPC on 443, and accepts nothing', () => {
    const sg = logicalId(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('leaky workload') });
    const group = template.findResources('AWS::EC2::SecurityGroup')[sg] as Resource;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: { 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] }, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'Secrets Manager VPC endpoint over HTTPS' },
    ]);
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] } } })) as Resource[];
    expect(egress.map((e) => e.Properties)).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, DestinationSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^CacheSecurityGroup/), 'GroupId'] } }),
    ]);
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] } } }))).toEqual([]);
  });

  it('is let into the cache on 6379 by the cache\'s own security group', () => {
    const sg = logicalId(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('leaky workload') });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
    });
  });

  it('may read the cache\'s AUTH secret and nothing else of Secrets Manager', () => {
    const role = (worker?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })) as Resource[];
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement);
    expect(statements).toEqual([
      expect.objectContaining({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: expect.stringMatching(/^CacheAuthSecret/) } }),
    ]);
  });

  it('keeps its logs a week and deletes them with the stack', () => {
    const logs = (worker?.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(template.findResources('AWS::Logs::LogGroup')[logs]).toMatchObject({ Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });
});
