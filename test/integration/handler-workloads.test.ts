// Names instead of IPs through the real Lambda handler: a real redis-server with a leak from 127.0.0.81,
// EC2 answered by aws-sdk-client-mock as it would answer for a Lambda function's interface. Loopback is
// how these tests simulate hosts, and the production resolver never looks loopback up, so the resolver
// here is the real Ec2IpResolver told to look up every IP address.
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { Ec2IpResolver } from '../../lambda/publish/ec2-ip-resolver.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { lambdaEni } from '../support/network-interfaces.js';
import { expectValidReport } from '../support/report-schema.js';
import { waitForIdle } from '../support/wait.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:redis-leaks';
const LEAK_SOURCE = '127.0.0.81';

let redis: LocalRedisServer;
let leak: WorkloadHandle | undefined;
let aws: ReturnType<typeof fakeAws>;
const ec2 = new EC2Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const ec2Mock = mockClient(ec2);

function handler(options: { resolve: boolean; lookUpLoopback: boolean }) {
  const logger = new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'SILENT' });
  return createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN, IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10',
      CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000', RESOLVE_SOURCE_IPS: String(options.resolve),
      AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: `redis://127.0.0.1:${redis.port}` }]),
    },
    clients: () => ({ ...aws.clients(), ec2 }),
    logger,
    awsCredentials: async () => CREDENTIALS,
    ...(options.lookUpLoopback
      ? { ipResolver: (clients) => new Ec2IpResolver({ ec2: clients.ec2 ?? ec2, logger, retry: { sleep: async () => {} }, lookupAddress: (ip) => (ip.startsWith('unix:') ? null : ip) }) }
      : {}),
  });
}

const run = (options: { resolve: boolean; lookUpLoopback: boolean }) => handler(options)({}, lambdaContext()) as Promise<HandlerResult>;
const latest = () => JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as Record<string, unknown> & {
  findings: Array<{ kind: string; message: string; subject: { sourceIp?: string; workload?: string; identifiedBy?: string } }>;
  groups: { bySourceIp: Array<{ key: string; workload?: { kind: string; label: string } }> };
  workloads?: Record<string, { kind: string; label: string }>;
};
const emails = () => aws.snsMock.commandCalls(PublishCommand).map((c) => (JSON.parse((c.args[0].input as PublishCommandInput).Message ?? '{}') as { email: string }).email);

beforeAll(async () => {
  redis = await startLocalRedis();
  leak = await perRequestLeak({ host: redis.host, port: redis.port }, LEAK_SOURCE, { count: 15, name: 'checkout' });
  await waitForIdle(redis, LEAK_SOURCE, 15, 1); // idle means 1 s here
}, 30_000);

afterAll(async () => {
  await leak?.stop();
  await redis?.stop();
});

beforeEach(() => {
  aws = fakeAws();
  ec2Mock.reset();
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [lambdaEni(LEAK_SOURCE, 'orders-api')] });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});
afterEach(() => aws.restore());

describe('the Lambda handler with RESOLVE_SOURCE_IPS', () => {
  it('names the Lambda function behind the leaking IP in the stored report and in the e-mail', async () => {
    const result = await run({ resolve: true, lookUpLoopback: true });

    expect(result.targets[0]).toMatchObject({ status: 'ok', deliveryFailures: [] });
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)[0]?.args[0].input.Filters)
      .toEqual([{ Name: 'addresses.private-ip-address', Values: expect.arrayContaining([LEAK_SOURCE]) }]);
    const report = latest();
    expectValidReport(report);
    const leakFinding = report.findings.find((f) => f.kind === 'idle-connections' && f.subject.sourceIp === LEAK_SOURCE);
    expect(leakFinding?.subject.workload).toBe('Lambda function orders-api');
    expect(report.groups.bySourceIp.find((g) => g.key === LEAK_SOURCE)?.workload).toMatchObject({ kind: 'lambda', label: 'Lambda function orders-api' });
    expect(report.workloads?.[LEAK_SOURCE]?.label).toBe('Lambda function orders-api');
    expect(emails()).toHaveLength(1);
    expect(leakFinding?.subject.identifiedBy).toBe('aws-resource');
    expect(emails()[0]).toContain(`Lambda function orders-api (AWS resource behind the addresses, at ${LEAK_SOURCE}) holds`);
  }, 30_000);

  it('still stores and sends the report, with IPs only, when EC2 refuses', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'You are not authorized to perform this operation.' }));
    const result = await run({ resolve: true, lookUpLoopback: true });

    expect(result.targets[0]).toMatchObject({ status: 'ok', deliveryFailures: [], notified: true });
    expect(latest().workloads).toBeUndefined();
    // Grouped by the next thing the server tells: the client name.
    expect(emails()[0]).toContain(`checkout (client name, at ${LEAK_SOURCE}) holds`);
  }, 30_000);

  it('never asks EC2 about loopback addresses with the production resolver', async () => {
    await run({ resolve: true, lookUpLoopback: false });
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toEqual([]);
    expect(latest().workloads).toBeUndefined();
  }, 30_000);

  it('does not call EC2 at all when RESOLVE_SOURCE_IPS is off', async () => {
    await run({ resolve: false, lookUpLoopback: true });
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toEqual([]);
    expect(latest().findings.some((f) => f.subject.sourceIp === LEAK_SOURCE && f.subject.workload === 'checkout')).toBe(true);
  }, 30_000);
});
