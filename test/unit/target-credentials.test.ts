import { describe, expect, it } from 'vitest';
import { connectableTarget } from '../../lambda/auth/target-credentials.js';
import { DecryptionFailure, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { CredentialsError, SecretKeyAccessError } from '../../lambda/core/errors.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth-AbCdEf';
const sources = (value: string | undefined | Error) => ({
  getSecret: async () => {
    if (value instanceof Error) throw value;
    return value;
  },
  awsCredentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }),
  region: 'eu-west-1',
});
const target = { name: 'c', url: 'redis://cache.internal:6380', authSecretArn: ARN };

describe('connectableTarget', () => {
  it.each([
    ['a bare password', 's3cret', { password: 's3cret' }],
    ['JSON with password and a user', '{"username":"auditor","password":"s3cret"}', { username: 'auditor', password: 's3cret' }],
    ['JSON with the default user (sent as one-argument AUTH)', '{"username":"default","password":"s3cret"}', { password: 's3cret' }],
    ["ElastiCache's authToken key", '{"authToken":"s3cret"}', { password: 's3cret' }],
    ['a password that only looks like JSON', '{not-json', { password: '{not-json' }],
  ])('reads %s', async (_what, secret, expected) => {
    const result = await connectableTarget(target, sources(secret));
    expect({ username: result.username, password: result.password }).toEqual({ username: undefined, ...expected });
    expect(result.display).toBe('redis://cache.internal:6380');
  });

  it('says what is wrong with a JSON secret without a password, never its content', async () => {
    const err = (await connectableTarget(target, sources('{"user":"x","pass":"hunter2"}')).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toBe('the auth secret auth-AbCdEf is JSON without a "password" (or "authToken") string');
  });

  it('names the cause when the secret cannot be read', async () => {
    const denied = Object.assign(new Error('wrapped'), { name: 'GetParameterError', cause: Object.assign(new Error('no'), { name: 'AccessDeniedException' }) });
    await expect(connectableTarget(target, sources(denied))).rejects.toThrow('the auth secret auth-AbCdEf could not be read (AccessDeniedException)');
  });

  describe('a secret encrypted with a KMS key the auditor may not use', () => {
    const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const wrapped = (cause: Error) => Object.assign(new Error(cause.message), { name: 'GetParameterError', cause });
    const SENTENCE = 'the auth secret auth-AbCdEf is encrypted with a KMS key the auditor may not use: give the key\'s ARN as authSecretKmsKeyArn (the stack grants kms:Decrypt through Secrets Manager), or grant it yourself';

    it.each([
      ['DecryptionFailure', new DecryptionFailure({ message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.", $metadata: {} })],
      ['AccessDeniedException', new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 },
        message: `Access to KMS is not allowed. User: arn:aws:sts::123456789012:assumed-role/auditor/fn is not authorized to perform: kms:Decrypt on resource: ${KEY}` })],
    ])('says so when Secrets Manager answers %s, naming neither the key nor the role', async (name, refusal) => {
      const err = (await connectableTarget(target, sources(wrapped(refusal))).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(SecretKeyAccessError);
      expect(err).toBeInstanceOf(CredentialsError);
      expect(err.message).toBe(`${SENTENCE} (${name})`);
      expect(err.message).not.toContain(KEY);
      expect(err.message).not.toContain('assumed-role');
    });

    it('does not blame KMS for an AccessDeniedException about the secret itself', async () => {
      const denied = new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 },
        message: 'User: arn:aws:sts::123456789012:assumed-role/auditor/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: x' });
      const err = (await connectableTarget(target, sources(wrapped(denied))).catch((e: unknown) => e)) as Error;
      expect(err).not.toBeInstanceOf(SecretKeyAccessError);
      expect(err.message).toBe("the auth secret auth-AbCdEf could not be read (AccessDeniedException); check the ARN and the role's secretsmanager:GetSecretValue permission");
    });
  });

  it('points at the network path when Secrets Manager does not answer in time', async () => {
    const timeout = Object.assign(new Error('wrapped'), { name: 'GetParameterError', cause: Object.assign(new Error('a request has exceeded the configured 15000 ms requestTimeout.'), { name: 'TimeoutError' }) });
    await expect(connectableTarget(target, sources(timeout))).rejects.toThrow('the auth secret auth-AbCdEf could not be read (TimeoutError): Secrets Manager did not answer; check the network path');
  });

  it('forces TLS when asked, and shows it', async () => {
    const result = await connectableTarget({ name: 'c', url: 'redis://cache.internal:6380', tls: true }, sources(undefined));
    expect(result).toMatchObject({ tls: true, display: 'rediss://cache.internal:6380' });
  });

  it('authenticates IAM targets with the user id and a fresh token', async () => {
    const result = await connectableTarget({ name: 'c', url: 'rediss://cache.internal:6379', iamUser: 'auditor', cacheName: 'orders' }, sources(undefined));
    expect(result.username).toBe('auditor');
    expect(result.password).toMatch(/^orders\/\?Action=connect&User=auditor&X-Amz-Algorithm=AWS4-HMAC-SHA256/);
  });
});
