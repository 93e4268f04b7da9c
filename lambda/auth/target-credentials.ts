// Turns a configured target into a connectable one: the URL (never with a password, the config refuses
// that), plus the password from Secrets Manager or an IAM token. The secret's value never leaves here
// except inside the RedisTarget handed to the connection.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { TargetConfig } from '../config.js';
import { CredentialsError, SecretKeyAccessError } from '../core/errors.js';
import { parseTargetUrl, type RedisTarget } from '../redis/target-url.js';
import { iamAuthToken } from './iam-auth-token.js';

export interface CredentialSources {
  /** Reads a secret's string value (cached by the caller's provider). */
  readonly getSecret: (arn: string) => Promise<string | undefined>;
  readonly awsCredentials: AwsCredentialIdentityProvider;
  readonly region: string;
}

/** The configured target without credentials: where to connect, and its display form (the state's key). */
export function baseTarget(config: TargetConfig): RedisTarget {
  const parsed = parseTargetUrl(config.url);
  return config.tls === true && !parsed.tls
    ? { ...parsed, tls: true, display: parsed.display.replace(/^redis:/, 'rediss:') }
    : parsed;
}

export async function connectableTarget(config: TargetConfig, sources: CredentialSources): Promise<RedisTarget> {
  const target = baseTarget(config);
  if (config.authSecretArn !== undefined) {
    const { username, password } = await secretCredentials(config.authSecretArn, sources);
    return { ...target, password, ...(username ?? target.username ? { username: username ?? target.username } : {}) };
  }
  if (config.iamUser !== undefined && config.cacheName !== undefined) {
    try {
      const token = await iamAuthToken({
        cacheName: config.cacheName,
        userId: config.iamUser,
        region: sources.region,
        serverless: config.serverless === true,
        credentials: sources.awsCredentials,
      });
      return { ...target, username: config.iamUser, password: token };
    } catch (err) {
      throw new CredentialsError(`the IAM auth token for ${target.display} could not be signed (${errorName(err)})`, { cause: err });
    }
  }
  return target;
}

/**
 * A secret holds either the bare password, or JSON with `password` (or ElastiCache's `authToken`) and an
 * optional `username`, as CDK's generated secrets do.
 */
async function secretCredentials(arn: string, sources: CredentialSources): Promise<{ username?: string; password: string }> {
  let value: string | undefined;
  try {
    value = await sources.getSecret(arn);
  } catch (err) {
    const name = errorName(err);
    // The service's message is left out: it names the key and the role, and says nothing the sentence does not.
    if (isKmsRefusal(err)) {
      throw new SecretKeyAccessError(`the auth secret ${secretName(arn)} is encrypted with a KMS key the auditor may not use: give the key's ARN as authSecretKmsKeyArn (the stack grants kms:Decrypt through Secrets Manager), or grant it yourself (${name})`, { cause: err });
    }
    if (name === 'TimeoutError') {
      throw new CredentialsError(`the auth secret ${secretName(arn)} could not be read (TimeoutError): Secrets Manager did not answer; check the network path to it (NAT or a secretsmanager VPC endpoint)`, { cause: err });
    }
    throw new CredentialsError(`the auth secret ${secretName(arn)} could not be read (${name}); check the ARN and the role's secretsmanager:GetSecretValue permission`, { cause: err });
  }
  if (value === undefined || value === '') throw new CredentialsError(`the auth secret ${secretName(arn)} has no string value`);
  if (!value.trimStart().startsWith('{')) return { password: value };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // Not JSON after all: a password that happens to start with "{".
    return { password: value };
  }
  const record = parsed as Record<string, unknown>;
  const password = record.password ?? record.authToken ?? record.auth_token;
  if (typeof password !== 'string' || password === '') {
    throw new CredentialsError(`the auth secret ${secretName(arn)} is JSON without a "password" (or "authToken") string`);
  }
  // `AUTH password` alone is the default user on every server (and the only form before Redis 6, and with
  // ElastiCache's legacy AUTH token), so "default" is sent as the one-argument form.
  const username = typeof record.username === 'string' && record.username !== '' && record.username !== 'default' ? record.username : undefined;
  return username ? { username, password } : { password };
}

/** The secret's name from its ARN: enough to find it, nothing of its value. */
function secretName(arn: string): string {
  return arn.split(':secret:')[1] ?? arn;
}

/** The innermost cause: Powertools wraps SDK errors (GetParameterError), the SDK's error says why. */
function innermost(err: unknown): unknown {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

function errorName(err: unknown): string {
  const current = innermost(err);
  return current instanceof Error ? current.name : typeof current;
}

/**
 * Secrets Manager could not decrypt the secret for this caller: DecryptionFailure, or AccessDeniedException
 * whose message is about KMS ("Access to KMS is not allowed", "... not authorized to perform: kms:Decrypt").
 */
function isKmsRefusal(err: unknown): boolean {
  const current = innermost(err);
  if (!(current instanceof Error)) return false;
  if (current.name === 'DecryptionFailure') return true;
  return current.name === 'AccessDeniedException' && /\bKMS\b|kms:/i.test(current.message);
}
