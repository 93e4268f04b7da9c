// Failure semantics of the Lambda handler (docs/lambda.md): warm invocations never leak connections,
// a failing AWS call is retried within bounds and costs only its own output, a missing secret fails only
// its target, bad configuration names the variable.
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { createHandler, secretReader, type HandlerDeps, type HandlerResult } from '../../lambda/handler.js';
import { createSecretsManagerClient, REQUEST_HANDLER } from '../../lambda/publish/aws-clients.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { waitForIdle } from '../support/wait.js';

let redis: LocalRedisServer;
let control: RespClient;
let leak: WorkloadHandle;
let aws: ReturnType<typeof fakeAws>;

const silent = new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'SILENT' });

function handler(extraEnv: Record<string, string> = {}, targets?: object[], overrides: Partial<HandlerDeps> = {}) {
  return createHandler({
    ...overrides,
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:leaks',
      AUDIT_TARGETS: JSON.stringify(targets ?? [{ name: 'cache', url: redis.url }]),
      IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10', ...extraEnv,
    },
    clients: aws.clients,
    logger: silent,
    awsCredentials: async () => CREDENTIALS,
    sleep: async () => undefined,
  });
}
const invoke = (h: ReturnType<typeof handler>) => h({}, lambdaContext()) as Promise<HandlerResult>;

async function info(field: string): Promise<number> {
  const text = String(await control.command('INFO', 'stats'));
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(text)?.[1]);
}

beforeAll(async () => {
  redis = await startLocalRedis();
  control = await RespClient.connect({ host: redis.host, port: redis.port });
  leak = await perRequestLeak({ host: redis.host, port: redis.port }, '127.0.0.41', { count: 20 });
  await waitForIdle(() => control.command('CLIENT', 'LIST'), '127.0.0.41', 20, 1); // idle means 1 s here
});
afterAll(async () => {
  await leak?.stop();
  await control?.close();
  await redis?.stop();
});
afterEach(() => aws.restore());

describe('warm invocations', () => {
  it('leave no auditor connection behind and open exactly one connection per run', async () => {
    aws = fakeAws();
    const warm = handler();
    const before = await info('total_connections_received');
    for (let i = 0; i < 20; i += 1) await invoke(warm);
    expect(await info('total_connections_received')).toBe(before + 20);
    const list = String(await control.command('CLIENT', 'LIST'));
    expect(list).not.toContain('name=redis-leak-auditor');
  }, 60_000);
});

