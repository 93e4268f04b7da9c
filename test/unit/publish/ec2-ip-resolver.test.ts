import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { AccessDeniedException, DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Ec2IpResolver, type Ec2IpResolverOptions } from '../../../lambda/publish/ec2-ip-resolver.js';
import { attachmentIdFor, ecsEni, ecsTask, instanceEni, lambdaEni, natEni } from '../../support/network-interfaces.js';

const ec2Mock = mockClient(EC2Client);
const ecsMock = mockClient(ECSClient);

function resolver(overrides: Partial<Pick<Ec2IpResolverOptions, 'maxLookups' | 'ecsBounds'>> = {}) {
  const logger = { warn: vi.fn() };
  const instance = new Ec2IpResolver({
    ec2: new EC2Client({ region: 'eu-west-1' }), ecs: new ECSClient({ region: 'eu-west-1' }), logger, retry: { sleep: async () => {} }, ...overrides,
  });
  return { instance, logger };
}

const eniCalls = () => ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input);
const instanceCalls = () => ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
const ecsCalls = () => ecsMock.calls().map((c) => c.args[0].constructor.name);
const clusterArn = (name: string) => `arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`;
const ips = (count: number, third = 2) => Array.from({ length: count }, (_, i) => `10.0.${third}.${i + 10}`);

/** Untagged task interfaces for the addresses (ECS does not tag every account's interfaces). */
function givenTaskInterfaces(addresses: readonly string[], tags: Array<{ Key: string; Value: string }> = []) {
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: addresses.map((ip) => ecsEni(ip, tags, attachmentIdFor(ip))) });
}

/** ECS answers as a region with these running tasks would, per cluster, 100 per ListTasks page. */
function givenEcsTasks(tasks: readonly Task[]) {
  const inCluster = (cluster: string | undefined) => tasks.filter((t) => t.clusterArn?.endsWith(`/${(cluster ?? '').split('/').pop()}`));
  ecsMock.on(ListClustersCommand).resolves({ clusterArns: [...new Set(tasks.map((t) => t.clusterArn ?? ''))] });
  ecsMock.on(ListTasksCommand).callsFake((input: { cluster?: string; nextToken?: string }) => {
    const from = Number(input.nextToken ?? 0);
    const arns = inCluster(input.cluster).map((t) => t.taskArn ?? '');
    return { taskArns: arns.slice(from, from + 100), ...(from + 100 < arns.length ? { nextToken: String(from + 100) } : {}) };
  });
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks?: string[] }) => ({ tasks: tasks.filter((t) => input.tasks?.includes(t.taskArn ?? '')) }));
}

function throttled(): EC2ServiceException {
  return new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'client', $metadata: { httpStatusCode: 503 }, message: 'Request limit exceeded.' });
}

beforeEach(() => {
  ec2Mock.reset();
  ecsMock.reset();
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
    expect(ecsCalls()).toEqual([]);
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

  it('groups an instance into its Auto Scaling group from the same DescribeInstances answer', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [instanceEni('10.0.3.7', 'i-0123456789abcdef0')] });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0', Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'web-asg' }] }] }],
    });
    const found = await resolver().instance.resolve(['10.0.3.7']);
    expect(found.get('10.0.3.7')).toMatchObject({ label: 'EC2 instance i-0123456789abcdef0 in Auto Scaling group web-asg', details: { autoScalingGroup: 'web-asg' } });
    expect(instanceCalls()).toHaveLength(1);
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

