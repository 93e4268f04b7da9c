// Builds the Lambda's pre-bundled code into dist/lambda-bundle/ (run by `npm pack` through prepack, after the
// TypeScript build): the construct deploys it as is when it is installed as a package, so a consumer's synth needs
// neither esbuild nor Docker. The options are the construct's own (lib/lambda-bundling.ts). No source map: the
// function never enables one (it would cost every cold start), and the package stays lean.
import { rmSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../dist/lib/lambda-bundling.js';
import { PREBUNDLED_HANDLER } from '../dist/lib/handler-code.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', PREBUNDLED_HANDLER.directory);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// CommonJS inside an ESM package: the directory says so, as Lambda's Node.js runtime reads it.
writeFileSync(join(outDir, 'package.json'), '{"type":"commonjs"}\n');
await build({
  entryPoints: [join(root, 'lambda', 'handler.ts')],
  outfile: join(outDir, PREBUNDLED_HANDLER.file),
  bundle: true, platform: 'node', format: 'cjs', target: LAMBDA_BUNDLING.target, minify: LAMBDA_BUNDLING.minify,
  external: [...LAMBDA_BUNDLING.externalModules], define: { ...LAMBDA_BUNDLING.define }, banner: { js: LAMBDA_BUNDLING.banner },
  legalComments: 'none', logLevel: 'warning',
});
process.stdout.write(`lambda bundle: ${join('dist', PREBUNDLED_HANDLER.directory, PREBUNDLED_HANDLER.file)}, ${Math.round(statSync(join(outDir, PREBUNDLED_HANDLER.file)).size / 1024)} KiB\n`);
