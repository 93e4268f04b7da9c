import { describe, expect, it } from 'vitest';
import { instanceIdsOf, lookupAddressOf, workloadOf, workloadsByAddress } from '../../lambda/core/workloads.js';
import { ecsEni, instanceEni, lambdaEni, natEni, unknownEni } from '../support/network-interfaces.js';

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
    expect(workloadOf(eni, new Map([['i-0123456789abcdef0', 'web-1']]))).toMatchObject({ kind: 'ec2-instance', label: 'EC2 instance web-1 (i-0123456789abcdef0)', id: 'i-0123456789abcdef0' });
    expect(workloadOf(eni).label).toBe('EC2 instance i-0123456789abcdef0');
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
    const label = workloadOf(eni, new Map([['i-0123456789abcdef0', `evil\nname ${'x'.repeat(500)}`]])).label;
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
