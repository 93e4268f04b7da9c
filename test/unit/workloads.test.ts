import { describe, expect, it } from 'vitest';
import { ecsLookupsOf, indexEcsTasks, instanceIdsOf, lookupAddressOf, workloadOf, workloadsByAddress } from '../../lambda/core/workloads.js';
import { ECS_ATTACHMENT_ID, ecsEni, ecsTask, instanceEni, lambdaEni, natEni, unknownEni } from '../support/network-interfaces.js';

const ATTACHMENT_ARN = `arn:aws:ecs:eu-west-1:123456789012:attachment/${ECS_ATTACHMENT_ID}`;
const withTasks = (...tasks: Parameters<typeof indexEcsTasks>[0]) => ({ ecsTasks: indexEcsTasks(tasks) });
const instances = (entries: Record<string, { name?: string; autoScalingGroup?: string }>) => ({ instances: new Map(Object.entries(entries)) });

describe('workloadOf: what a network interface says about its owner', () => {
  it('names the Lambda function of a Hyperplane interface, without the uuid suffix', () => {
    expect(workloadOf(lambdaEni('10.0.1.23', 'orders-api'))).toEqual({
      kind: 'lambda',
      label: 'Lambda function orders-api',
      id: 'orders-api',
      details: { networkInterfaceId: 'eni-0aa11bb22cc33dd44', note: 'shared by functions with the same subnets and security groups' },
    });
  });

  it('keeps hyphens that belong to the function name', () => {
    expect(workloadOf(lambdaEni('10.0.1.23', 'billing-worker-v2')).label).toBe('Lambda function billing-worker-v2');
  });

  it('names the ECS service and cluster of an awsvpc task from its tags', () => {
    const workload = workloadOf(ecsEni('10.0.2.40'));
    expect(workload).toMatchObject({
      kind: 'ecs-task',
      label: 'ECS service checkout (cluster prod)',
      id: 'arn:aws:ecs:eu-west-1:123456789012:attachment/6f0c2e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      details: { service: 'checkout', cluster: 'prod' },
    });
  });

  it('calls an untagged awsvpc interface an ECS task', () => {
    expect(workloadOf(ecsEni('10.0.2.41', [])).label).toBe('ECS task');
  });

  it('names an EC2 instance by its Name tag when the adapter found one, else by its id', () => {
    const eni = instanceEni('10.0.3.7', 'i-0123456789abcdef0');
    expect(workloadOf(eni, instances({ 'i-0123456789abcdef0': { name: 'web-1' } }))).toMatchObject({ kind: 'ec2-instance', label: 'EC2 instance web-1 (i-0123456789abcdef0)', id: 'i-0123456789abcdef0' });
    expect(workloadOf(eni).label).toBe('EC2 instance i-0123456789abcdef0');
  });

  it('keeps the EKS node note of an instance interface carrying pod addresses', () => {
    const eni = { ...instanceEni('10.0.3.7'), Description: 'aws-K8S-i-0123456789abcdef0' };
    expect(workloadOf(eni).details).toEqual({ networkInterfaceId: 'eni-0cc99dd00ee11ff22', note: 'EKS node: the address may belong to a pod on it' });
  });

  it('names the ECS service and cluster of an untagged task interface from its task group', () => {
    const eni = ecsEni('10.0.2.41', [], ECS_ATTACHMENT_ID);
    const task = ecsTask('10.0.2.41', { group: 'service:checkout', cluster: 'prod', attachmentId: ECS_ATTACHMENT_ID });
    expect(workloadOf(eni, withTasks(task))).toEqual({
      kind: 'ecs-task',
      label: 'ECS service checkout (cluster prod)',
      id: ATTACHMENT_ARN,
      details: { networkInterfaceId: 'eni-0ee55ff66aa77bb88', cluster: 'prod', service: 'checkout', taskFamily: 'checkout', taskArn: task.taskArn },
    });
  });

  it('names a standalone task (RunTask) by its family', () => {
    const task = ecsTask('10.0.2.41', { group: 'family:nightly-report', cluster: 'batch', attachmentId: ECS_ATTACHMENT_ID });
    const workload = workloadOf(ecsEni('10.0.2.41', []), withTasks(task));
    expect(workload.label).toBe('ECS task of nightly-report (cluster batch)');
    expect(workload.details).toMatchObject({ cluster: 'batch', taskFamily: 'nightly-report' });
    expect(workload.details).not.toHaveProperty('service');
  });

  it('reads the family from the task definition when the group says neither', () => {
    const task = { ...ecsTask('10.0.2.41', { group: 'family:x', family: 'ingest-worker', attachmentId: ECS_ATTACHMENT_ID }), group: 'custom-group' };
    expect(workloadOf(ecsEni('10.0.2.41', []), withTasks(task)).label).toBe('ECS task of ingest-worker (cluster prod)');
  });

  it('matches a task by its interface id or private address when the attachment id differs', () => {
    const byEni = ecsTask('10.0.9.1', { group: 'service:orders', attachmentId: 'aaaaaaaa-0000-4000-8000-000000000001', networkInterfaceId: 'eni-0ee55ff66aa77bb88' });
    const byIp = ecsTask('10.0.2.41', { group: 'service:billing', attachmentId: 'aaaaaaaa-0000-4000-8000-000000000002', networkInterfaceId: 'eni-0other' });
    expect(workloadOf(ecsEni('10.0.2.41', []), withTasks(byEni)).details?.service).toBe('orders');
    expect(workloadOf(ecsEni('10.0.2.41', []), withTasks(byIp)).details?.service).toBe('billing');
  });

  it('ignores task attachments that are not network interfaces', () => {
    const task = ecsTask('10.0.2.41', { group: 'service:checkout', attachmentId: ECS_ATTACHMENT_ID });
    const serviceConnect = { ...task, attachments: task.attachments?.map((a) => ({ ...a, type: 'Service Connect' })) };
    expect(workloadOf(ecsEni('10.0.2.41', []), withTasks(serviceConnect)).label).toBe('ECS task');
  });

  it('keeps the tags\' service over the task group, and the cluster tag when no task was found', () => {
    const tagged = ecsEni('10.0.2.40', [{ Key: 'aws:ecs:serviceName', Value: 'checkout' }]);
    expect(workloadOf(tagged, withTasks(ecsTask('10.0.2.40', { group: 'service:other', attachmentId: ECS_ATTACHMENT_ID }))).details?.service).toBe('checkout');
    expect(workloadOf(ecsEni('10.0.2.41', [{ Key: 'aws:ecs:clusterName', Value: 'prod' }]))).toMatchObject({ label: 'ECS task in cluster prod', details: { cluster: 'prod' } });
  });

  it('names an EC2 instance\'s Auto Scaling group when it carries the tag, and only then', () => {
    const eni = instanceEni('10.0.3.7', 'i-0123456789abcdef0');
    expect(workloadOf(eni, instances({ 'i-0123456789abcdef0': { name: 'web-1', autoScalingGroup: 'web-asg' } }))).toEqual({
      kind: 'ec2-instance',
      label: 'EC2 instance web-1 (i-0123456789abcdef0) in Auto Scaling group web-asg',
      id: 'i-0123456789abcdef0',
      details: { networkInterfaceId: 'eni-0cc99dd00ee11ff22', autoScalingGroup: 'web-asg' },
    });
    expect(workloadOf(eni, instances({ 'i-0123456789abcdef0': { name: 'web-1' } })).details).toEqual({ networkInterfaceId: 'eni-0cc99dd00ee11ff22' });
  });

  it('names a NAT gateway by its id', () => {
    expect(workloadOf(natEni('10.0.0.9'))).toMatchObject({ kind: 'nat-gateway', label: 'NAT gateway nat-0b1c2d3e4f5a6b7c8', id: 'nat-0b1c2d3e4f5a6b7c8' });
  });

  it('names load balancers, VPC endpoints and ElastiCache nodes from their descriptions', () => {
    expect(workloadOf({ InterfaceType: 'network_load_balancer', Description: 'ELB net/orders-nlb/50dc6c495c0c9188' })).toMatchObject({ kind: 'load-balancer', label: 'Load balancer net/orders-nlb/50dc6c495c0c9188' });
    expect(workloadOf({ InterfaceType: 'vpc_endpoint', Description: 'VPC Endpoint Interface vpce-0a1b2c3d4e5f60718' })).toMatchObject({ kind: 'vpc-endpoint', id: 'vpce-0a1b2c3d4e5f60718' });
    expect(workloadOf({ InterfaceType: 'interface', Description: 'ElastiCache orders-cache-0001-002', RequesterId: 'amazon-elasticache' })).toMatchObject({ kind: 'elasticache', label: 'ElastiCache orders-cache-0001-002' });
  });

  it('falls back to the description for anything else', () => {
    expect(workloadOf(unknownEni('10.0.4.4'))).toMatchObject({ kind: 'other', label: 'hand-made interface for the batch host', id: 'eni-0ff77aa88bb99cc00' });
  });

  it('flattens and bounds names that come from tags', () => {
    const eni = instanceEni('10.0.3.7');
    const label = workloadOf(eni, instances({ 'i-0123456789abcdef0': { name: `evil\nname ${'x'.repeat(500)}` } })).label;
    expect(label).not.toContain('\n');
    expect(label.length).toBeLessThanOrEqual(160);
  });
});

