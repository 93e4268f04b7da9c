// The sandbox VPC's interface endpoints go to a zone that offers all of them (issue 14): the zones each
// endpoint service offers come from CDK's context provider, given here as App context the way the CDK CLI
// caches them in cdk.context.json, so the tests run offline.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENDPOINT_ZONE_UNCHECKED, sandboxVpc } from '../../lib/sandbox-vpc.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const SERVICES = ['sns', 'monitoring', 'secretsmanager'];

/** The context keys CDK's providers use (core ContextProvider.getKey), as cdk.context.json holds them. */
const zonesKey = `availability-zones:account=${ACCOUNT}:region=${REGION}`;
const endpointKey = (service: string) => `endpoint-service-availability-zones:account=${ACCOUNT}:region=${REGION}:serviceName=com.amazonaws.${REGION}.${service}`;

function offered(byService: Record<string, string[]> = {}): Record<string, unknown> {
  return { [zonesKey]: ZONES, ...Object.fromEntries(SERVICES.map((s) => [endpointKey(s), byService[s] ?? ZONES])) };
}

/** `env: null` makes the stack environment-agnostic (account and region are tokens). */
function sandbox(context: Record<string, unknown>, env: { account: string; region: string } | null = { account: ACCOUNT, region: REGION }) {
  const app = new App({ context });
  const stack = new Stack(app, 'Sandbox', env ? { env } : {});
  const vpc = sandboxVpc(stack);
  return { app, stack, vpc };
}

/** The subnets of each interface endpoint, resolved. */
function endpointSubnets(stack: Stack): unknown[] {
  const endpoints = Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
  return Object.values(endpoints).map((e) => (e as { Properties: { SubnetIds: unknown } }).Properties.SubnetIds);
}

describe('sandbox VPC endpoint zone, account and region known', () => {
  it('puts every interface endpoint in the VPC\'s first zone when that zone offers them all', () => {
    const { stack, vpc } = sandbox(offered());

    expect(vpc.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
    const first = stack.resolve(vpc.isolatedSubnets[0]?.subnetId);
    expect(endpointSubnets(stack)).toEqual([[first], [first], [first]]);
  });

  it('moves every interface endpoint to zone b when zone a does not offer SNS', () => {
    const { stack, vpc } = sandbox(offered({ sns: ['eu-west-1b', 'eu-west-1c'] }));

    const second = stack.resolve(vpc.isolatedSubnets[1]?.subnetId);
    expect(vpc.isolatedSubnets[1]?.availabilityZone).toBe('eu-west-1b');
    expect(endpointSubnets(stack)).toEqual([[second], [second], [second]]);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: `com.amazonaws.${REGION}.sns`, SubnetIds: [second] });
  });

  it('fails synth, naming the services and zones, when no zone of the VPC offers them all', () => {
    const context = offered({ sns: ['eu-west-1b', 'eu-west-1c'], secretsmanager: ['eu-west-1a', 'eu-west-1c'] });

    expect(() => sandbox(context)).toThrow(
      'sandbox VPC: no availability zone of the VPC (eu-west-1a, eu-west-1b) offers every interface endpoint it needs: '
      + 'com.amazonaws.eu-west-1.monitoring in eu-west-1a, eu-west-1b, eu-west-1c; com.amazonaws.eu-west-1.sns in eu-west-1b, eu-west-1c; '
      + 'com.amazonaws.eu-west-1.secretsmanager in eu-west-1a, eu-west-1c. Deploy the sandbox to another region',
    );
  });

  it('asks the CDK CLI to look the zones up when they are not in the context yet, and meanwhile takes the first zone', () => {
    const { app, stack, vpc } = sandbox({ [zonesKey]: ZONES });

    const missing = app.synth().manifest.missing ?? [];
    expect(missing.filter((m) => m.provider === 'endpoint-service-availability-zones').map((m) => m.key).sort())
      .toEqual(SERVICES.map(endpointKey).sort());
    const first = stack.resolve(vpc.isolatedSubnets[0]?.subnetId);
    expect(endpointSubnets(stack)).toEqual([[first], [first], [first]]);
  });

  it('gives no warning about unchecked zones', () => {
    const { stack } = sandbox(offered());

    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('without checking'));
  });
});

describe('sandbox VPC endpoint zone, environment-agnostic stack', () => {
  it('warns that the zones cannot be checked and how to fix it, and keeps the first zone', () => {
    const { stack, vpc } = sandbox({}, null);

    const warnings = Annotations.fromStack(stack).findWarning('/Sandbox/Vpc', Match.stringLikeRegexp('without checking'));
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings[0]?.entry.data);
    expect(text).toContain('the stack has no account and region');
    expect(text).toContain('set \\"account\\" and \\"region\\" in the config (or CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION');
    expect(text).toContain(ENDPOINT_ZONE_UNCHECKED);
    const first = stack.resolve(vpc.isolatedSubnets[0]?.subnetId);
    expect(endpointSubnets(stack)).toEqual([[first], [first], [first]]);
  });
});
