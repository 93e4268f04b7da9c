// The AWS services the audit Lambda calls from its subnets, in one catalogue: what the stack output and the README
// list, what `createVpcEndpoints` creates, and what the network contract test checks against the template.
// A Lambda in a VPC reaches AWS APIs only through a NAT gateway or VPC endpoints; its logs go through the Lambda
// service and need neither. KMS is not called by the function (SNS and Secrets Manager use it on its behalf), and
// an ElastiCache IAM token is signed locally, so neither needs a route.
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface AuditorServiceUse {
  /** A target or discovery reads an auth secret. */
  readonly secrets: boolean;
  /** Source IPs are named through EC2 and ECS. */
  readonly resolveSourceIps: boolean;
  /** Caches are found through the ElastiCache API. */
  readonly discovery: boolean;
}

export interface ServiceRoute {
  /** The endpoint service's last name part: com.amazonaws.<region>.<this>. */
  readonly service: string;
  /** S3 is reached through a free gateway endpoint (route tables); the others through interface endpoints. */
  readonly kind: 'gateway' | 'interface';
  /** What the function calls it for. */
  readonly why: string;
}

const S3: ServiceRoute = { service: 's3', kind: 'gateway', why: 'reports, state and the target list' };
const MONITORING: ServiceRoute = { service: 'monitoring', kind: 'interface', why: 'CloudWatch metrics (and a serverless cache\'s connection metrics)' };
const SNS: ServiceRoute = { service: 'sns', kind: 'interface', why: 'the alert summaries' };
const SECRETS: ServiceRoute = { service: 'secretsmanager', kind: 'interface', why: 'the targets\' auth secrets' };
const EC2: ServiceRoute = { service: 'ec2', kind: 'interface', why: 'naming the workloads behind client IPs' };
const ECS: ServiceRoute = { service: 'ecs', kind: 'interface', why: 'naming the ECS service behind a task\'s IP' };
const ELASTICACHE: ServiceRoute = { service: 'elasticache', kind: 'interface', why: 'discovering caches by tag' };

/** Every service the function calls, given what it is configured to do. */
export function neededServices(use: AuditorServiceUse): ServiceRoute[] {
  return [
    S3, MONITORING, SNS,
    ...(use.secrets ? [SECRETS] : []),
    ...(use.resolveSourceIps ? [EC2, ECS] : []),
    ...(use.discovery ? [ELASTICACHE] : []),
  ];
}

/** The endpoint service of a route in the stack's partition and region (CDK's naming, China's prefix included). */
export function endpointService(route: ServiceRoute): ec2.IInterfaceVpcEndpointService & { readonly name: string } {
  return route.kind === 'gateway' ? { name: ec2.GatewayVpcEndpointAwsService.S3.name, port: 443 } : new ec2.InterfaceVpcEndpointAwsService(route.service);
}

export interface AuditorEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The function's subnets: interface endpoints go in one of them per zone, and S3's gateway on their route tables. */
  readonly subnets: ec2.SubnetSelection;
  /** The function's security group: the only one let in on 443. */
  readonly auditor: ec2.IConnectable;
  readonly routes: readonly ServiceRoute[];
}

/** The VPC endpoints of `routes`, for a VPC that has neither NAT nor endpoints of its own for them. */
export class AuditorEndpoints extends Construct {
  readonly endpoints: ec2.IVpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: AuditorEndpointsProps) {
    super(scope, id);
    for (const route of props.routes) {
      const name = route.service.replace(/^./, (c) => c.toUpperCase());
      if (route.kind === 'gateway') {
        this.endpoints.push(new ec2.GatewayVpcEndpoint(this, name, { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [props.subnets] }));
        continue;
      }
      const endpoint = new ec2.InterfaceVpcEndpoint(this, name, {
        vpc: props.vpc,
        service: endpointService(route),
        subnets: { ...props.subnets, onePerAz: true },
        privateDnsEnabled: true,
        // Closed by default: only the auditor may use it (not the whole VPC CIDR, which CDK would open).
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(props.auditor, 'redis-leak-auditor Lambda');
      this.endpoints.push(endpoint);
    }
  }
}