describe('workloadsByAddress', () => {
  it('maps each wanted address, secondary ones included, to the owner of its interface', () => {
    const enis = [lambdaEni('10.0.1.23'), instanceEni('10.0.3.7', 'i-0123456789abcdef0', ['10.0.3.8'])];
    const found = workloadsByAddress(enis, new Set(['10.0.1.23', '10.0.3.8', '10.0.9.9']));
    expect([...found].map(([ip, w]) => [ip, w.kind])).toEqual([['10.0.1.23', 'lambda'], ['10.0.3.8', 'ec2-instance']]);
  });

  it('lists the task interfaces whose service their tags do not name, with the cluster tag when there is one', () => {
    const enis = [ecsEni('10.0.2.40'), ecsEni('10.0.2.41', [{ Key: 'aws:ecs:clusterName', Value: 'prod' }]), ecsEni('10.0.2.42', []), lambdaEni('10.0.1.23')];
    expect(ecsLookupsOf(enis).map((l) => [l.addresses[0], l.cluster, l.attachmentId])).toEqual([
      ['10.0.2.41', 'prod', ECS_ATTACHMENT_ID],
      ['10.0.2.42', undefined, ECS_ATTACHMENT_ID],
    ]);
  });

  it('lists the instance ids whose Name tag is worth fetching, once each', () => {
    expect(instanceIdsOf([lambdaEni('10.0.1.23'), instanceEni('10.0.3.7'), instanceEni('10.0.3.8'), ecsEni('10.0.2.40')])).toEqual(['i-0123456789abcdef0']);
  });
});

describe('lookupAddressOf', () => {
  it.each([
    ['10.0.1.23', '10.0.1.23'],
    ['::ffff:10.0.1.23', '10.0.1.23'],
    ['2a05:d018:1:2::17', '2a05:d018:1:2::17'],
    ['127.0.0.81', null],
    ['::1', null],
    ['169.254.10.1', null],
    ['fe80::1', null],
    ['unix:/tmp/redis.sock', null],
    ['not-an-ip', null],
  ])('looks up %s as %s', (key, expected) => {
    expect(lookupAddressOf(key)).toBe(expected);
  });
});