describe('Ec2IpResolver grouping ECS tasks into their service', () => {
  it('finds the tasks of untagged interfaces through ECS: one fleet of 30 tasks resolves to one service', async () => {
    const fleet = ips(30);
    givenTaskInterfaces(fleet);
    givenEcsTasks(fleet.map((ip) => ecsTask(ip, { group: 'service:checkout', cluster: 'prod' })));
    const found = await resolver().instance.resolve(fleet);
    expect(ecsMock.commandCalls(ListClustersCommand).map((c) => c.args[0].input)).toEqual([{ maxResults: 100 }]);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: clusterArn('prod'), desiredStatus: 'RUNNING', maxResults: 100 }]);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: clusterArn('prod'), tasks: fleet.map((ip) => ecsTask(ip, { group: 'service:checkout' }).taskArn) }]);
    expect(found.size).toBe(30);
    expect(new Set([...found.values()].map((w) => `${w.details?.cluster}/${w.details?.service} ${w.label}`))).toEqual(new Set(['prod/checkout ECS service checkout (cluster prod)']));
  });

  it('keeps the tasks of two services apart', async () => {
    const [checkout, billing] = [ips(3), ips(3, 5)];
    givenTaskInterfaces([...checkout, ...billing]);
    givenEcsTasks([...checkout.map((ip) => ecsTask(ip, { group: 'service:checkout' })), ...billing.map((ip) => ecsTask(ip, { group: 'service:billing' }))]);
    const found = await resolver().instance.resolve([...checkout, ...billing]);
    expect(checkout.map((ip) => found.get(ip)?.details?.service)).toEqual(['checkout', 'checkout', 'checkout']);
    expect(billing.map((ip) => found.get(ip)?.details?.service)).toEqual(['billing', 'billing', 'billing']);
  });

  it('lists no clusters when the interfaces\' tags name theirs, and searches only that one', async () => {
    givenTaskInterfaces(['10.0.2.10'], [{ Key: 'aws:ecs:clusterName', Value: 'prod' }]);
    givenEcsTasks([ecsTask('10.0.2.10', { group: 'family:nightly-report', cluster: 'prod' }), ecsTask('10.0.7.10', { group: 'service:other', cluster: 'staging' })]);
    const found = await resolver().instance.resolve(['10.0.2.10']);
    expect(ecsMock.commandCalls(ListClustersCommand)).toEqual([]);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'prod', desiredStatus: 'RUNNING', maxResults: 100 }]);
    expect(found.get('10.0.2.10')?.label).toBe('ECS task of nightly-report (cluster prod)');
  });

  it('describes 100 tasks a call with their cluster, following ListTasks pages, and stops once every interface is matched', async () => {
    const running = ips(250, 20).map((ip) => ecsTask(ip, { group: 'service:crowd', cluster: 'prod' }));
    givenTaskInterfaces(['10.0.20.150']);
    givenEcsTasks(running);
    await resolver().instance.resolve(['10.0.20.150']);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, '100', '200']);
    const described = ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input);
    expect(described.map((input) => [input.cluster, input.tasks?.length])).toEqual([[clusterArn('prod'), 100], [clusterArn('prod'), 100]]);
  });

  it('describes and lists no more tasks than its bound', async () => {
    givenTaskInterfaces(['10.0.2.10']);
    givenEcsTasks(ips(1000, 30).map((ip) => ecsTask(ip, { group: 'service:big', cluster: 'prod' })));
    await resolver({ ecsBounds: { maxTasks: 250 } }).instance.resolve(['10.0.2.10']);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length)).toEqual([100, 100, 50]);
    expect(ecsMock.commandCalls(ListTasksCommand)).toHaveLength(3);
  });

  it('searches no more clusters than its bound', async () => {
    givenTaskInterfaces(['10.0.2.10']);
    givenEcsTasks(Array.from({ length: 25 }, (_, i) => ecsTask(`10.0.40.${i + 1}`, { group: 'service:small', cluster: `c${i}` })));
    await resolver({ ecsBounds: { maxClusters: 3 } }).instance.resolve(['10.0.2.10']);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input.cluster)).toEqual([clusterArn('c0'), clusterArn('c1'), clusterArn('c2')]);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(3);
  });

  it('describes at most 2,000 tasks (20 calls) a run by default', async () => {
    givenTaskInterfaces(['10.0.2.10']);
    givenEcsTasks(Array.from({ length: 30 }, (_, c) => ips(100, 100 + c).map((ip) => ecsTask(ip, { group: 'service:big', cluster: `c${c}` }))).flat());
    await resolver().instance.resolve(['10.0.2.10']);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(20);
    expect(ecsMock.commandCalls(ListTasksCommand)).toHaveLength(20);
  });

  it('leaves the EC2 answer, logs a warning and stops asking when ECS refuses', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand)
      .resolvesOnce({ NetworkInterfaces: [ecsEni('10.0.2.10', [], attachmentIdFor('10.0.2.10'))] })
      .resolves({ NetworkInterfaces: [ecsEni('10.0.2.11', [], attachmentIdFor('10.0.2.11'))] });
    givenEcsTasks(['10.0.2.10', '10.0.2.11'].map((ip) => ecsTask(ip, { group: 'service:checkout' })));
    ecsMock.on(DescribeTasksCommand).rejects(new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: 'User is not authorized to perform: ecs:DescribeTasks' }));
    const { instance, logger } = resolver();
    const found = await instance.resolve(['10.0.2.10']);
    expect(found.get('10.0.2.10')).toMatchObject({ kind: 'ecs-task', label: 'ECS task' });
    expect(logger.warn).toHaveBeenCalledWith('ECS tasks not resolved: their addresses are named as ECS tasks only', expect.objectContaining({ interfaces: 1, error: expect.stringContaining('AccessDeniedException') }));
    expect((await instance.resolve(['10.0.2.11'])).get('10.0.2.11')?.label).toBe('ECS task');
    expect(ecsCalls()).toEqual(['ListClustersCommand', 'ListTasksCommand', 'DescribeTasksCommand']);
  });

  it('names task interfaces from their tags alone without an ECS client', async () => {
    givenTaskInterfaces(['10.0.2.10']);
    const found = await new Ec2IpResolver({ ec2: new EC2Client({ region: 'eu-west-1' }), logger: { warn: vi.fn() } }).resolve(['10.0.2.10']);
    expect(found.get('10.0.2.10')?.label).toBe('ECS task');
    expect(ecsCalls()).toEqual([]);
  });
});
