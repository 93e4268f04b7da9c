// What a first deploy into a real account trips over (issue 14): names unique per account, Sids unique per policy,
// a key that only this account's alarms may use, the outputs a user needs, and acknowledgements that tell the truth.
import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildStack, EXAMPLE_EXISTING, templateFor } from '../support/cdk.js';

type Statement = { Sid?: string; Action: string | string[]; Principal?: unknown; Condition?: unknown };

const existing = (extra: Record<string, unknown> = {}) => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, ...extra } });
/** The example moved to another region whole (zones and ARNs), as a user deploying there would write it. */
const existingIn = (region: string, extra: Record<string, unknown> = {}) => ({
  redisLeakAuditor: { ...(JSON.parse(JSON.stringify(EXAMPLE_EXISTING).replaceAll('eu-west-1', region)) as Record<string, unknown>), ...extra },
});

function slackName(template: Template): string {
  const configurations = Object.values(template.findResources('AWS::Chatbot::SlackChannelConfiguration')) as Array<{ Properties: { ConfigurationName: string } }>;
  expect(configurations).toHaveLength(1);
  return configurations[0]?.Properties.ConfigurationName ?? '';
}

function iamPolicyStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

describe('the Slack channel configuration name', () => {
  it('differs between two stacks on the same channel in two regions, or under two stack names', () => {
    const names = [
      slackName(templateFor({ context: existing(), env: { account: '123456789012', region: 'eu-west-1' } })),
      slackName(templateFor({ context: existingIn('us-east-1'), env: { account: '123456789012', region: 'us-east-1' } })),
      slackName(templateFor({ context: existing({ stackName: 'RedisLeakAuditorStaging' }) })),
    ];
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(names[0]).toMatch(/^RedisLeakAuditor-eu-west-1-[0-9a-f]{8}$/);
  });

  it('stays within 128 characters with the longest stack name allowed', () => {
    const name = slackName(templateFor({ context: existingIn('ap-southeast-7', { stackName: `S${'x'.repeat(127)}` }), env: { account: '123456789012', region: 'ap-southeast-7' } }));
    expect(name).toHaveLength(128);
    expect(name).toMatch(/-ap-southeast-7-[0-9a-f]{8}$/);
  });
});

describe('IAM connect statements', () => {
  it('get one Sid each for targets whose names differ only by punctuation', () => {
    const base = { host: 'orders.example.internal', iamUser: 'leak-auditor', securityGroupId: 'sg-0a1b2c3d4e5f60718' };
    const template = templateFor({ context: existing({ targets: [
      { ...base, name: 'orders-cache', cacheName: 'orders-cache' },
      { ...base, name: 'orders.cache', cacheName: 'orders-cache-2' },
    ] }) });
    const sids = iamPolicyStatements(template).filter((s) => [s.Action].flat().includes('elasticache:Connect')).map((s) => s.Sid);
    expect(sids).toHaveLength(2);
    expect(new Set(sids).size).toBe(2);
    for (const sid of sids) expect(sid).toMatch(/^IamConnectorderscache[0-9a-f]{10}$/);
  });
});

describe('the alert topic\'s key', () => {
  it('lets CloudWatch use it only for this account\'s alarms in this region', () => {
    const template = templateFor();
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0] as { Properties: { KeyPolicy: { Statement: Statement[] } } };
    const cloudwatch = key.Properties.KeyPolicy.Statement.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch).toEqual([expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*' },
      },
    })]);
  });
});

describe('stack outputs', () => {
  it('give the security group, bucket, topic, dashboard URL and function, each saying what to do with it', () => {
    const outputs = templateFor().findOutputs('*') as Record<string, { Value: unknown; Description: string }>;
    expect(Object.keys(outputs).sort()).toEqual(['AlertTopicArn', 'AuditorSecurityGroupId', 'AwsServiceRoutes', 'DashboardUrl', 'FunctionName', 'ReportBucketName']);
    for (const output of Object.values(outputs)) expect(output.Description.length).toBeGreaterThan(40);
    expect(JSON.stringify(outputs.AuditorSecurityGroupId?.Value)).toContain('AuditorSecurityGroup');
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/');
    templateFor().hasOutput('FunctionName', { Value: { Ref: Match.stringLikeRegexp('^AuditorFunction') } });
  });
});

describe('the acknowledgement of AWSLambdaVPCAccessExecutionRole', () => {
  it('says the managed policy grants ec2:DescribeNetworkInterfaces on * in every region', () => {
    const role = buildStack({ context: existing() }).stack.auditor.function.role;
    const reasons = (role?.node.metadata ?? [])
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    const vpcRole = reasons.find(([id]) => id.includes('AWSLambdaVPCAccessExecutionRole'))?.[1] ?? '';
    expect(vpcRole).toContain('ec2:DescribeNetworkInterfaces');
    expect(vpcRole).toContain('every region');
    const resourceStar = reasons.find(([id]) => id.endsWith('AwsSolutions-IAM5[Resource::*]'))?.[1] ?? '';
    expect(resourceStar).not.toMatch(/DescribeNetworkInterfaces and ec2:DescribeInstances .* limited to the stack's region/);
    expect(resourceStar).toContain('AWSLambdaVPCAccessExecutionRole');
  });
});
