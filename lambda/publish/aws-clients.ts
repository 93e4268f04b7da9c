// The SDK clients of the publish adapters, created once per execution environment and reused by warm
// invocations (their connection pools and resolved credentials survive between runs).
//
// maxAttempts 1: retries are ours alone (retry.ts): bounded, logged, and not multiplied by the SDK's own.
// Timeouts: with no SDK retries, a hung socket must fail fast (TimeoutError, which withRetry retries)
// instead of eating the Lambda's whole timeout.
//
// Endpoints: the installed SDK (@smithy/core endpoints) reads AWS_ENDPOINT_URL_<SERVICE ID> (S3, CLOUDWATCH,
// SNS, EC2, ECS, ELASTICACHE) and then AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is set, so nothing is passed
// here for them. Local S3 emulators only serve path-style requests, hence forcePathStyle with an override.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { elastiCacheSdk } from '../discovery/elasticache-sdk.js';
import { ec2Sdk } from './ec2-sdk.js';
import { ecsSdk } from './ecs-sdk.js';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

export interface AwsClients {
  readonly s3: S3Client;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  /** DescribeNetworkInterfaces / DescribeInstances: names for source IPs (ec2-ip-resolver.ts). */
  readonly ec2: EC2Client;
  /** ListClusters / ListTasks / DescribeTasks: the ECS service behind a task's source IP (ecs-task-resolver.ts). */
  readonly ecs: ECSClient;
  /** DescribeReplicationGroups / DescribeServerlessCaches / ListTagsForResource: discovery by tag. */
  readonly elasticache: ElastiCacheClient;
}

/** Bounds on every SDK request: connecting, and the whole request (the timer runs from the request's start). */
export const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 15_000, throwOnRequestTimeout: true } as const;

const created = new Map<string, AwsClients>();

/** The clients for a region (default: the SDK's resolution, AWS_REGION in Lambda), created on first use. */
export function createAwsClients(region?: string): AwsClients {
  const cacheKey = region ?? '';
  const existing = created.get(cacheKey);
  if (existing) return existing;
  const common = { maxAttempts: 1, requestHandler: REQUEST_HANDLER, ...(region ? { region } : {}) };
  let ec2: EC2Client | undefined;
  let ecs: ECSClient | undefined;
  let elasticache: ElastiCacheClient | undefined;
  const clients: AwsClients = {
    s3: new S3Client({ ...common, ...(s3EndpointOverridden(process.env) ? { forcePathStyle: true } : {}) }),
    cloudwatch: new CloudWatchClient(common),
    sns: new SNSClient(common),
    // Created (and its SDK loaded) on first use only: see ec2-sdk.ts.
    get ec2() {
      ec2 ??= new (ec2Sdk().EC2Client)(common);
      return ec2;
    },
    // Likewise: see ecs-sdk.ts.
    get ecs() {
      ecs ??= new (ecsSdk().ECSClient)(common);
      return ecs;
    },
    get elasticache() {
      elasticache ??= new (elastiCacheSdk().ElastiCacheClient)(common);
      return elasticache;
    },
  };
  created.set(cacheKey, clients);
  return clients;
}

/** True when the SDK will send S3 requests to a configured endpoint (an emulator) rather than AWS. */
export function s3EndpointOverridden(env: NodeJS.ProcessEnv): boolean {
  if (isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)) return false;
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

/**
 * The Secrets Manager client of Powertools' SecretsProvider (auth secrets), with the bounds of the clients above:
 * Powertools' own default client has no request timeout, so a hung endpoint would hold the target until the
 * Lambda's timeout. One attempt, like the others; a failed read fails that target's run only, the next run reads
 * again. `endpoint` and `credentials` are for tests and emulators (AWS_ENDPOINT_URL_SECRETS_MANAGER works too).
 */
export function createSecretsManagerClient(options: Pick<SecretsManagerClientConfig, 'region' | 'endpoint' | 'credentials'> = {}): SecretsManagerClient {
  return new SecretsManagerClient({ maxAttempts: 1, requestHandler: REQUEST_HANDLER, ...options });
}
