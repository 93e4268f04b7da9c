// The Lambda handler bundled as the construct deploys it (lib/lambda-bundling.ts: the same esbuild options),
// for tests that run the bundle in a child process. Built inside node_modules, so that the bundle's require
// of an external SDK client finds the installed one.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../../lib/lambda-bundling.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LambdaBundle {
  /** The bundled handler module (`exports.handler`). */
  readonly file: string;
  remove(): void;
}

export async function buildLambdaBundle(name: string): Promise<LambdaBundle> {
  const dir = join(ROOT, 'node_modules', '.cache', `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
  const file = join(dir, 'index.js');
  await build({
    entryPoints: [join(ROOT, 'lambda/handler.ts')], bundle: true, platform: 'node', target: LAMBDA_BUNDLING.target, format: 'cjs',
    minify: LAMBDA_BUNDLING.minify, external: [...LAMBDA_BUNDLING.externalModules], define: { ...LAMBDA_BUNDLING.define },
    banner: { js: LAMBDA_BUNDLING.banner }, outfile: file, logLevel: 'error',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
