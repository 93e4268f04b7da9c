// The ElastiCache client is not bundled into the Lambda, like the EC2 one (lambda/publish/ec2-sdk.ts): every
// Node.js Lambda runtime ships the SDK v3 clients, so it is required from the runtime on first use, and only
// when discovery is configured, so it costs nothing at cold start otherwise.
import { createRequire } from 'node:module';
import type * as ElastiCacheSdk from '@aws-sdk/client-elasticache';

let loaded: typeof ElastiCacheSdk | undefined;

export function elastiCacheSdk(): typeof ElastiCacheSdk {
  loaded ??= createRequire(import.meta.url)('@aws-sdk/client-elasticache') as typeof ElastiCacheSdk;
  return loaded;
}
