// The audit Lambda's code, two ways. Installed as a package: the handler pre-bundled at pack time
// (scripts/bundle-lambda.mjs -> dist/lambda-bundle/index.js), deployed as is, so the consumer's synth needs neither
// esbuild nor Docker. Run from this repository (its app, its tests): bundled from source with esbuild by
// NodejsFunction, with the same options (lambda-bundling.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './lambda-bundling.js';

/** Where the pre-bundled handler is, relative to the compiled lib/ directory's parent (dist/). */
export const PREBUNDLED_HANDLER = { directory: 'lambda-bundle', file: 'index.js', handler: 'index.handler' } as const;

/** The pre-bundled handler's directory next to this compiled file, or null when running from source. */
export function prebundledHandlerDir(): string | null {
  const dir = fileURLToPath(new URL(`../${PREBUNDLED_HANDLER.directory}/`, import.meta.url));
  return existsSync(join(dir, PREBUNDLED_HANDLER.file)) ? dir : null;
}

export type AuditFunctionProps = Omit<lambda.FunctionProps, 'code' | 'handler'>;

/** The audit function, from the pre-bundled handler when there is one, else bundled from lambda/handler.ts. */
export function auditFunction(scope: Construct, id: string, props: AuditFunctionProps): lambda.Function {
  const prebundled = prebundledHandlerDir();
  if (prebundled) return new lambda.Function(scope, id, { ...props, code: lambda.Code.fromAsset(prebundled), handler: PREBUNDLED_HANDLER.handler });
  return new NodejsFunction(scope, id, {
    ...props,
    entry: sourceEntry(),
    handler: 'handler',
    bundling: { ...LAMBDA_BUNDLING, externalModules: [...LAMBDA_BUNDLING.externalModules], define: { ...LAMBDA_BUNDLING.define } },
  });
}

function sourceEntry(): string {
  for (const candidate of ['../lambda/handler.ts', '../lambda/handler.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('redis-leak-auditor: neither the pre-bundled handler (dist/lambda-bundle/index.js) nor lambda/handler.ts was found next to lib/; run `npm pack` (which builds the bundle) or use the repository\'s sources');
}
