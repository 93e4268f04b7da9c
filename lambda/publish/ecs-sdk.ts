// The ECS client is not bundled into the Lambda either (lib/lambda-bundling.ts): like the EC2 client
// (ec2-sdk.ts) it is required from the runtime's own SDK v3 on first use, and only when a task interface
// whose tags do not name its service is to be resolved, so it costs nothing at cold start otherwise.
import { createRequire } from 'node:module';
import type * as EcsSdk from '@aws-sdk/client-ecs';

let loaded: typeof EcsSdk | undefined;

export function ecsSdk(): typeof EcsSdk {
  loaded ??= createRequire(import.meta.url)('@aws-sdk/client-ecs') as typeof EcsSdk;
  return loaded;
}
