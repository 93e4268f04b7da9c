// Discovery by tag in the CDK app: the Lambda is told the tags, each shard gets its own scheduled
// invocation, the role may list caches and read their tags in its region only, the discovered fleet has its
// alarms (and a health alarm for discovery itself), and cdk-nag stays clean.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionTimeoutSeconds } from '../../lib/redis-leak-auditor.js';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RedisLeakAuditor } from '../../lib/redis-leak-auditor.js';
import { appFor, buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';
import { writtenTargetList } from '../support/target-list.js';
import { AppConfigError } from '../../lib/app-config.js';
import { errorMessageOf } from '../support/error-message.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleet-auditor-AbCdEf';
const discovery = { tags: { 'leak-audit': 'on' }, shards: 3, maxTargetsPerShard: 10, authSecretArn: SECRET };
const vpc = { ...(EXAMPLE_EXISTING.vpc as Record<string, unknown>), cidrBlock: '10.20.0.0/16' };
const onlyDiscovery = (extra: Record<string, unknown> = {}) => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, vpc, targets: [], discovery: { ...discovery, ...extra } } });
const withTargets = () => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, vpc, discovery } });
const auditor = { Description: Match.stringLikeRegexp('^redis-leak-auditor') };

type Rule = { Properties: { Targets: Array<{ Input?: string }> } };
const inputsOf = (template: ReturnType<typeof templateFor>) => (Object.values(template.findResources('AWS::Events::Rule')) as Rule[])
  .flatMap((r) => r.Properties.Targets.map((t) => (t.Input === undefined ? undefined : JSON.parse(t.Input) as unknown)));
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (template: ReturnType<typeof templateFor>) => (Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Statement[] } } }>)
  .flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('discovery by tag', () => {
  it('tells the Lambda the tags, the kinds, the cap and the credentials', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: auditor }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(JSON.parse(String(fn.Properties.Environment.Variables.DISCOVERY))).toEqual({
      tags: { 'leak-audit': 'on' }, kinds: ['replication-group', 'serverless-cache'], maxTargets: 10, authSecretArn: SECRET,
    });
    expect(writtenTargetList(template).targets).toEqual([]);
  });

  it('schedules one invocation per shard, and one for the configured targets, each naming its part', () => {
    expect(inputsOf(templateFor({ context: onlyDiscovery() }))).toEqual([0, 1, 2].map((shard) => ({ discovered: { shard, shards: 3 } })));
    expect(inputsOf(templateFor({ context: withTargets() }))).toEqual([
      { targets: ['orders-cache', 'sessions'] },
      ...[0, 1, 2].map((shard) => ({ discovered: { shard, shards: 3 } })),
    ]);
  });

  it('sizes the function for a shard of maxTargetsPerShard caches, and reserves no concurrency unless asked', () => {
    const template = templateFor({ context: withTargets() });
    template.hasResourceProperties('AWS::Lambda::Function', { ...auditor, Timeout: 30 + functionTimeoutSeconds(10), ReservedConcurrentExecutions: Match.absent() });
  });

  it('lets the role list caches in its region only, read tags of this account\'s caches only, and read the discovery secret', () => {
    const statements = statementsOf(templateFor({ context: onlyDiscovery() }));
    expect(statements.find((s) => s.Sid === 'ListCachesForDiscovery')).toEqual({
      Sid: 'ListCachesForDiscovery', Effect: 'Allow', Action: ['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches'], Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
    const tagRead = statements.find((s) => s.Sid === 'ReadCacheTagsForDiscovery');
    expect(tagRead?.Action).toBe('elasticache:ListTagsForResource');
    expect(JSON.stringify(tagRead?.Resource)).toContain(':elasticache:eu-west-1:123456789012:replicationgroup:*');
    expect(JSON.stringify(tagRead?.Resource)).toContain(':elasticache:eu-west-1:123456789012:serverlesscache:*');
    expect(statements.some((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes('fleet-auditor-AbCdEf'))).toBe(true);
    // Serverless caches may be found: their CloudWatch connection metrics may be read.
    expect(statements.find((s) => s.Sid === 'ReadServerlessConnectionMetrics')?.Action).toBe('cloudwatch:GetMetricData');
    // Nothing that changes a cache.
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('elasticache:'))).toEqual([
      'elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches', 'elasticache:ListTagsForResource',
    ]);
  });

  it('asks only for the kinds configured, and grants IAM Connect to discovered caches only with iamUser', () => {
    const statements = statementsOf(templateFor({ context: onlyDiscovery({ kinds: ['replication-group'], authSecretArn: undefined, iamUser: 'leak-auditor' }) }));
    expect(statements.find((s) => s.Sid === 'ListCachesForDiscovery')?.Action).toBe('elasticache:DescribeReplicationGroups');
    expect(statements.find((s) => s.Sid === 'ReadServerlessConnectionMetrics')).toBeUndefined();
    const connect = statements.find((s) => s.Sid === 'IamConnectDiscoveredCaches');
    expect(JSON.stringify(connect?.Resource)).toContain(':replicationgroup:*');
    expect(JSON.stringify(connect?.Resource)).toContain(':user:leak-auditor');
    expect(JSON.stringify(connect?.Resource)).not.toContain('serverlesscache');
  });

  it('alarms on the discovered fleet, and when discovery fails or stops running', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const fleet = [{ Name: 'Fleet', Value: 'discovered' }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SuspectedLeaks', Dimensions: fleet, Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RejectedConnections', Dimensions: fleet, Statistic: 'Maximum', Threshold: 0 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MaxClientsUtilization', Dimensions: fleet, Threshold: 80 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'NewConnectionsPerMinute', Dimensions: fleet, Threshold: 100 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AuditSucceeded', Dimensions: fleet, Statistic: 'Minimum', TreatMissingData: 'notBreaching' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DiscoverySucceeded', Dimensions: fleet, Statistic: 'Minimum', ComparisonOperator: 'LessThanThreshold', Threshold: 1,
      EvaluationPeriods: 2, TreatMissingData: 'breaching', AlarmActions: Match.absent(), OKActions: Match.absent(),
    });
  });

  it('notifies for the discovered fleet through one summary alarm, the fleet\'s six alarms having no action of their own', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')) as Array<{ Properties: { AlarmName: string; AlarmRule: unknown; OKActions?: unknown[] } }>;
    expect(composites.map((c) => c.Properties.AlarmName).sort()).toEqual(['RedisLeakAuditor audit Lambda failing', 'RedisLeakAuditor discovered caches need attention']);
    const fleet = composites.find((c) => c.Properties.AlarmName.includes('discovered'));
    expect(JSON.stringify(fleet?.Properties.AlarmRule).match(/Fn::GetAtt/g)).toHaveLength(6);
    expect(JSON.stringify(fleet?.Properties.OKActions)).toContain('NotificationsTopic');
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown> }>) {
      expect(alarm.Properties.OKActions ?? alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('gives every dashboard graph at least one metric, even with no configured target (CloudWatch refuses empty graphs)', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as { Properties: { DashboardBody: unknown } };
    const body = JSON.parse(resolveJoin(dashboard.Properties.DashboardBody)) as { widgets: Array<{ type: string; properties: { metrics?: unknown[] } }> };
    const graphs = body.widgets.filter((w) => w.type === 'metric');
    expect(graphs.length).toBeGreaterThan(4);
    for (const graph of graphs) expect(graph.properties.metrics?.length ?? 0).toBeGreaterThan(0);
  });

  it('draws every audited cache on the dashboard with SEARCH', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    expect(body).toContain('SEARCH(\'{RedisLeakAuditor,Target} MetricName=\\\\\\"SuspectedLeaks\\\\\\"\', \'Maximum\', 300)');
  });

  it('labels each cache SEARCH finds with its name (the Target dimension), never with the expression', () => {
    const template = templateFor({ context: onlyDiscovery() });
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as { Properties: { DashboardBody: unknown } };
    const body = JSON.parse(resolveJoin(dashboard.Properties.DashboardBody)) as { widgets: Array<{ properties: { metrics?: unknown[][] } }> };
    const searches = body.widgets.flatMap((w) => w.properties.metrics ?? []).flat()
      .filter((part): part is { expression: string; label?: string } => typeof part === 'object' && part !== null && 'expression' in part);
    expect(searches.length).toBeGreaterThan(0);
    for (const search of searches) expect(search.label).toBe("${PROP('Dim.Target')}");
    expect(resolveJoin(dashboard.Properties.DashboardBody)).not.toContain('"label":"SEARCH(');
  });

  it('opens egress to the discovered caches\' port in the VPC', () => {
    templateFor({ context: onlyDiscovery({ ports: [6379, 6380] }) }).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([
        Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: 6379, ToPort: 6379, IpProtocol: 'tcp' }),
        Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: 6380, ToPort: 6380, IpProtocol: 'tcp' }),
      ]),
    });
  });

  it('passes cdk-nag with every acknowledgement justified', () => {
    expect(nagFindings(buildStack({ context: onlyDiscovery() }).app)).toEqual([]);
    expect(nagFindings(buildStack({ context: onlyDiscovery({ authSecretArn: undefined, iamUser: 'leak-auditor' }) }).app)).toEqual([]);
  });

  it('passes cdk-nag in a stack with no account or region either (the acknowledgements name the unresolved ARNs)', () => {
    const app = appFor();
    const stack = new Stack(app, 'Agnostic');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d'] });
    new RedisLeakAuditor(stack, 'Auditor', { vpc, targets: [], discovery: { tags: { 'leak-audit': 'on' }, iamUser: 'leak-auditor' } });
    expect(nagFindings(app)).toEqual([]);
  });

  it.each([
    [{ tags: {} }, 'config key discovery.tags: expected 1 to 10 tags'],
    [{ shards: 0 }, 'config key discovery.shards: expected scheduled invocations'],
    [{ iamUser: 'x' }, 'config key discovery: give either authSecretArn or iamUser, not both'],
    [{ kinds: ['memcached'] }, 'config key discovery.kinds[0]: expected replication-group or serverless-cache'],
  ])('refuses a bad discovery config (%o) with the key', (extra, message) => {
    expect(errorMessageOf(() => buildStack({ context: onlyDiscovery(extra) }), AppConfigError)).toContain(message);
  });

  it('needs the VPC\'s CIDR block with discovery', () => {
    const context = { redisLeakAuditor: { ...EXAMPLE_EXISTING, targets: [], discovery } };
    expect(errorMessageOf(() => buildStack({ context }), AppConfigError)).toContain('config key vpc.cidrBlock: required with discovery');
  });
});

/** The dashboard body with its intrinsic references replaced by placeholders, as JSON text. */
function resolveJoin(body: unknown): string {
  if (typeof body === 'string') return body;
  const parts = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('');
}

describe('the construct without the app config', () => {
  const vpcIn = (stack: Stack) => ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d'] });

  it.each([
    [{ targets: [] }, 'give at least one target to audit (targets: [{ name, host, ... }]), or discovery: { tags } to find them'],
    [{ targets: [], discovery: { tags: {} } }, 'discovery.tags has 0 tags: give 1 to 10'],
    [{ targets: [], discovery: { tags: { a: 'b' }, shards: 101 } }, 'discovery.shards must be a whole number from 1 to 100, not 101'],
    [{ targets: [{ name: 'sessions', host: 'sessions-x1.serverless.euw1.cache.amazonaws.com', serverless: true }] }, "target 'sessions' is serverless and needs cacheName"],
  ])('refuses %o with a sentence saying what to change', (props, message) => {
    const stack = new Stack(appFor(), 'S');
    expect(() => new RedisLeakAuditor(stack, 'Auditor', { vpc: vpcIn(stack), ...props })).toThrow(message);
  });
});
