// resolveSourceIps: the EC2 Describe and ECS List/Describe permissions and the environment switch, present by
// default and gone when turned off; the role stays free of unacknowledged cdk-nag findings either way.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { RedisLeakAuditor } from '../../lib/redis-leak-auditor.js';
import { appFor, nagFindings } from '../support/cdk.js';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function build(resolveSourceIps?: boolean) {
  const app = appFor();
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  new RedisLeakAuditor(stack, 'Auditor', {
    vpc,
    targets: [{ name: 'orders-cache', host: 'orders.abc123.euw1.cache.amazonaws.com' }],
    ...(resolveSourceIps === undefined ? {} : { resolveSourceIps }),
  });
  // Synthesized on first read only: a synth before nagFindings would leave cdk-nag nothing to check.
  return { app, get template() { return Template.fromStack(stack); } };
}

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const withPrefix = (prefix: string) => (template: Template) => statements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith(prefix)));
const ec2Statements = withPrefix('ec2:');
const ecsStatements = withPrefix('ecs:');

function environment(template: Template): Record<string, unknown> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f).includes('AUDIT_TARGETS')) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return fn.Properties.Environment.Variables;
}

describe('resolveSourceIps', () => {
  it('is on by default: the two read-only EC2 Describe actions, limited to the stack region', () => {
    const { template } = build();
    expect(ec2Statements(template)).toEqual([{
      Sid: 'NameSourceIps',
      Effect: 'Allow',
      Action: ['ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    }]);
    expect(environment(template).RESOLVE_SOURCE_IPS).toBe('true');
  });

  it('lets the role find the ECS service behind a task IP: list clusters in the region, list and describe tasks of its own clusters only', () => {
    const { template } = build();
    const ownClusters = { ArnLike: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:123456789012:cluster/*' } };
    expect(ecsStatements(template)).toEqual([
      { Sid: 'ListEcsClustersForSourceIps', Effect: 'Allow', Action: 'ecs:ListClusters', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } },
      // A cluster-wide ListTasks is authorized on `*` (its one resource type is a container instance): ecs:cluster scopes it.
      { Sid: 'ListEcsTasksForSourceIps', Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*', Condition: ownClusters },
      { Sid: 'DescribeEcsTasksForSourceIps', Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: 'arn:aws:ecs:eu-west-1:123456789012:task/*', Condition: ownClusters },
    ]);
  });

  it('grants no EC2 or ECS action and switches the lookup off when false', () => {
    const { template } = build(false);
    expect(ec2Statements(template)).toEqual([]);
    expect(ecsStatements(template)).toEqual([]);
    expect(environment(template).RESOLVE_SOURCE_IPS).toBe('false');
  });

  it.each([true, false])('leaves no unacknowledged cdk-nag finding on the role (resolveSourceIps %s)', (on) => {
    const { app } = build(on);
    expect(nagFindings(app).filter((line) => line.includes('/Auditor/Function/ServiceRole'))).toEqual([]);
  });
});
