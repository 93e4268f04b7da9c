// A leak spread over a fleet, through the real Lambda handler: twelve "environments" (127.0.20.1-12, each
// leaking three unnamed connections, below every per-address threshold) on a real redis-server, EC2 (and
// ECS) answered by aws-sdk-client-mock as they answer for a Lambda function's Hyperplane interfaces or for
// the tasks of an ECS service. Resolved, the fleet is one workload, the function or the service, in the
// finding, the metrics and the e-mail; unresolved, it is still found, as the target's unnamed clients.
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { createHandler } from '../../lambda/handler.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { Ec2IpResolver } from '../../lambda/publish/ec2-ip-resolver.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { attachmentIdFor, ecsEni, ecsTask, lambdaEni } from '../support/network-interfaces.js';
import { expectValidReport } from '../support/report-schema.js';
import { waitForIdle } from '../support/wait.js';

const FLEET = Array.from({ length: 12 }, (_, i) => `127.0.20.${i + 1}`);
const PER_MEMBER = 3;

let redis: LocalRedisServer;
const handles: WorkloadHandle[] = [];
let aws: ReturnType<typeof fakeAws>;
const ec2 = new EC2Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const ec2Mock = mockClient(ec2);
const ecs = new ECSClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const ecsMock = mockClient(ecs);

async function run(resolve: boolean): Promise<AuditReport> {
  const logger = new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'SILENT' });
  await createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:redis-leaks',
      IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10', CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000',
      RESOLVE_SOURCE_IPS: String(resolve), AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: `redis://127.0.0.1:${redis.port}` }]),
    },
    clients: () => ({ ...aws.clients(), ec2 }),
    logger,
    awsCredentials: async () => CREDENTIALS,
    // Loopback is how the test poses as hosts; the production resolver never looks loopback up.
    ipResolver: (clients) => new Ec2IpResolver({ ec2: clients.ec2 ?? ec2, ecs, logger, retry: { sleep: async () => {} }, lookupAddress: (ip) => (ip.startsWith('unix:') ? null : ip) }),
  })({}, lambdaContext());
  const report = JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as AuditReport;
  expectValidReport(report);
  return report;
}

const metrics = () => Object.fromEntries(aws.cloudwatchMock.commandCalls(PutMetricDataCommand)
  .flatMap((c) => c.args[0].input.MetricData ?? []).map((d) => [d.MetricName, d.Value]));
const email = () => aws.snsMock.commandCalls(PublishCommand)
  .map((c) => (JSON.parse((c.args[0].input as PublishCommandInput).Message ?? '{}') as { email: string; https: string }))[0];
const warnings = (report: AuditReport) => report.findings.filter((f) => f.severity !== 'info');

beforeAll(async () => {
  redis = await startLocalRedis();
  for (const source of FLEET) handles.push(await perRequestLeak({ host: redis.host, port: redis.port }, source, { count: PER_MEMBER }));
  // Idle means 1 s here; the last member started is idle 1 s once the others are.
  await waitForIdle(redis, FLEET[FLEET.length - 1] ?? '', PER_MEMBER, 1);
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.stop()));
  await redis?.stop();
});

beforeEach(() => {
  aws = fakeAws();
  ec2Mock.reset();
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: FLEET.map((ip) => lambdaEni(ip, 'orders-api')) });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ecsMock.reset();
});
afterEach(() => aws.restore());

describe('a fleet leak through the Lambda handler', () => {
  it('groups the fleet\'s addresses into the Lambda function behind them: one finding, its metrics, its e-mail', async () => {
    const report = await run(true);

    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)[0]?.args[0].input.Filters)
      .toEqual([{ Name: 'addresses.private-ip-address', Values: expect.arrayContaining(FLEET) }]);
    expect(warnings(report).map((f) => [f.kind, f.subject.workload, f.subject.identifiedBy, f.evidence.members, f.evidence.connections]))
      .toEqual([['idle-connections', 'Lambda function orders-api', 'aws-resource', FLEET.length, FLEET.length * PER_MEMBER]]);
    expect(warnings(report)[0]?.relatedSources?.length).toBe(5);
    expect(report.summary).toMatchObject({ suspectedLeaks: 1, suspectedLeakConnections: FLEET.length * PER_MEMBER });
    expect(report.groups.byWorkload[0]).toMatchObject({ key: 'lambda:orders-api', members: FLEET.length });

    expect(metrics()).toMatchObject({ SuspectedLeaks: 1, LargestWorkloadConnections: FLEET.length * PER_MEMBER, SuspectedLeakConnections: FLEET.length * PER_MEMBER });
    expect(email()?.email).toContain(`Lambda function orders-api (AWS resource behind the addresses, ${FLEET.length} addresses`);
    expect(email()?.https).toContain('Lambda function orders-api');
  }, 30_000);

  it('groups the tasks of an ECS service into the service, found with DescribeTasks (the interfaces name only their attachment)', async () => {
    // The interfaces carry the cluster's tag but not the service's: ECS itself says which service each task belongs to.
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: FLEET.map((ip) => ecsEni(ip, [{ Key: 'aws:ecs:clusterName', Value: 'prod' }], attachmentIdFor(ip))),
    });
    const tasks = FLEET.map((ip) => ecsTask(ip, { group: 'service:orders', cluster: 'prod' }));
    ecsMock.on(ListTasksCommand).resolves({ taskArns: tasks.map((t) => t.taskArn ?? '') });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks });

    const report = await run(true);

    expect(ecsMock.commandCalls(ListClustersCommand)).toEqual([]);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'prod', desiredStatus: 'RUNNING', maxResults: 100 }]);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'prod', tasks: tasks.map((t) => t.taskArn) }]);
    expect(warnings(report).map((f) => [f.subject.workload, f.subject.identifiedBy, f.evidence.members, f.evidence.connections]))
      .toEqual([['ECS service orders (cluster prod)', 'aws-resource', FLEET.length, FLEET.length * PER_MEMBER]]);
    expect(metrics()).toMatchObject({ SuspectedLeaks: 1, SuspectedLeakConnections: FLEET.length * PER_MEMBER });
    expect(email()?.email).toContain(`ECS service orders (cluster prod) (AWS resource behind the addresses, ${FLEET.length} addresses`);
  }, 30_000);

  it('still finds the fleet without names for its addresses, as the target\'s unnamed clients', async () => {
    const report = await run(false);

    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toEqual([]);
    expect(warnings(report).map((f) => [f.kind, f.subject.identifiedBy, f.evidence.members, f.evidence.connections]))
      .toEqual([['idle-connections', 'address-fleet', FLEET.length, FLEET.length * PER_MEMBER]]);
    expect(report.summary.suspectedLeaks).toBe(1);
    expect(email()?.email).toContain(`unnamed clients on ${FLEET.length} addresses`);
  }, 30_000);
});
