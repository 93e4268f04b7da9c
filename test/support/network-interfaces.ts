// DescribeNetworkInterfaces answers as EC2 gives them (shapes and descriptions taken from real accounts,
// ids made up): one interface per kind of workload the auditor names; and the ECS tasks (DescribeTasks)
// behind awsvpc task interfaces.
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import type { Task } from '@aws-sdk/client-ecs';

const common = { AvailabilityZone: 'eu-west-1a', OwnerId: '123456789012', SubnetId: 'subnet-0a1b2c3d4e5f60718', VpcId: 'vpc-0123456789abcdef0', Status: 'in-use' as const };

function addresses(ip: string) {
  return { PrivateIpAddress: ip, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip, PrivateDnsName: `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal` }] };
}

export function lambdaEni(ip: string, functionName = 'orders-api'): NetworkInterface {
  return {
    ...common, ...addresses(ip),
    NetworkInterfaceId: 'eni-0aa11bb22cc33dd44',
    InterfaceType: 'lambda',
    Description: `AWS Lambda VPC ENI-${functionName}-4f2d9c1e-8a3b-4c5d-9e6f-0a1b2c3d4e5f`,
    RequesterId: 'AROAEXAMPLEROLEID1234:4f2d9c1e8a3b4c5d9e6f0a1b2c3d4e5f',
    RequesterManaged: true,
    Attachment: { AttachmentId: 'ela-attach-0123456789abcdef0', DeviceIndex: 1, InstanceOwnerId: 'amazon-aws', Status: 'attached' },
    TagSet: [],
  };
}

export const ECS_ATTACHMENT_ID = '6f0c2e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

/** A task attachment id of its own for each address, so that a fleet of tasks has distinct interfaces. */
export function attachmentIdFor(ip: string): string {
  return `6f0c2e3a-1b2c-4d5e-8f90-${ip.split('.').map((n) => Number(n).toString(16).padStart(3, '0')).join('')}`;
}

export function ecsEni(ip: string, tags: Array<{ Key: string; Value: string }> = [
  { Key: 'aws:ecs:serviceName', Value: 'checkout' }, { Key: 'aws:ecs:clusterName', Value: 'prod' },
], attachmentId = ECS_ATTACHMENT_ID): NetworkInterface {
  return {
    ...common, ...addresses(ip),
    NetworkInterfaceId: attachmentId === ECS_ATTACHMENT_ID ? 'eni-0ee55ff66aa77bb88' : `eni-0${attachmentId.slice(-16)}`,
    InterfaceType: 'interface',
    Description: `arn:aws:ecs:eu-west-1:123456789012:attachment/${attachmentId}`,
    RequesterId: '578734482556',
    RequesterManaged: true,
    Attachment: { AttachmentId: 'eni-attach-0f1e2d3c4b5a69788', DeviceIndex: 1, InstanceOwnerId: '578734482556', Status: 'attached' },
    TagSet: tags,
  };
}

export function instanceEni(ip: string, instanceId = 'i-0123456789abcdef0', secondary: string[] = []): NetworkInterface {
  return {
    ...common,
    PrivateIpAddress: ip,
    PrivateIpAddresses: [ip, ...secondary].map((a, i) => ({ Primary: i === 0, PrivateIpAddress: a })),
    NetworkInterfaceId: 'eni-0cc99dd00ee11ff22',
    InterfaceType: 'interface',
    Description: '',
    RequesterManaged: false,
    Attachment: { AttachmentId: 'eni-attach-0a9b8c7d6e5f40312', DeviceIndex: 0, InstanceId: instanceId, InstanceOwnerId: '123456789012', Status: 'attached' },
    TagSet: [],
  };
}

export function natEni(ip: string): NetworkInterface {
  return {
    ...common, ...addresses(ip),
    NetworkInterfaceId: 'eni-0dd33ee44ff55aa66',
    InterfaceType: 'natGateway',
    Description: 'Interface for NAT Gateway nat-0b1c2d3e4f5a6b7c8',
    RequesterId: '441234567890',
    RequesterManaged: true,
    TagSet: [],
  };
}

export function unknownEni(ip: string): NetworkInterface {
  return {
    ...common, ...addresses(ip),
    NetworkInterfaceId: 'eni-0ff77aa88bb99cc00',
    InterfaceType: 'interface',
    Description: 'hand-made interface for the batch host',
    RequesterManaged: false,
    TagSet: [],
  };
}

/** A RUNNING awsvpc task as DescribeTasks answers it: `group` is `service:NAME`, or `family:NAME` for RunTask. */
export function ecsTask(ip: string, opts: { group: string; cluster?: string; family?: string; attachmentId?: string; networkInterfaceId?: string }): Task {
  const cluster = opts.cluster ?? 'prod';
  const attachmentId = opts.attachmentId ?? attachmentIdFor(ip);
  const family = opts.family ?? opts.group.split(':')[1] ?? 'app';
  return {
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${attachmentId.replace(/-/g, '').slice(-32)}`,
    clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${cluster}`,
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:42`,
    group: opts.group,
    launchType: 'FARGATE',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    attachments: [{
      id: attachmentId,
      type: 'ElasticNetworkInterface',
      status: 'ATTACHED',
      details: [
        { name: 'subnetId', value: common.SubnetId },
        { name: 'networkInterfaceId', value: opts.networkInterfaceId ?? `eni-0${attachmentId.slice(-16)}` },
        { name: 'macAddress', value: '0a:1b:2c:3d:4e:5f' },
        { name: 'privateDnsName', value: `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal` },
        { name: 'privateIPv4Address', value: ip },
      ],
    }],
  };
}
