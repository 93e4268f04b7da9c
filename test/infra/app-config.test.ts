// The CDK app's configuration: defaults to the sandbox, -c keys and config files, and a clear sentence for
// every bad or missing value. The last tests run bin/app.ts as `cdk synth` does.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppConfig } from '../../lib/app-config.js';
import { Match } from 'aws-cdk-lib/assertions';
import { MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES } from '../../lambda/core/stall-budget.js';
import { EXAMPLE_EXISTING, templateFor } from '../support/cdk.js';
import { errorMessageOf } from '../support/error-message.js';

const from = (context: Record<string, unknown>, files: Record<string, string> = {}) =>
  loadAppConfig((key) => context[key], (path) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  });

const stallForm = `expects a number from ${MAX_STALL_MS_RANGE.min} to ${MAX_STALL_MS_RANGE.max}`;

const failure = (context: Record<string, unknown>, files: Record<string, string> = {}): string =>
  errorMessageOf(() => from(context, files), AppConfigError);

describe('loadAppConfig', () => {
  it('defaults to a sandbox audited every 5 minutes', () => {
    expect(from({})).toMatchObject({ stackName: 'RedisLeakAuditor', scheduleMinutes: 5, targets: [], sandbox: { engine: 'valkey' } });
  });

  it('reads single -c keys as text', () => {
    const config = from({ scheduleMinutes: '10', notificationEmails: 'a@example.com, b@example.com', sandbox: '{"engine":"redis"}' });
    expect(config).toMatchObject({ scheduleMinutes: 10, notificationEmails: ['a@example.com', 'b@example.com'], sandbox: { engine: 'redis' } });
  });

  it('lets -c keys win over cdk.json, and cdk.json over the config file', () => {
    const config = from(
      { configFile: 'c.json', redisLeakAuditor: { scheduleMinutes: 7, reportRetentionDays: 30 }, scheduleMinutes: '15' },
      { 'c.json': JSON.stringify({ scheduleMinutes: 3, reportRetentionDays: 10, stackName: 'FromFile' }) },
    );
    expect(config).toMatchObject({ scheduleMinutes: 15, reportRetentionDays: 30, stackName: 'FromFile' });
  });

  it('reads resolveSourceIps as a boolean, on by default', () => {
    expect(from({}).resolveSourceIps).toBe(true);
    expect(from({ resolveSourceIps: 'false' }).resolveSourceIps).toBe(false);
    expect(failure({ resolveSourceIps: 'maybe' })).toBe('config key resolveSourceIps: expected true or false, got "maybe"');
  });

  it('reserves no concurrency unless reservedConcurrency is given', () => {
    expect(from({}).reservedConcurrency).toBeUndefined();
    expect(from({ reservedConcurrency: '2' }).reservedConcurrency).toBe(2);
    expect(failure({ reservedConcurrency: '0' })).toBe('config key reservedConcurrency: expected executions reserved for the auditor Lambda: a whole number from 1 to 1000, got 0');
  });

  it('leaves the stall budget to the handler\'s defaults unless thresholds give it', () => {
    expect(from({}).thresholds).toEqual({});
    expect(from({ thresholds: '{"maxStallMs":2.5,"overBudget":"list-all"}' }).thresholds).toEqual({ maxStallMs: 2.5, overBudget: 'list-all' });
    expect(from({ redisLeakAuditor: { thresholds: { maxStallMs: 0.5 } } }).thresholds).toEqual({ maxStallMs: 0.5 });
  });

  it('takes every threshold the CLI takes, and refuses a key that is none', () => {
    const thresholds = { maxclientsCritical: 0.9, minPubsubConnections: 4, minGrowthConnections: 9, listLimit: 1000 };
    expect(from({ thresholds: JSON.stringify(thresholds) }).thresholds).toEqual(thresholds);
    expect(failure({ thresholds: '{"listLimit":1001}' })).toBe("config key thresholds.listLimit expects a whole number from 1 to 1000, got '1001'");
    expect(failure({ thresholds: '{"maxclientsWarn":0.9,"maxclientsCritical":0.85}' }))
      .toBe('config key thresholds.maxclientsCritical (0.85) must not be below config key thresholds.maxclientsWarn (0.9)');
    expect(failure({ thresholds: '{"listLimt":10}' })).toBe('config key thresholds: Unrecognized key: "listLimt"');
  });

  it.each([
    ['{"maxStallMs":0}', `config key thresholds.maxStallMs ${stallForm}, got '0'`],
    [`{"maxStallMs":${MAX_STALL_MS_RANGE.max * 2}}`, `config key thresholds.maxStallMs ${stallForm}, got '${MAX_STALL_MS_RANGE.max * 2}'`],
    ['{"maxStallMs":"fast"}', `config key thresholds.maxStallMs ${stallForm}, got 'fast'`],
    ['{"overBudget":"x"}', `config key thresholds.overBudget expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got 'x'`],
  ])('refuses thresholds %s, naming the key and the expected form', (thresholds, expected) => {
    expect(failure({ thresholds })).toBe(expected);
  });

  it('hands the stall budget to the auditor function\'s environment', () => {
    templateFor({ context: { thresholds: '{"maxStallMs":2.5,"overBudget":"list-all"}' } }).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^redis-leak-auditor: audits'), Environment: { Variables: Match.objectLike({ MAX_STALL_MS: '2.5', OVER_BUDGET: 'list-all' }) },
    });
  });

  it('reads the existing-mode example', () => {
    const config = from({ redisLeakAuditor: EXAMPLE_EXISTING });
    expect(config.targets.map((t) => [t.name, t.port, t.tls])).toEqual([['orders-cache', 6379, true], ['sessions', 6379, true]]);
  });

  it.each([
    [{ scheduleMinutes: 'abc' }, "config key scheduleMinutes expects a whole number from 1 to 1440, got 'abc'"],
    [{ scheduleMinutes: '0' }, "config key scheduleMinutes expects a whole number from 1 to 1440, got '0'"],
    [{ notificationEmails: 'oncall' }, 'config key notificationEmails[0]: expected e-mail addresses'],
    [{ targets: '[{"name":"a","host":"h","securityGroupId":"sg-0a1b2c3d"}]' }, 'config key vpc: targets are configured, so vpc is required'],
    [{ targets: '[{"name":"a","host":"h"}]' }, 'config key targets[0].securityGroupId'],
    [{ targets: 'not json' }, "context key targets: 'not json' is not valid JSON"],
    [{ slack: '{"workspaceId":"acme","channelId":"C0123456789"}' }, 'config key slack.workspaceId: expected a Slack workspace id such as T0123456789'],
    [{ sandbox: '{"engine":"memcached"}' }, 'config key sandbox.engine'],
    [{ colour: 'red', redisLeakAuditor: { colour: 'red' } }, 'config key (root): Unrecognized key: "colour"'],
    [{ configFile: 'missing.json' }, "configFile: cannot read 'missing.json'; expected the path of a JSON config file"],
    [{ discovery: '{"tags":{"leak-audit":"on"}}' }, 'config key vpc: discovery is configured, so vpc is required'],
    [{ vpc: '{"id":"vpc-0a1b2c3d","subnetIds":["subnet-0a1b2c3d"],"availabilityZones":["eu-west-1a"]}', targets: '[{"name":"s","host":"h","serverless":true,"securityGroupId":"sg-0a1b2c3d"}]' }, 'config key targets[0].cacheName: required with serverless'],
  ])('fails on %j with a sentence naming the key', (context, expected) => {
    expect(failure(context)).toContain(expected);
  });
});

function synth(context: Record<string, unknown>): Promise<{ code: number; stderr: string; outdir: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'rla-synth-'));
  return new Promise((resolve) => {
    execFile('node', ['--import', 'tsx', 'bin/app.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      // What the CDK CLI hands the app: its context and where to write the assembly.
      env: { PATH: process.env.PATH ?? '', CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }), CDK_OUTDIR: outdir },
      timeout: 60_000,
    }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr, outdir }));
  });
}

describe('bin/app.ts', () => {
  it('synthesizes the sandbox with no configuration at all', async () => {
    const result = await synth({});
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(result.outdir)).toContain('RedisLeakAuditor.template.json');
  }, 60_000);

  it('stops with one sentence naming the key on a bad value', async () => {
    const result = await synth({ scheduleMinutes: 'often' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("redis-leak-auditor: config key scheduleMinutes expects a whole number from 1 to 1440, got 'often'\n");
  }, 60_000);
});
