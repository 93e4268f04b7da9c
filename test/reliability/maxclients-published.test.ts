// maxclients exhausted, through the Lambda handler: when the server refuses the auditor itself, the moment
// users need the auditor most, the run is not a silent failure: the report in S3 holds the critical
// `maxclients-exhausted` finding, the metrics say so, and a summary is sent at once. (The CLI's side of the
// same pipeline is in test/integration/history-across-runs.test.ts, "a server at maxclients".)
import { PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { fillUp } from '../support/fill-up.js';
import { expectValidReport } from '../support/report-schema.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { serverPool } from './server-probe.js';

const servers = serverPool();
let server: LocalRedisServer;
let held: RespClient[] = [];
let aws: ReturnType<typeof fakeAws>;
let result: HandlerResult;

beforeAll(async () => {
  server = await servers.start({ args: ['--maxclients', '4'] });
  held = await fillUp(server);
  aws = fakeAws();
  const handler = createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:leaks',
      AUDIT_TARGETS: JSON.stringify([{ name: 'full-cache', url: server.url }]), CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '1000',
    },
    clients: aws.clients,
    logger: new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'SILENT' }),
    awsCredentials: async () => CREDENTIALS,
  });
  result = (await handler({}, lambdaContext())) as HandlerResult;
});
afterAll(async () => {
  await Promise.allSettled(held.map((client) => client.close()));
  aws?.restore();
  await servers.stopAll();
});

const metric = (name: string) => aws.cloudwatchMock.commandCalls(PutMetricDataCommand)
  .flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? [])
  .filter((d) => d.MetricName === name && d.Dimensions?.length === 1)
  .map((d) => d.Value);

describe('a server at maxclients that refuses the auditor, audited by the Lambda', () => {
  it('completes the invocation with the target failed', () => {
    expect(result.targets.map((t) => [t.target, t.status, t.deliveryFailures])).toEqual([['full-cache', 'failed', []]]);
  });

  it('stores a report whose one finding is maxclients-exhausted, critical', () => {
    const report = JSON.parse(aws.objects.get('reports/full-cache/latest.json') ?? '{}') as AuditReport;

    expectValidReport(report);
    expect(report.findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['maxclients-exhausted:critical']);
  });

  it('publishes the heartbeat as failed and counts no metric it could not read as 0', () => {
    expect(metric('AuditSucceeded')).toEqual([0]);
    expect(metric('ConnectedClients')).toEqual([]);
  });

  it('sends a summary at once, naming maxclients', () => {
    const publishes = aws.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input as PublishCommandInput);

    expect(publishes).toHaveLength(1);
    expect(JSON.parse(publishes[0]?.Message ?? '{}').email).toMatch(/maxclients/);
  });
});
