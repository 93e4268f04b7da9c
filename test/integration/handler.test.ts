// The real Lambda handler, in-process, against a real redis-server with leaky clients; AWS captured by
// aws-sdk-client-mock with an in-memory S3, so consecutive invocations share their state like in AWS.
import { PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, pubsubLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { expectValidReport } from '../support/report-schema.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { waitForIdle } from '../support/wait.js';

const PASSWORD = 'handler-Pa55-never-logged';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-auth-AbCdEf';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:redis-leaks';

let redis: LocalRedisServer;
let deadPort: number;
const handles: WorkloadHandle[] = [];
let aws: ReturnType<typeof fakeAws>;
let logged = '';

function env(targets: object[], extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN, AUDIT_TARGETS: JSON.stringify(targets),
    IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10', CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000', ...extra,
  };
}

const orders = () => ({ name: 'orders-cache', url: `redis://127.0.0.1:${redis.port}`, authSecretArn: SECRET_ARN });
const gone = () => ({ name: 'gone-cache', url: `redis://127.0.0.1:${deadPort}` });

function handlerFor(targets: object[], extra: Record<string, string> = {}) {
  const logger = new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'DEBUG' });
  return createHandler({
    env: env(targets, extra), clients: aws.clients, logger, awsCredentials: async () => CREDENTIALS,
  });
}

const invoke = (handler: ReturnType<typeof handlerFor>) => handler({}, lambdaContext()) as Promise<HandlerResult>;
const puts = () => aws.s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
const publishes = () => aws.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input as PublishCommandInput);
const metricData = () => aws.cloudwatchMock.commandCalls(PutMetricDataCommand).flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? []);
const metric = (name: string, target: string) =>
  metricData().filter((d) => d.MetricName === name && d.Dimensions?.length === 1 && d.Dimensions[0]?.Value === target).map((d) => d.Value);

beforeAll(async () => {
  // POWERTOOLS_DEV makes Powertools log through the global console, where every line is captured to
  // prove that no secret is ever logged.
  process.env.POWERTOOLS_DEV = 'true';
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged += `${args.map(String).join(' ')}\n`;
    });
  }
  // The auditor logs in as a least-privilege ACL user whose password is in Secrets Manager; the
  // applications use the default user.
  redis = await startLocalRedis({
    args: ['--user', 'leak-auditor', 'on', `>${PASSWORD}`, '+client|list', '+client|setname', '+info', '+ping'],
  });
  deadPort = await freePort();
  const target = { host: redis.host, port: redis.port };
  handles.push(await perRequestLeak(target, '127.0.0.31', { count: 24, name: 'checkout' }));
  await waitForIdle(target, '127.0.0.31', 24, 1); // idle means 1 s here
});

afterAll(async () => {
  vi.restoreAllMocks();
  delete process.env.POWERTOOLS_DEV;
  await Promise.allSettled(handles.map((h) => h.stop()));
  await redis?.stop();
});

