// The network contract (issue 14): in every mode, each AWS service the audit Lambda may call is reachable from its
// subnets through a VPC endpoint the stack creates, or is named in the AwsServiceRoutes output as the user's to
// provide; and the output claims no endpoint the template lacks. "May call" is read from the role the template
// grants, so a new permission without a route fails here.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppConfigError } from '../../lib/app-config.js';
import { buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';
import { errorMessageOf } from '../support/error-message.js';
import { flatten } from '../support/target-list.js';

const REGION = 'eu-west-1';
const EXAMPLE_DISCOVERY = JSON.parse(readFileSync(new URL('../../examples/discovery.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ROUTE_TABLES = ['rtb-0a1b2c3d4e5f60718', 'rtb-1a2b3c4d5e6f70819'];

/** IAM service prefix -> endpoint service; the prefixes left out need no route from the function's subnets. */
const ENDPOINT_OF: Record<string, string> = { s3: 's3', cloudwatch: 'monitoring', sns: 'sns', secretsmanager: 'secretsmanager', ec2: 'ec2', ecs: 'ecs', elasticache: 'elasticache' };
const NO_ROUTE: Record<string, string> = {
  kms: 'called by SNS and Secrets Manager on the function\'s behalf, never by the function',
  sqs: 'the dead-letter queue is written by the Lambda service, not from the function\'s subnets',
  'elasticache:Connect': 'an IAM auth token is signed in the function; no API call is made',
};

type Statement = { Action: string | string[] };
const MODES: Array<[string, Record<string, unknown> | undefined]> = [
  ['sandbox', undefined],
  ['existing VPC (examples/existing.json)', EXAMPLE_EXISTING],
  ['existing VPC with createEndpoints', { ...EXAMPLE_EXISTING, vpc: { ...(EXAMPLE_EXISTING.vpc as object), createEndpoints: true, routeTableIds: ROUTE_TABLES } }],
  ['discovery (examples/discovery.json)', EXAMPLE_DISCOVERY],
  ['discovery with createEndpoints', { ...EXAMPLE_DISCOVERY, vpc: { ...(EXAMPLE_DISCOVERY.vpc as object), createEndpoints: true, routeTableIds: ROUTE_TABLES } }],
];

function auditorServices(template: Template): string[] {
  const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^redis-leak-auditor: audits') } }))[0] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const actions = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((p) => (p as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } }).Properties)
    .filter((p) => p.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()));
  const prefixes = actions.filter((a) => !(a in NO_ROUTE)).map((a) => a.split(':')[0] ?? '').filter((prefix) => !(prefix in NO_ROUTE));
  return [...new Set(prefixes.map((prefix) => {
    const service = ENDPOINT_OF[prefix];
    if (!service) throw new Error(`the role grants ${prefix}: actions, and this test does not know how the function reaches ${prefix}`);
    return service;
  }))].sort();
}

function createdEndpoints(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
    .map((e) => flatten((e as { Properties: { ServiceName: unknown } }).Properties.ServiceName).replace('<Ref:AWS::Region>', REGION))
    .map((name) => name.replace(`com.amazonaws.${REGION}.`, ''))
    .sort();
}

function routesOutput(template: Template): { created: string[]; toProvide: string[] } {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const text = flatten(outputs.AwsServiceRoutes?.Value).replaceAll('<Ref:AWS::Region>', REGION);
  const entries = text.split('; ').map((entry) => /^com\.amazonaws\.[a-z0-9-]+\.([a-z0-9]+) \((gateway|interface)(, created by this stack)?\)$/.exec(entry));
  if (entries.some((m) => m === null)) throw new Error(`AwsServiceRoutes is not a list of endpoint services: ${text}`);
  return {
    created: entries.filter((m) => m?.[3]).map((m) => m?.[1] ?? '').sort(),
    toProvide: entries.filter((m) => !m?.[3]).map((m) => m?.[1] ?? '').sort(),
  };
}

describe.each(MODES)('the network of %s', (_mode, config) => {
  const template = templateFor({ ...(config ? { context: { redisLeakAuditor: config } } : {}), env: { account: '123456789012', region: REGION } });

  it('reaches every service the function may call: created here, or named for the user to provide', () => {
    const needed = auditorServices(template);
    const { created, toProvide } = routesOutput(template);
    expect(needed.length).toBeGreaterThanOrEqual(3);
    expect([...created, ...toProvide].sort()).toEqual(needed);
    for (const service of created) expect(createdEndpoints(template)).toContain(service);
  });
});

describe('what the modes create', () => {
  it('creates nothing in your VPC unless asked, and every needed endpoint when asked', () => {
    expect(createdEndpoints(templateFor({ context: { redisLeakAuditor: EXAMPLE_EXISTING } }))).toEqual([]);
    const asked = templateFor({ context: { redisLeakAuditor: MODES[4]?.[1] } });
    expect(createdEndpoints(asked)).toEqual(['ec2', 'ecs', 'elasticache', 'monitoring', 's3', 'secretsmanager', 'sns']);
    // S3's gateway on the given route tables; interface endpoints with private DNS, open to the auditor only.
    asked.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', RouteTableIds: ROUTE_TABLES });
    asked.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true, SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a2b3c4d5e6f70819'] });
    const endpointGroups = Object.values(asked.findResources('AWS::EC2::SecurityGroup')).filter((g) => JSON.stringify(g).includes('Endpoints'));
    expect(endpointGroups.length).toBe(6);
    for (const group of endpointGroups) expect((group as { Properties: { SecurityGroupIngress?: unknown[] } }).Properties.SecurityGroupIngress ?? []).toEqual([]);
    asked.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { FromPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditorSecurityGroup'), 'GroupId'] } }, 6);
  });

  it('passes cdk-nag with the endpoints created', () => {
    expect(nagFindings(buildStack({ context: { redisLeakAuditor: MODES[4]?.[1] } }).app)).toEqual([]);
  });

  it('needs the route tables to add S3\'s gateway endpoint', () => {
    const config = { ...EXAMPLE_EXISTING, vpc: { ...(EXAMPLE_EXISTING.vpc as object), createEndpoints: true } };
    expect(errorMessageOf(() => buildStack({ context: { redisLeakAuditor: config } }), AppConfigError))
      .toContain('config key vpc.routeTableIds: with createEndpoints, give the route table of each of the 2 subnetIds');
  });
});
