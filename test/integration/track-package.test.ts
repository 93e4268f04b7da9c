// The built entry points (`npm run build`: tsc, then scripts/build-track-cjs.mjs): `redis-leak-auditor/track`
// resolves through package.json "exports" to the ES module for import and the CommonJS bundle for require, and
// each names a client after the application's line, not its own.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let work: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'track', 'index.cjs'))) throw new Error('dist/track is not built: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'rla-track-package-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs `source` as `file` in a scratch directory; prints the lazily created ioredis client's connection name. */
async function nameFrom(file: string, source: string): Promise<string> {
  writeFileSync(join(work, file), source);
  const { stdout } = await run(process.execPath, [join(work, file)], { cwd: work, encoding: 'utf8', timeout: 10_000 });
  return stdout.trim();
}

describe('the package entry redis-leak-auditor/track', () => {
  it('resolves for require and for import, both exposing track and openClients', async () => {
    const probe = "console.log(typeof m.track, typeof m.openClients, typeof m.trackedClient)";
    const cjs = await run(process.execPath, ['-e', `const m = require('redis-leak-auditor/track'); ${probe}; console.log(require.resolve('redis-leak-auditor/track'))`], { cwd: ROOT, encoding: 'utf8' });
    expect(cjs.stdout).toBe(`function function function\n${join(ROOT, 'dist', 'track', 'index.cjs')}\n`);
    const esm = await run(process.execPath, ['--input-type=module', '-e', `const m = await import('redis-leak-auditor/track'); ${probe}; console.log(import.meta.resolve('redis-leak-auditor/track'))`], { cwd: ROOT, encoding: 'utf8' });
    expect(esm.stdout).toBe(`function function function\n${pathToFileURL(join(ROOT, 'dist', 'track', 'index.js')).href}\n`);
  });

  it('names the client after the CommonJS application\'s line, not the bundle\'s', async () => {
    const name = await nameFrom('app.cjs', [
      `const { track } = require(${JSON.stringify(join(ROOT, 'dist', 'track', 'index.cjs'))});`,
      `const { Redis } = require(${JSON.stringify(join(ROOT, 'node_modules', 'ioredis'))});`,
      "const redis = track(new Redis({ lazyConnect: true }), { service: 'cjs-app' });",
      'console.log(redis.options.connectionName);',
    ].join('\n'));
    expect(name).toBe('cjs-app@app.cjs:3');
  });

  it('names the client after the ES module application\'s line', async () => {
    const name = await nameFrom('app.mjs', [
      `import { track } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'track', 'index.js')).href)};`,
      `import { Redis } from ${JSON.stringify(pathToFileURL(join(ROOT, 'node_modules', 'ioredis', 'built', 'index.js')).href)};`,
      '',
      "const redis = track(new Redis({ lazyConnect: true }), { service: 'esm-app', hashOrigin: false });",
      'console.log(redis.options.connectionName);',
    ].join('\n'));
    expect(name).toBe('esm-app@app.mjs:4');
  });
});
