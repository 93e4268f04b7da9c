// The handler reading its target list from S3, as the stack deploys it (lib/audit-target-list.ts): the exact
// version its environment pins, once per execution environment; a bad or missing list is a configuration error
// that is kept, an S3 failure is not (the next invocation reads again). Against a real redis-server.
import { GetObjectCommand, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { MAX_TARGET_LIST_BYTES, TARGET_LIST_KEY } from '../../lambda/target-list-object.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';

const VERSION = '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY';
let redis: LocalRedisServer;
let aws: ReturnType<typeof fakeAws>;
let logged = '';

const env = (extra: Record<string, string> = {}) => ({
  AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', AUDIT_TARGETS_S3_KEY: TARGET_LIST_KEY, AUDIT_TARGETS_S3_VERSION: VERSION,
  CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000', ...extra,
});

function handlerWith(extra: Record<string, string> = {}) {
  const logger = new Logger({ serviceName: 'redis-leak-auditor-test' });
  return createHandler({ env: env(extra), clients: aws.clients, logger, awsCredentials: async () => CREDENTIALS, sleep: async () => undefined });
}
const invoke = (handler: ReturnType<typeof handlerWith>) => handler({}, lambdaContext()) as Promise<HandlerResult>;
const listReads = () => aws.s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input as GetObjectCommandInput).filter((i) => i.Key === TARGET_LIST_KEY);

beforeAll(async () => {
  process.env.POWERTOOLS_DEV = 'true';
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged += `${args.map(String).join(' ')}\n`;
    });
  }
  redis = await startLocalRedis();
});

afterAll(async () => {
  vi.restoreAllMocks();
  delete process.env.POWERTOOLS_DEV;
  await redis?.stop();
});

beforeEach(() => {
  aws?.restore();
  aws = fakeAws();
  logged = '';
});

describe('the target list in S3', () => {
  it('audits the targets of the pinned version, and reads the list once per execution environment', async () => {
    aws.objects.set(TARGET_LIST_KEY, JSON.stringify([{ name: 'orders-cache', url: `redis://127.0.0.1:${redis.port}` }]));
    const handler = handlerWith();
    const first = await invoke(handler);
    const second = await invoke(handler);
    expect(first.targets.map((t) => [t.target, t.status])).toEqual([['orders-cache', 'ok']]);
    expect(second.targets.map((t) => t.target)).toEqual(['orders-cache']);
    expect(listReads()).toEqual([{ Bucket: 'audit-reports-test', Key: TARGET_LIST_KEY, VersionId: VERSION }]);
  });

  it('names the object when the list is invalid, and keeps that error instead of reading again', async () => {
    aws.objects.set(TARGET_LIST_KEY, JSON.stringify([{ name: 'orders cache', url: 'redis://10.0.0.1:6379' }]));
    const handler = handlerWith();
    await expect(invoke(handler)).rejects.toThrow(`the target list s3://audit-reports-test/${TARGET_LIST_KEY}[0].name: expected 1-64 characters`);
    await expect(invoke(handler)).rejects.toThrow('[0].name');
    expect(listReads()).toHaveLength(1);
    expect(logged).toContain('configuration is invalid');
  });

  it('tells the user to deploy again when the pinned version is gone', async () => {
    aws.s3Mock.on(GetObjectCommand, { Key: TARGET_LIST_KEY }).rejects(Object.assign(new Error('The specified version does not exist.'), { name: 'NoSuchVersion', $metadata: { httpStatusCode: 404 } }));
    await expect(invoke(handlerWith())).rejects.toThrow(`the target list s3://audit-reports-test/${TARGET_LIST_KEY} (version ${VERSION}) is missing: the stack writes it at deploy time; deploy the stack again`);
  });

  it('reads again on the next invocation when S3 failed (retried three times first)', async () => {
    aws.s3Mock.on(GetObjectCommand, { Key: TARGET_LIST_KEY }).rejects(Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }));
    const handler = handlerWith();
    await expect(invoke(handler)).rejects.toThrow(`s3 GetObject ${TARGET_LIST_KEY} failed after 3 attempts`);
    expect(logged).toContain('configuration could not be read');
    expect(listReads()).toHaveLength(3);
    aws.s3Mock.on(GetObjectCommand, { Key: TARGET_LIST_KEY }).resolves({ Body: { transformToString: async () => JSON.stringify([{ name: 'orders-cache', url: `redis://127.0.0.1:${redis.port}` }]) } } as never);
    const recovered = await invoke(handler);
    expect(recovered.targets.map((t) => [t.target, t.status])).toEqual([['orders-cache', 'ok']]);
    expect(listReads()).toHaveLength(4);
  });

  it('refuses a list larger than any 50 targets need, without reading its body', async () => {
    const destroy = vi.fn();
    aws.s3Mock.on(GetObjectCommand, { Key: TARGET_LIST_KEY }).resolves({ ContentLength: MAX_TARGET_LIST_BYTES + 1, Body: { destroy, transformToString: async () => 'x' } } as never);
    await expect(invoke(handlerWith())).rejects.toThrow(`the target list s3://audit-reports-test/${TARGET_LIST_KEY} is larger than ${MAX_TARGET_LIST_BYTES} bytes`);
    expect(destroy).toHaveBeenCalled();
  });

  it('refuses AUDIT_TARGETS beside the S3 list: the targets are in one place', async () => {
    aws.objects.set(TARGET_LIST_KEY, '[]');
    await expect(invoke(handlerWith({ AUDIT_TARGETS: '[{"name":"x","url":"redis://10.0.0.1:6379"}]' }))).rejects.toThrow('AUDIT_TARGETS and AUDIT_TARGETS_S3_KEY are both set');
  });
});
