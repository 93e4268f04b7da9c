// Secrets through the Lambda handler on its failure paths (the success path is checked in
// test/integration/handler.test.ts): a wrong password in the Secrets Manager secret, in each form a secret
// may take, appears in no log line, report, state, metric, notification or returned result, although the
// run fails, is logged, and (NOTIFY_AFTER_FAILURES=1) is notified.
import { PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DecryptionFailure, GetSecretValueCommand, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { PublishCommand } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { serverPool } from './server-probe.js';

const RIGHT = 'Right-S3cr-Yq7Lp';
const WRONG = 'Wrong-S3cr-Hx5Nb';
// Powertools caches a secret's value for SECRET_MAX_AGE_SECONDS, per process: each test reads its own ARN.
let secretCount = 0;
const nextSecretArn = () => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-auth-${String(++secretCount).padStart(6, '0')}`;

const servers = serverPool();
let server: LocalRedisServer;
let aws: ReturnType<typeof fakeAws>;
let logged = '';

beforeAll(async () => {
  process.env.POWERTOOLS_DEV = 'true'; // Powertools logs through console, where every line is captured
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged += `${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}\n`;
    });
  }
  server = await servers.start({ args: ['--requirepass', RIGHT, '--user', 'leak-auditor', 'on', `>${RIGHT}`, '+client|list', '+client|setname', '+info', '+ping'] });
});
afterAll(async () => {
  vi.restoreAllMocks();
  delete process.env.POWERTOOLS_DEV;
  await servers.stopAll();
});
afterEach(() => {
  aws.restore();
  logged = '';
});

/** Invokes the handler with a secret that holds `secret`, or that Secrets Manager refuses with `secret`. */
async function invokeWithSecret(secret: string | Error): Promise<{ result: HandlerResult; everything: string; arn: string }> {
  const arn = nextSecretArn();
  aws = fakeAws(typeof secret === 'string' ? { [arn]: secret } : {});
  if (secret instanceof Error) aws.secretsMock.on(GetSecretValueCommand).rejects(secret);
  const handler = createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:leaks',
      AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: server.url, authSecretArn: arn }]),
      NOTIFY_AFTER_FAILURES: '1', CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '1000',
    },
    clients: aws.clients,
    logger: new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'DEBUG' }),
    awsCredentials: async () => CREDENTIALS,
  });
  const result = (await handler({}, lambdaContext())) as HandlerResult;
  const metrics = aws.cloudwatchMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input as PutMetricDataCommandInput);
  const publishes = aws.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
  const everything = [logged, JSON.stringify(result), ...aws.objects.values(), JSON.stringify(metrics), JSON.stringify(publishes)].join('\n');
  return { result, everything, arn };
}

describe('a wrong password in the auth secret', () => {
  it.each([
    ['JSON with a user name', JSON.stringify({ username: 'leak-auditor', password: WRONG })],
    ['JSON with an ElastiCache authToken', JSON.stringify({ authToken: WRONG })],
    ['a bare string', WRONG],
    ['text that starts like JSON but is not', `{${WRONG}`],
  ])('in %s fails the target and shows the password nowhere', async (_, secret) => {
    const { result, everything } = await invokeWithSecret(secret);

    expect(result.targets.map((t) => t.status)).toEqual(['failed']);
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(RIGHT);
  });

  it('is still reported: the failure is logged, stored in the report and notified, without the password', async () => {
    const { everything } = await invokeWithSecret(JSON.stringify({ username: 'leak-auditor', password: WRONG }));

    const report = JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as { nodes: Array<{ errors: string[] }> };
    expect(report.nodes[0]?.errors.join('\n')).toMatch(/WRONGPASS/);
    expect(logged).toMatch(/WRONGPASS/);
    expect(aws.snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(everything).not.toContain(WRONG);
  });
});

describe('a secret that is JSON without a password', () => {
  it('fails the target naming the secret, and shows none of its value', async () => {
    const { result, everything } = await invokeWithSecret(JSON.stringify({ username: 'leak-auditor', passwd: WRONG }));

    expect(result.targets.map((t) => t.status)).toEqual(['failed']);
    expect(logged).toMatch(/is JSON without a .*password/);
    expect(logged).toContain(`orders-auth-${String(secretCount).padStart(6, '0')}`);
    expect(everything).not.toContain(WRONG);
  });
});

describe('a secret encrypted with a KMS key the auditor may not use', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const ROLE = 'arn:aws:sts::123456789012:assumed-role/auditor-role/redis-leak-auditor';

  it.each([
    ['AccessDeniedException', new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 },
      message: `Access to KMS is not allowed. User: ${ROLE} is not authorized to perform: kms:Decrypt on resource: ${KEY}` })],
    ['DecryptionFailure', new DecryptionFailure({ message: `Secrets Manager can't decrypt the protected secret text using the provided KMS key ${KEY}.`, $metadata: {} })],
  ])('fails the target saying so in its report and log (%s), without the key, the role or the ARN suffix', async (name, refusal) => {
    const { result, everything, arn } = await invokeWithSecret(refusal);

    expect(aws.secretsMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: arn }]);
    expect(result.targets.map((t) => t.status)).toEqual(['failed']);
    const secretName = arn.split(':secret:')[1] ?? '';
    const sentence = `the auth secret ${secretName} is encrypted with a KMS key the auditor may not use: give the key's ARN as authSecretKmsKeyArn (the stack grants kms:Decrypt through Secrets Manager), or grant it yourself (${name})`;
    const report = JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as { nodes: Array<{ errors: string[] }> };
    expect(report.nodes[0]?.errors[0]).toBe(sentence);
    expect(logged).toContain(sentence);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(ROLE);
    expect(everything).not.toContain(':secret:'); // the secret's name only, never its ARN
  });
});