describe('AWS failures', () => {
  it('still publishes metrics and the summary when S3 refuses the report', async () => {
    aws = fakeAws();
    aws.s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const result = await invoke(handler());
    expect(result.targets[0]?.deliveryFailures).toEqual(['save-report', 'save-state']);
    expect(aws.s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2); // AccessDenied is not retried
    expect(aws.cloudwatchMock.commandCalls(PutMetricDataCommand).length).toBeGreaterThan(0);
    expect(aws.snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('does not overwrite a state it could not read', async () => {
    aws = fakeAws();
    aws.s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const result = await invoke(handler());
    expect(result.targets[0]?.deliveryFailures).toEqual(['load-state']);
    const keys = aws.s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toContain('reports/cache/latest.json');
    expect(keys).not.toContain('state/cache.json');
  });

  it('retries a throttled PutMetricData and delivers it', async () => {
    aws = fakeAws();
    aws.cloudwatchMock.on(PutMetricDataCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolves({});
    const result = await invoke(handler());
    expect(result.targets[0]?.deliveryFailures).toEqual([]);
    expect(aws.cloudwatchMock.commandCalls(PutMetricDataCommand)).toHaveLength(2);
  });

  it('keeps the run when SNS fails, and tries the notification again next run', async () => {
    aws = fakeAws();
    aws.snsMock.on(PublishCommand).rejects(Object.assign(new Error('Internal'), { name: 'InternalErrorException', $metadata: { httpStatusCode: 500 } }));
    const first = await invoke(handler());
    expect(first.targets[0]?.deliveryFailures).toEqual(['notify']);
    expect(aws.snsMock.commandCalls(PublishCommand)).toHaveLength(3); // bounded: three attempts
    aws.snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    const second = await invoke(handler());
    expect(second.targets[0]?.notified).toBe(true);
  });

  it('fails the invocation when neither the report nor the metrics could be delivered', async () => {
    aws = fakeAws();
    aws.s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    aws.cloudwatchMock.on(PutMetricDataCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    await expect(invoke(handler())).rejects.toThrow('no report and no metrics could be delivered for cache');
  });
});

describe('per-target fan-out', () => {
  it('audits only the target the scheduled event names', async () => {
    aws = fakeAws();
    const fleet = handler({}, [{ name: 'first', url: redis.url }, { name: 'second', url: redis.url }]);
    const result = (await fleet({ targets: ['second'] }, lambdaContext())) as HandlerResult;
    expect(result.targets.map((t) => t.target)).toEqual(['second']);
    expect(aws.objects.has('reports/second/latest.json')).toBe(true);
    expect(aws.objects.has('reports/first/latest.json')).toBe(false);
  });
});

describe('credentials and configuration', () => {
  it('fails only the target whose secret cannot be read, and says why in its report', async () => {
    aws = fakeAws();
    const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing-Xy12Ab';
    const result = await invoke(handler({}, [{ name: 'locked', url: redis.url, authSecretArn: missing }, { name: 'cache', url: redis.url }]));
    expect(result.targets.map((t) => t.status)).toEqual(['failed', 'ok']);
    const report = JSON.parse(aws.objects.get('reports/locked/latest.json') ?? '{}') as { nodes: Array<{ errors: string[] }> };
    expect(report.nodes[0]?.errors[0]).toMatch(/^the auth secret missing-Xy12Ab could not be read \(ResourceNotFoundException\)/);
  });

  it("fails only the target whose Secrets Manager endpoint hangs, within the client's request timeout", async () => {
    // An endpoint that accepts the connection and never answers (a black-holed NAT, a stuck proxy).
    const sockets: Socket[] = [];
    let received = '';
    const hung = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (chunk) => { received += chunk.toString('utf8'); });
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as { port: number };
    aws = fakeAws();
    aws.secretsMock.restore(); // the real client, against the hung endpoint
    const client = createSecretsManagerClient({ region: REGION, endpoint: `http://127.0.0.1:${port}`, credentials: CREDENTIALS });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hung-Xy12Ab';
    const started = Date.now();
    try {
      const result = await invoke(handler({}, [{ name: 'locked', url: redis.url, authSecretArn: arn }, { name: 'cache', url: redis.url }],
        { getSecret: secretReader(new SecretsProvider({ awsSdkV3Client: client })) }));
      const elapsedMs = Date.now() - started;

      expect(result.targets.map((t) => t.status)).toEqual(['failed', 'ok']);
      expect(elapsedMs).toBeGreaterThanOrEqual(REQUEST_HANDLER.requestTimeout - 100);
      expect(elapsedMs).toBeLessThan(REQUEST_HANDLER.requestTimeout + 5_000);
      const report = JSON.parse(aws.objects.get('reports/locked/latest.json') ?? '{}') as { nodes: Array<{ errors: string[] }> };
      expect(report.nodes[0]?.errors[0]).toMatch(/^the auth secret hung-Xy12Ab could not be read \(TimeoutError\): Secrets Manager did not answer/);
      // Exactly one GetSecretValue for that secret, one attempt (no SDK retries behind our back).
      expect(sockets).toHaveLength(1);
      expect(received.toLowerCase()).toContain('x-amz-target: secretsmanager.getsecretvalue');
      expect(received.split('\r\n\r\n')[1]).toBe(JSON.stringify({ SecretId: arn }));
    } finally {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  }, 40_000);

  it('rejects every invocation with the variable named when the configuration is bad', async () => {
    aws = fakeAws();
    const bad = handler({ REPORT_BUCKET: 'Not_A_Bucket' });
    await expect(invoke(bad)).rejects.toThrow("REPORT_BUCKET is not an S3 bucket name: got 'Not_A_Bucket'");
    await expect(invoke(bad)).rejects.toThrow('REPORT_BUCKET');
    expect(aws.s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
