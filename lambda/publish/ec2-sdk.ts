// The EC2 client is not bundled into the Lambda (lib/lambda-bundling.ts: it would add about 1 MB for two
// Describe calls): it is loaded on first use, with require so that the runtime's own copy of the SDK is found
// through NODE_PATH, and only when source IPs are to be named, so it costs nothing at cold start otherwise.
import { createRequire } from 'node:module';
import type * as Ec2Sdk from '@aws-sdk/client-ec2';

let loaded: typeof Ec2Sdk | undefined;

export function ec2Sdk(): typeof Ec2Sdk {
  loaded ??= createRequire(import.meta.url)('@aws-sdk/client-ec2') as typeof Ec2Sdk;
  return loaded;
}
