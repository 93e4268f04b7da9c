// Builds the companion's CommonJS entry, dist/track/index.cjs (run by `npm run build` after tsc, which writes the
// ES module dist/track/index.js): `require('redis-leak-auditor/track')` works in a CommonJS application. One file,
// bundled from the TypeScript source with the name module it shares with the auditor
// (lambda/core/origin-name.ts); Node's built-ins stay imports, and nothing else is imported.
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'track', 'index.cjs');
await build({
  entryPoints: [join(root, 'track', 'index.ts')],
  outfile,
  bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  legalComments: 'none', logLevel: 'warning',
});
process.stdout.write(`track (CommonJS): ${join('dist', 'track', 'index.cjs')}, ${Math.round(statSync(outfile).size / 1024)} KiB\n`);
