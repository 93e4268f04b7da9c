// The construct as a library (issue 15): `npm pack`, install the tarball into a new CDK app that has only
// aws-cdk-lib and constructs (offline, from npm's cache), and synthesize a stack that uses RedisLeakAuditor from an
// ES module and from CommonJS, with neither esbuild nor Docker on the PATH: the pre-bundled handler is deployed.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackage } from '../../scripts/pack.js';
import { appLockfile } from '../support/offline-install.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; peerDependencies: Record<string, string> };
/** The packed size the bench reports; a bound here keeps tests, fixtures and source maps out. */
const MAX_PACKED_BYTES = 1_200_000;
/** Only node, the shell's basics and npm: no esbuild, no docker, no node_modules/.bin. */
const BARE_PATH = [dirname(process.execPath), '/usr/bin', '/bin'].join(':');

// Long steps run asynchronously: a blocked worker cannot answer vitest's own calls.
const run = promisify(execFile);

let work: string;
let tarball: string;
let files: string[];

const STACK = (importLine: string) => `${importLine}
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
new RedisLeakAuditor(stack, 'Auditor', { vpc, targets: [{ name: 'orders', host: 'master.orders.abc123.euw1.cache.amazonaws.com' }] });
app.synth();
`;
const ESM_APP = STACK(`import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RedisLeakAuditor } from 'redis-leak-auditor';`);
/** As `cdk init app --language typescript` writes it: a CommonJS package, NodeNext resolution, run with tsx. */
const TS_APP = `import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RedisLeakAuditor, type RedisLeakAuditorProps } from 'redis-leak-auditor';
declare const process: { argv: string[] };

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
const props: RedisLeakAuditorProps = { vpc, targets: [{ name: 'orders', host: 'master.orders.abc123.euw1.cache.amazonaws.com' }], thresholds: { idleSeconds: 600 } };
const auditor = new RedisLeakAuditor(stack, 'Auditor', props);
const cache = new ec2.SecurityGroup(stack, 'Cache', { vpc });
cache.connections.allowFrom(auditor, ec2.Port.tcp(6379));
app.synth();
`;
const TS_CONFIG = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['es2022'], strict: true, skipLibCheck: true, noEmit: true, isolatedModules: true, types: [] }, include: ['app.ts'] };

const CJS_APP = STACK(`const { App, Stack } = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const { RedisLeakAuditor } = require('redis-leak-auditor');`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rla-consumer-'));
  const packed = await packPackage(work);
  tarball = packed.tarball;
  files = [...packed.files];
  const name = basename(tarball);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  execFileSync('cp', [tarball, app]);
  const { packageJson, lockfile } = appLockfile(join(ROOT, 'package-lock.json'), join(app, name), PKG, ['aws-cdk-lib', 'constructs']);
  writeFileSync(join(app, 'package.json'), JSON.stringify(packageJson, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
  await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, encoding: 'utf8', env: { ...process.env, PATH: BARE_PATH } });
  writeFileSync(join(app, 'app.mjs'), ESM_APP);
  writeFileSync(join(app, 'app.cjs'), CJS_APP);
  writeFileSync(join(app, 'app.ts'), TS_APP);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TS_CONFIG, null, 2));
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** This repository's TypeScript and tsx stand in for the consumer's own dev dependencies (cdk init installs both). */
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

async function synth(entry: string): Promise<{ template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }; outdir: string }> {
  const app = join(work, 'app');
  const outdir = join(work, `out-${entry}`);
  await run(process.execPath, [...(entry.endsWith('.ts') ? [TSX] : []), entry, outdir], { cwd: app, encoding: 'utf8', env: { PATH: BARE_PATH, HOME: work } });
  return { template: JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')), outdir };
}

describe('the packed package in a new CDK app', () => {
  it('installed with only aws-cdk-lib and constructs beside it: no esbuild anywhere', () => {
    const installed = readdirSync(join(work, 'app', 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs', 'redis-leak-auditor']));
    expect(installed).not.toContain('esbuild');
    expect(() => execFileSync('sh', ['-c', 'command -v esbuild || command -v docker'], { env: { PATH: BARE_PATH } })).toThrow();
  });

  it('type-checks in a TypeScript app as cdk init writes it (CommonJS, NodeNext)', async () => {
    await expect(run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: join(work, 'app'), encoding: 'utf8', env: { PATH: BARE_PATH } })).resolves.toBeDefined();
  });

  it.each(['app.mjs', 'app.cjs', 'app.ts'])('synthesizes from %s with the pre-bundled handler, its alarms and dashboard', async (entry) => {
    const { template, outdir } = await synth(entry);
    const resources = Object.values(template.Resources);
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('redis-leak-auditor: audits'));
    expect(fn?.Properties.Handler).toBe('index.handler');
    const asset = String((fn?.Properties.Code as { S3Key: unknown }).S3Key).replace(/\.zip$/, '');
    const handler = join(outdir, `asset.${asset}`, 'index.js');
    expect(existsSync(handler)).toBe(true);
    expect(statSync(handler).size).toBeGreaterThan(500_000);
    expect(readFileSync(handler, 'utf8')).toContain('redis-leak-auditor');
    expect(resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(5);
    expect(resources.filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it('exposes the companion redis-leak-auditor/track to require and to import', async () => {
    const app = join(work, 'app');
    const options = { cwd: app, encoding: 'utf8' as const, env: { PATH: BARE_PATH } };
    const cjs = await run(process.execPath, ['-e', "console.log(typeof require('redis-leak-auditor/track').track)"], options);
    const esm = await run(process.execPath, ['--input-type=module', '-e', "const { track } = await import('redis-leak-auditor/track'); console.log(typeof track)"], options);
    expect([cjs.stdout, esm.stdout]).toEqual(['function\n', 'function\n']);
    expect(files).toEqual(expect.arrayContaining(['package/dist/track/index.js', 'package/dist/track/index.cjs', 'package/dist/track/index.d.ts']));
  });

  it('is lean: no tests, fixtures, benches or source maps, and under its size bound', () => {
    expect(statSync(tarball).size).toBeLessThan(MAX_PACKED_BYTES);
    expect(files.filter((f) => /\/(test|bench|fixtures)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files).toContain('package/dist/lambda-bundle/index.js');
  });
});
