// The sandbox's network: isolated subnets only, and the VPC endpoints a run needs.
import { Annotations, ContextProvider, RemovalPolicy, type Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { neededServices } from './auditor-endpoints.js';

/**
 * What the sandbox's auditor calls, in the auditor's one catalogue of routes (auditor-endpoints.ts): it reads the
 * cache's AUTH secret, and neither names source IPs (the stack turns that off here) nor discovers caches.
 */
const SANDBOX_ROUTES = neededServices({ secrets: true, resolveSourceIps: false, discovery: false });

/** Construct ids of the interface endpoints as first deployed: a new id would replace the endpoint. */
const ENDPOINT_IDS: Readonly<Record<string, string>> = { sns: 'Sns', monitoring: 'CloudWatch', secretsmanager: 'SecretsManager' };

/** The interface endpoints the auditor (and the leaky workload) call through, with their construct ids. */
const INTERFACE_ENDPOINTS = SANDBOX_ROUTES.filter((route) => route.kind === 'interface').map((route) => {
  const id = ENDPOINT_IDS[route.service];
  if (id === undefined) throw new Error(`sandbox VPC: no endpoint id for ${route.service}; add one to ENDPOINT_IDS`);
  return [id, new ec2.InterfaceVpcEndpointAwsService(route.service)] as const;
});

/** The endpoint services the sandbox VPC has (S3's gateway and the interface endpoints), as the stack output names them. */
export const SANDBOX_ENDPOINT_SERVICES: readonly string[] = SANDBOX_ROUTES.map((route) => route.service);

/** Id of the warning given when the endpoint zone cannot be checked at synth. */
export const ENDPOINT_ZONE_UNCHECKED = 'redis-leak-auditor:sandbox-endpoint-zone-unchecked';

/**
 * A VPC with isolated subnets only (no NAT, no internet route) and VPC endpoints for the AWS APIs the
 * auditor calls: nothing in it can reach the internet, and no NAT gateway is paid for.
 */
export function sandboxVpc(stack: Stack): ec2.Vpc {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
  });
  vpc.addFlowLog('FlowLogs', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(stack, 'FlowLogGroup', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    })),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  // Every interface endpoint in one zone: an endpoint bills per zone per hour, so one zone is a third
  // of the cost of three and half of two, and a sandbox needs no zone redundancy. Functions in the
  // other zone reach it across zones. The zone must offer every one of them (not every zone does).
  const zone = endpointZone(vpc, INTERFACE_ENDPOINTS.map(([, service]) => service));
  for (const [id, service] of INTERFACE_ENDPOINTS) {
    const endpoint = vpc.addInterfaceEndpoint(id, { service, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED, availabilityZones: [zone] } });
    for (const group of endpoint.connections.securityGroups) {
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'The endpoint accepts HTTPS only from the VPC\'s own CIDR block; the rule cannot evaluate that intrinsic and stops with an error.',
      });
    }
  }
  return vpc;
}

/**
 * The first of the VPC's zones that offers every one of `services`, from the zones each service offers
 * in the account and region (the context provider InterfaceVpcEndpoint's `lookupSupportedAzs` uses, so
 * the CDK CLI looks them up and caches them in cdk.context.json). Until the lookup is done the answer
 * is every zone, as CDK does. An environment-agnostic stack cannot be looked up: its first zone, with
 * a warning.
 */
function endpointZone(vpc: ec2.Vpc, services: readonly ec2.InterfaceVpcEndpointAwsService[]): string {
  const stack = vpc.stack;
  const zones = vpc.availabilityZones;
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    Annotations.of(vpc).addWarningV2(ENDPOINT_ZONE_UNCHECKED, 'The sandbox\'s interface endpoints (SNS, CloudWatch, Secrets Manager) '
      + 'are placed in the VPC\'s first availability zone without checking that it offers them: the stack has no account and region, '
      + 'so the zones each endpoint service offers cannot be looked up at synth. If the deploy fails on a VPC endpoint, set "account" '
      + 'and "region" in the config (or CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, which `cdk` sets from your credentials) and deploy again.');
    return zones[0] ?? '';
  }
  const offered = services.map((service) => {
    const serviceName = String(stack.resolve(service.name));
    const value: unknown = ContextProvider.getValue(vpc, {
      provider: cxschema.ContextProvider.ENDPOINT_SERVICE_AVAILABILITY_ZONE_PROVIDER,
      props: { serviceName },
      dummyValue: stack.availabilityZones,
    }).value;
    if (!Array.isArray(value) || !value.every((z) => typeof z === 'string')) {
      throw new Error(`sandbox VPC: the availability zones looked up for ${serviceName} are not a list of zone names; run \`npx cdk context --clear\` and synth again.`);
    }
    return { serviceName, zones: value as string[] };
  });
  const common = zones.find((zone) => offered.every((service) => service.zones.includes(zone)));
  if (common === undefined) {
    const each = offered.map((s) => `${s.serviceName} in ${s.zones.join(', ') || 'no zone'}`).join('; ');
    throw new Error(`sandbox VPC: no availability zone of the VPC (${zones.join(', ')}) offers every interface endpoint it needs: ${each}. `
      + 'Deploy the sandbox to another region, or run `npx cdk context --clear` if these zones came from an outdated cdk.context.json.');
  }
  return common;
}
