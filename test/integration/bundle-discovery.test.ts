// The Lambda as deployed: the esbuild bundle (lib/lambda-bundling.ts), whose ElastiCache client is not bundled
// but required on first use, runs discovery against a fake AWS endpoint in a child process. Unlike the
// aws-sdk-client-mock tests, the real SDK serialises the query protocol and parses the XML answers here.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { LAMBDA_BUNDLING } from '../../lib/lambda-bundling.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside node_modules, so that the bundle's require of the external SDK client finds the installed one, as the
// Lambda runtime's own copy is found there.
const DIR = join(ROOT, 'node_modules', '.cache', `rla-bundle-${process.pid}`);
const RUNNER = fileURLToPath(new URL('../support/bundle/discovery-run.mjs', import.meta.url));

let redis: LocalRedisServer;

beforeAll(async () => {
  redis = await startLocalRedis();
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'package.json'), '{"type":"commonjs"}');
  await build({
    entryPoints: [join(ROOT, 'lambda/handler.ts')], bundle: true, platform: 'node', target: LAMBDA_BUNDLING.target, format: 'cjs',
    minify: LAMBDA_BUNDLING.minify, external: [...LAMBDA_BUNDLING.externalModules], define: { ...LAMBDA_BUNDLING.define },
    banner: { js: LAMBDA_BUNDLING.banner }, outfile: join(DIR, 'index.js'), logLevel: 'error',
  });
}, 60_000);

afterAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  await redis?.stop();
});

function runBundle(): Promise<{ result: { targets: Array<{ target: string; status: string }>; discovery: { audited: string[]; matched: number } }; calls: string[]; report: { target?: string; status?: string } }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUNNER, join(DIR, 'index.js'), String(redis.port)], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr.slice(-2000)}`));
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{"result"')).pop();
      if (!line) return reject(new Error(`no result line in:\n${stdout.slice(-2000)}`));
      resolve(JSON.parse(line));
    });
  });
}

describe('the bundled Lambda with discovery', () => {
  it('loads the ElastiCache client on first use, parses the real XML answers, and audits the tagged group only', async () => {
    const { result, calls, report } = await runBundle();
    expect(calls.slice(0, 3)).toEqual(['DescribeReplicationGroups', 'ListTagsForResource', 'ListTagsForResource']);
    expect(result.discovery).toMatchObject({ matched: 1, audited: ['orders'] });
    expect(result.targets).toEqual([expect.objectContaining({ target: 'orders', status: 'ok' })]);
    expect(report).toMatchObject({ target: `redis://127.0.0.1:${redis.port}`, status: 'ok' });
    expect(calls).toContain('s3 PUT /audit-reports-test/reports/orders/latest.json');
  }, 40_000);
});
