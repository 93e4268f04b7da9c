import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Ec2IpResolver } from '../../../lambda/publish/ec2-ip-resolver.js';
import { ecsEni, instanceEni, lambdaEni, natEni } from '../../support/network-interfaces.js';

const ec2Mock = mockClient(EC2Client);

function resolver(overrides: { maxLookups?: number } = {}) {
  const logger = { warn: vi.fn() };
  const instance = new Ec2IpResolver({ ec2: new EC2Client({ region: 'eu-west-1' }), logger, retry: { sleep: async () => {} }, ...overrides });
  return { instance, logger };
}

const eniCalls = () => ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input);
const instanceCalls = () => ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);

function throttled(): EC2ServiceException {
  return new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'client', $metadata: { httpStatusCode: 503 }, message: 'Request limit exceeded.' });
}

beforeEach(() => {
  ec2Mock.reset();
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});

describe('Ec2IpResolver', () => {
  it('asks for the interfaces by private address and names what it finds', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [lambdaEni('10.0.1.23'), ecsEni('10.0.2.40'), natEni('10.0.0.9')] });
    const found = await resolver().instance.resolve(['10.0.1.23', '10.0.2.40', '10.0.0.9', '10.9.9.9']);
    expect(eniCalls()).toEqual([{
      Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.23', '10.0.2.40', '10.0.0.9', '10.9.9.9'] }],
      IncludeManagedResources: true,
      MaxResults: 1000,
    }]);
    expect([...found].map(([ip, w]) => [ip, w.label])).toEqual([
      ['10.0.1.23', 'Lambda function orders-api'],
      ['10.0.2.40', 'ECS service checkout (cluster prod)'],
      ['10.0.0.9', 'NAT gateway nat-0b1c2d3e4f5a6b7c8'],
    ]);
    expect(instanceCalls()).toEqual([]);
  });

  it('sends 200 addresses per filter at most, IPv6 in its own filter', async () => {
    const v4 = Array.from({ length: 450 }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    await resolver({ maxLookups: 1000 }).instance.resolve([...v4, '2a05:d018:1:2::17']);
    const filters = eniCalls().map((input) => input.Filters?.[0]);
    expect(filters.map((f) => [f?.Name, f?.Values?.length])).toEqual([
      ['addresses.private-ip-address', 200], ['addresses.private-ip-address', 200], ['addresses.private-ip-address', 50], ['ipv6-addresses.ipv6-address', 1],
    ]);
    expect(filters.flatMap((f) => f?.Values ?? []).slice(0, 450)).toEqual(v4);
  });

  it('follows NextToken', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand)
      .resolvesOnce({ NetworkInterfaces: [lambdaEni('10.0.1.23')], NextToken: 'page-2' })
      .resolvesOnce({ NetworkInterfaces: [natEni('10.0.0.9')] });
    const found = await resolver().instance.resolve(['10.0.1.23', '10.0.0.9']);
    expect(eniCalls().map((input) => input.NextToken)).toEqual([undefined, 'page-2']);
    expect([...found.keys()]).toEqual(['10.0.1.23', '10.0.0.9']);
  });

  it('fetches the Name tags of the instances found, by instance-id filter', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [instanceEni('10.0.3.7', 'i-0123456789abcdef0')] });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0', Tags: [{ Key: 'team', Value: 'web' }, { Key: 'Name', Value: 'web-1' }] }] }],
    });
    const found = await resolver().instance.resolve(['10.0.3.7']);
    expect(instanceCalls()).toEqual([{ Filters: [{ Name: 'instance-id', Values: ['i-0123456789abcdef0'] }], MaxResults: 1000 }]);
    expect(found.get('10.0.3.7')?.label).toBe('EC2 instance web-1 (i-0123456789abcdef0)');
  });

  it('retries a throttled call and logs the retry', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejectsOnce(throttled()).resolves({ NetworkInterfaces: [lambdaEni('10.0.1.23')] });
    const { instance, logger } = resolver();
    const found = await instance.resolve(['10.0.1.23']);
    expect(eniCalls()).toHaveLength(2);
    expect(found.get('10.0.1.23')?.kind).toBe('lambda');
    expect(logger.warn).toHaveBeenCalledWith('retrying an AWS call', expect.objectContaining({ attempt: 1 }));
  });

  it('answers with nothing, logs once and stops asking when EC2 refuses', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'You are not authorized to perform this operation.' }));
    const { instance, logger } = resolver();
    expect((await instance.resolve(['10.0.1.23'])).size).toBe(0);
    expect((await instance.resolve(['10.0.1.24'])).size).toBe(0);
    expect(eniCalls()).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith('source IPs not resolved: the report names IPs only', expect.objectContaining({ addresses: 1 }));
  });

  it('looks each address up once per run, misses included', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [lambdaEni('10.0.1.23')] });
    const { instance } = resolver();
    await instance.resolve(['10.0.1.23', '10.9.9.9']);
    const again = await instance.resolve(['10.0.1.23', '10.9.9.9']);
    expect(eniCalls()).toHaveLength(1);
    expect([...again.keys()]).toEqual(['10.0.1.23']);
  });

  it('never looks up loopback, link-local or unix sockets, and keeps within its budget', async () => {
    await resolver({ maxLookups: 2 }).instance.resolve(['127.0.0.81', '::1', '169.254.1.1', 'unix:/tmp/redis.sock', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(eniCalls().flatMap((input) => input.Filters?.[0]?.Values ?? [])).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('sends nothing when there is nothing to look up', async () => {
    expect((await resolver().instance.resolve(['127.0.0.1'])).size).toBe(0);
    expect(eniCalls()).toEqual([]);
  });
});

describe('Ec2IpResolver shared by targets audited in parallel', () => {
  it('looks an address up once when two targets ask at the same time', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [lambdaEni('10.0.1.23')] });
    const { instance } = resolver();
    const [first, second] = await Promise.all([instance.resolve(['10.0.1.23']), instance.resolve(['10.0.1.23', '10.0.1.24'])]);
    expect(eniCalls().map((input) => input.Filters?.[0]?.Values)).toEqual([['10.0.1.23'], ['10.0.1.24']]);
    expect(first.get('10.0.1.23')?.kind).toBe('lambda');
    expect(second.get('10.0.1.23')?.kind).toBe('lambda');
  });

  it('gives up after two attempts by default: names never hold a run up for long', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }));
    const { instance, logger } = resolver();
    expect((await instance.resolve(['10.0.1.23'])).size).toBe(0);
    expect(eniCalls()).toHaveLength(2);
    expect(logger.warn).toHaveBeenLastCalledWith('source IPs not resolved: the report names IPs only', expect.objectContaining({ addresses: 1 }));
  });
});
