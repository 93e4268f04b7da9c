// Which workload a client belongs to, and client names without their per-instance suffixes.
import { describe, expect, it } from 'vitest';
import { deploymentOf, normaliseClientName, workloadIdentity } from '../../lambda/core/workload-identity.js';
import type { Workload } from '../../lambda/core/workloads.js';
import { client } from '../support/builders.js';

describe('normaliseClientName', () => {
  it.each([
    ['orders-api-7f9c8d5b4-x2kq9', 'orders-api'], // Deployment pod: ReplicaSet hash and pod suffix
    ['orders-api-x2kq9', 'orders-api'], // DaemonSet / Job pod
    ['worker-3', 'worker'], // StatefulSet ordinal
    ['kafka-consumer-0', 'kafka-consumer'],
    ['celery@ip-10-0-1-23', 'celery'], // name@host
    ['orders-api.ip-10-0-1-23.ec2.internal', 'orders-api'], // trailing EC2 host name
    ['orders-api-ip-10-0-1-23', 'orders-api'],
    ['orders-api:web-01.prod.internal', 'orders-api'], // trailing dotted host name
    ['orders-api/10.0.1.23', 'orders-api'],
    ['checkout-3f2b1c9e-8d7a-4b6c-9e1f-0a2b3c4d5e6f', 'checkout'], // UUID per process
    ['billing-5a3f9c0e1d2b4a6c8e7f9a0b1c2d3e4f', 'billing'], // ECS task id
  ])('%s is %s', (name, expected) => {
    expect(normaliseClientName(name)).toBe(expected);
  });

  it.each([
    ['orders-api', 'orders-api'],
    ['api-v2', 'api-v2'], // a version is part of the name
    ['checkout-5d8c7b9f6d-abcde', 'checkout-5d8c7b9f6d-abcde'], // vowels: not a Kubernetes suffix
    ['12345', '12345'], // the first word always stays
    ['', ''],
  ])('keeps %s as %s', (name, expected) => {
    expect(normaliseClientName(name)).toBe(expected);
  });

  it('flattens control characters and bounds the length (names are chosen by applications)', () => {
    expect(normaliseClientName('evil\u001b[31m-name')).not.toContain('\u001b');
    expect(normaliseClientName('x'.repeat(500)).length).toBeLessThanOrEqual(101);
  });
});

const ecs = (details: Record<string, string>): Workload => ({ kind: 'ecs-task', label: 'ECS task', details });

describe('workloadIdentity', () => {
  it('prefers the resolved deployment, then the client name, the ACL user, the library, the address', () => {
    const resolved = new Map<string, Workload>([['10.0.0.5', ecs({ service: 'orders', cluster: 'prod' })]]);
    expect(workloadIdentity(client({ sourceIp: '10.0.0.5', name: 'orders-api-1' }), resolved))
      .toEqual({ key: 'ecs-service:prod/orders', label: 'ECS service orders (cluster prod)', identifiedBy: 'aws-resource' });
    expect(workloadIdentity(client({ sourceIp: '10.0.0.6', name: 'orders-api-1', user: 'orders' }), resolved))
      .toMatchObject({ key: 'name:orders-api', identifiedBy: 'client-name' });
    expect(workloadIdentity(client({ sourceIp: '10.0.0.6', user: 'orders', libName: 'ioredis' }), resolved))
      .toMatchObject({ key: 'user:orders', label: 'ACL user orders', identifiedBy: 'acl-user' });
    expect(workloadIdentity(client({ sourceIp: '10.0.0.6', libName: 'redis-py', libVer: '5.0.1' }), resolved))
      .toMatchObject({ key: 'lib:redis-py', identifiedBy: 'client-library' });
    expect(workloadIdentity(client({ sourceIp: '10.0.0.6' }), resolved))
      .toEqual({ key: 'addr:10.0.0.6', label: '10.0.0.6', identifiedBy: 'source-address' });
  });

  it('puts a plain EC2 instance below the client name (one host may run several services) but above the library', () => {
    const resolved = new Map<string, Workload>([['10.0.0.7', { kind: 'ec2-instance', label: 'EC2 instance web-1 (i-0abc)', id: 'i-0abc' }]]);
    expect(workloadIdentity(client({ sourceIp: '10.0.0.7', name: 'web' }), resolved)).toMatchObject({ key: 'name:web' });
    expect(workloadIdentity(client({ sourceIp: '10.0.0.7', libName: 'ioredis' }), resolved))
      .toMatchObject({ key: 'ec2:i-0abc', identifiedBy: 'aws-resource' });
  });
});

describe('deploymentOf', () => {
  it('groups a Lambda function, an ECS service or task family and an Auto Scaling group', () => {
    expect(deploymentOf({ kind: 'lambda', label: 'Lambda function orders', id: 'orders' })?.key).toBe('lambda:orders');
    expect(deploymentOf(ecs({ taskFamily: 'nightly', cluster: 'prod' }))?.label).toBe('ECS tasks of nightly (cluster prod)');
    expect(deploymentOf({ kind: 'ec2-instance', label: 'EC2', id: 'i-1', details: { autoScalingGroup: 'web-asg' } })?.key).toBe('asg:web-asg');
  });

  it('is none for resources that host or forward for others', () => {
    expect(deploymentOf({ kind: 'ec2-instance', label: 'EC2', id: 'i-1', details: { autoScalingGroup: 'eks-nodes', note: 'EKS node: the address may belong to a pod on it' } })).toBeNull();
    expect(deploymentOf({ kind: 'nat-gateway', label: 'NAT gateway nat-1', id: 'nat-1' })).toBeNull();
    expect(deploymentOf(ecs({}))).toBeNull();
    expect(deploymentOf({ kind: 'lambda', label: 'Lambda function' })).toBeNull();
  });
});
