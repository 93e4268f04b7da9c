// AWS for handler tests: aws-sdk-client-mock on real SDK clients, with an in-memory S3 so that state
// written by one invocation is read by the next. Every command stays inspectable for exact assertions.
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';

export const REGION = 'eu-west-1';
export const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key', expiration: new Date(Date.now() + 3_600_000) };

export function fakeAws(secrets: Record<string, string> = {}) {
  const objects = new Map<string, string>();
  const s3 = new S3Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  const cloudwatch = new CloudWatchClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  const sns = new SNSClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  const s3Mock = mockClient(s3);
  const cloudwatchMock = mockClient(cloudwatch);
  const snsMock = mockClient(sns);
  const secretsMock = mockClient(SecretsManagerClient);

  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    objects.set(input.Key, String(input.Body));
    return { ETag: '"etag"' };
  });
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return { Body: { transformToString: async () => body } };
  });
  cloudwatchMock.on(PutMetricDataCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  secretsMock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const value = secrets[input.SecretId];
    if (value === undefined) throw Object.assign(new Error('Secrets Manager can not find the specified secret.'), { name: 'ResourceNotFoundException' });
    return { SecretString: value, ARN: input.SecretId, Name: 'secret' };
  });

  return {
    objects,
    clients: () => ({ s3, cloudwatch, sns }),
    s3Mock,
    cloudwatchMock,
    snsMock,
    secretsMock,
    restore() {
      for (const mock of [s3Mock, cloudwatchMock, snsMock, secretsMock]) mock.restore();
    },
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'redis-leak-auditor',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:redis-leak-auditor',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/redis-leak-auditor',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
