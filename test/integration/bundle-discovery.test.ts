// The Lambda as deployed: the esbuild bundle (lib/lambda-bundling.ts), whose ElastiCache client is not bundled
// but required on first use, reads its target list from S3 at the pinned version and runs discovery against a
// fake AWS endpoint in a child process (of the Node.js running the tests: run them with Node 24 to check that
// runtime). Unlike the aws-sdk-client-mock tests, the real SDK serialises the calls and parses the answers here.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { buildLambdaBundle, type LambdaBundle } from '../support/lambda-bundle.js';

const RUNNER = fileURLToPath(new URL('../support/bundle/discovery-run.mjs', import.meta.url));

let redis: LocalRedisServer;
let bundle: LambdaBundle;

beforeAll(async () => {
  redis = await startLocalRedis();
  bundle = await buildLambdaBundle('rla-bundle');
}, 60_000);

afterAll(async () => {
  bundle?.remove();
  await redis?.stop();
});

function runBundle(): Promise<{ result: { targets: Array<{ target: string; status: string }>; discovery: { audited: string[]; matched: number } }; calls: string[]; report: { target?: string; status?: string } }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUNNER, bundle.file, String(redis.port)], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr.slice(-2000)}`));
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{"result"')).pop();
      if (!line) return reject(new Error(`no result line in:\n${stdout.slice(-2000)}`));
      resolve(JSON.parse(line));
    });
  });
}

describe('the bundled Lambda with discovery', () => {
  it('reads the pinned target list, loads the ElastiCache client on first use, parses the real XML answers, and audits the tagged group only', async () => {
    const { result, calls, report } = await runBundle();
    expect(calls[0]).toMatch(/^s3 GET \/audit-reports-test\/config\/audit-targets\.json\?.*versionId=Wv3pXvZ\.kq1hR0c4mA_7Jf2nT8sYb6dE/);
    expect(calls.slice(1, 4)).toEqual(['DescribeReplicationGroups', 'ListTagsForResource', 'ListTagsForResource']);
    expect(result.discovery).toMatchObject({ matched: 1, audited: ['orders'] });
    expect(result.targets).toEqual([expect.objectContaining({ target: 'orders-configured', status: 'ok' }), expect.objectContaining({ target: 'orders', status: 'ok' })]);
    expect(report).toMatchObject({ target: `redis://127.0.0.1:${redis.port}`, status: 'ok' });
    expect(calls).toContain('s3 PUT /audit-reports-test/reports/orders/latest.json');
    expect(calls.filter((c) => c.includes('audit-targets.json'))).toHaveLength(1);
  }, 40_000);
});