describe('the Lambda handler over two targets, one of them unreachable', () => {
  let handler: ReturnType<typeof handlerFor>;
  let first: HandlerResult;

  beforeAll(async () => {
    aws = fakeAws({ [SECRET_ARN]: JSON.stringify({ username: 'leak-auditor', password: PASSWORD }) });
    handler = handlerFor([orders(), gone()]);
    first = await invoke(handler);
  }, 30_000);
  afterAll(() => aws.restore());

  it('audits the reachable target although the other one fails', () => {
    expect(first.targets.map((t) => [t.target, t.status])).toEqual([['orders-cache', 'ok'], ['gone-cache', 'failed']]);
  });

  it('writes the dated report, latest.json and the state under the contract keys', () => {
    const keys = puts().map((p) => p.Key);
    expect(keys).toEqual(expect.arrayContaining([
      expect.stringMatching(/^reports\/orders-cache\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.json$/),
      'reports/orders-cache/latest.json',
      'state/orders-cache.json',
      'reports/gone-cache/latest.json',
      'state/gone-cache.json',
    ]));
    for (const put of puts().filter((p) => p.Key?.startsWith('reports/') && p.Key.endsWith('.json'))) {
      expect(put.ContentType).toBe('application/json; charset=utf-8');
      expectValidReport(JSON.parse(String(put.Body)));
    }
  });

  it('stores the HTML page beside each JSON report, and as latest.html', () => {
    const html = puts().filter((p) => p.Key?.endsWith('.html'));
    expect(html.map((p) => p.Key)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^reports\/orders-cache\/\d{4}\/\d{2}\/\d{2}\/.*Z\.html$/),
      'reports/orders-cache/latest.html',
    ]));
    expect(html.every((p) => p.ContentType === 'text/html; charset=utf-8')).toBe(true);
    expect(aws.objects.get('reports/orders-cache/latest.html')).toContain('127.0.0.31');
  });

  it('finds the leak and publishes it as metrics with the Target dimension', () => {
    const report = JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as { findings: Array<{ kind: string; subject: { sourceIp?: string } }> };
    expect(report.findings.some((f) => f.kind === 'idle-connections' && f.subject.sourceIp === '127.0.0.31')).toBe(true);
    expect(aws.cloudwatchMock.commandCalls(PutMetricDataCommand).every((c) => c.args[0].input.Namespace === 'RedisLeakAuditor')).toBe(true);
    expect(metric('SuspectedLeaks', 'orders-cache')[0]).toBeGreaterThanOrEqual(1);
    expect(metric('AuditSucceeded', 'orders-cache')).toEqual([1]);
    expect(metric('AuditSucceeded', 'gone-cache')).toEqual([0]);
    expect(metric('ConnectedClients', 'orders-cache')[0]).toBeGreaterThanOrEqual(24);
  });

  it('sends one summary, for the leak, as SNS JSON with email and Chatbot parts', () => {
    expect(publishes()).toHaveLength(1);
    const [publish] = publishes();
    expect(publish).toMatchObject({ TopicArn: TOPIC_ARN, MessageStructure: 'json' });
    expect(publish?.Subject).toContain('orders-cache');
    const message = JSON.parse(publish?.Message ?? '{}') as { default: string; email: string; https: string };
    expect(message.email).toContain('127.0.0.31');
    // The link people click opens the HTML page; the JSON stays linked for scripts.
    expect(message.email).toMatch(/Direct download: https:\/\/\S+\.html\?/);
    expect(message.email).toMatch(/The report as JSON, for scripts: https:\/\/\S+\.json/);
    const chatbot = JSON.parse(message.https) as { version: string; source: string; content: { textType: string }; metadata: { threadId: string } };
    expect(chatbot).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(chatbot.metadata.threadId).toContain('orders-cache');
  });

  it('does not repeat the same findings within the cooldown, and reports the target unreachable after two failures', async () => {
    await invoke(handler);
    const subjects = publishes().map((p) => `${p.Subject ?? ''} ${JSON.parse(p.Message ?? '{}').default}`);
    expect(subjects[1]).toContain('gone-cache');
    expect(subjects).toHaveLength(2);
  });

  it('notifies again when a new leak appears', async () => {
    handles.push(await pubsubLeak({ host: redis.host, port: redis.port }, '127.0.0.33', { count: 12 }));
    await waitForIdle(redis, '127.0.0.33', 12, 1);
    await invoke(handler);
    const last = publishes()[publishes().length - 1];
    expect(publishes()).toHaveLength(3);
    expect(last?.Subject).toContain('orders-cache');
    expect(JSON.parse(last?.Message ?? '{}').email).toContain('127.0.0.33');
  });

  it('never puts the password in a log line, report, state, metric or notification', () => {
    const everything = [logged, ...aws.objects.values(), JSON.stringify(metricData()), JSON.stringify(publishes())].join('\n');
    expect(logged).toContain('orders-cache');
    expect(everything).not.toContain(PASSWORD);
  });
});
