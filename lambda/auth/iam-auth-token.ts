// ElastiCache IAM authentication: the AUTH password is a SigV4-presigned "connect" request for the cache
// (service `elasticache`), valid 15 minutes. Made fresh for every run: a token is cheap, an expired one
// is an outage of the auditor.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { buildQueryString } from '@smithy/querystring-builder';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** ElastiCache accepts tokens for at most 15 minutes. */
export const IAM_TOKEN_TTL_SECONDS = 900;

export interface IamTokenRequest {
  /** Replication group id or serverless cache name (lower case, as ElastiCache stores it). */
  readonly cacheName: string;
  /** The ElastiCache user id of the IAM-enabled user (it must equal its user name). */
  readonly userId: string;
  readonly region: string;
  readonly serverless: boolean;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time; defaults to now. */
  readonly signingDate?: Date;
}

export async function iamAuthToken(request: IamTokenRequest): Promise<string> {
  const hostname = request.cacheName.toLowerCase();
  const query: Record<string, string> = { Action: 'connect', User: request.userId };
  if (request.serverless) query.ResourceType = 'ServerlessCache';
  const signer = new SignatureV4({
    service: 'elasticache',
    region: request.region,
    credentials: request.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: 'http:', hostname, path: '/', query, headers: { host: hostname } }),
    { expiresIn: IAM_TOKEN_TTL_SECONDS, ...(request.signingDate ? { signingDate: request.signingDate } : {}) },
  );
  // The token is the presigned URL without its scheme.
  return `${hostname}/?${buildQueryString(presigned.query ?? {})}`;
}
