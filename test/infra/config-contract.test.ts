// One rule, one place (issue 17): what the construct synthesizes is what the handler's configuration reader reads
// back, field by field, and every setting's CLI flag, Lambda variable, CDK config key and construct prop accept
// exactly the same values (lambda/core/policy-rules.ts).
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli, type AuditOptions } from '../../cli/args.js';
import { loadConfig, type TargetConfig } from '../../lambda/config.js';
import type { AuditPolicy } from '../../lambda/core/model.js';
import { POLICY_RULES, POLICY_SETTINGS, SCHEDULE_MINUTES_RULE, TIMEOUT_RULES, type AnyPolicySetting, type NumberRule } from '../../lambda/core/policy-rules.js';
import { BREAK_GLASS_ENV, RECLAIM_RULES } from '../../lambda/core/reclaim-selection.js';
import { loadAppConfig } from '../../lib/app-config.js';
import { RedisLeakAuditor, type AuditThresholds, type BreakGlassSpec, type RedisLeakAuditorProps } from '../../lib/index.js';
import { validateAuditorProps } from '../../lib/redis-leak-auditor-validation.js';
import { flatten, writtenTargetList } from '../support/target-list.js';

const env = { account: '123456789012', region: 'eu-west-1' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-auditor-AbCdEf';
const DISCOVERY_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleet-auditor-GhIjKl';
const RECLAIM_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-reclaimer-MnOpQr';
const DISCOVERY_RECLAIM_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleet-reclaimer-StUvWx';

/** The break-glass armed, every setting away from its default (checked below). */
const BREAK_GLASS: Required<BreakGlassSpec> = { enabled: true, maxPerRun: 25, minIdleSeconds: 7200 };

/** Every threshold, none at its default (checked below): a threshold the environment dropped would read back as the default. */
const THRESHOLDS: Required<AuditThresholds> = {
  idleSeconds: 600, churnPerMinute: 42.5, minGroupConnections: 30, minPubsubConnections: 12, minGrowthConnections: 7,
  maxclientsWarn: 0.7, maxclientsCritical: 0.9, listLimit: 1000, maxStallMs: 2.5, overBudget: 'list-all',
};

function synthesized(): { template: Template } {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'rla-contract-')), context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Contract', { env });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
  const props: RedisLeakAuditorProps = {
    vpc,
    // Given by name and ARN, so the environment holds plain text the reader can check (a created one is a Ref).
    reportBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'platform-redis-reports'),
    alertTopic: sns.Topic.fromTopicArn(stack, 'Alerts', 'arn:aws:sns:eu-west-1:123456789012:platform-alerts'),
    thresholds: THRESHOLDS,
    notifyCooldownMinutes: 15,
    resolveSourceIps: false,
    breakGlass: BREAK_GLASS,
    targets: [
      {
        name: 'orders.cache-1', host: 'master.orders.abc123.euw1.cache.amazonaws.com', port: 6380, tls: true,
        authSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'OrdersSecret', SECRET_ARN),
        reclaimSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'OrdersReclaimSecret', RECLAIM_SECRET_ARN),
        clusterAllow: ['10.1.0.0/16', '*.orders.internal'],
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'OrdersSg', 'sg-0a1b2c3d4e5f60718'),
      },
      { name: 'sessions', host: 'sessions-xyz.serverless.euw1.cache.amazonaws.com', iamUser: 'leak-auditor', cacheName: 'sessions-xyz', serverless: true },
      { name: 'legacy_queue', host: '10.0.3.4', port: 7000, tls: false },
    ],
    discovery: {
      tags: { 'leak-audit': 'on', team: '*' }, kinds: ['serverless-cache'], maxTargetsPerShard: 7, shards: 2, ports: [6390],
      authSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'FleetSecret', DISCOVERY_SECRET_ARN),
      reclaimSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'FleetReclaimSecret', DISCOVERY_RECLAIM_SECRET_ARN),
    },
  };
  new RedisLeakAuditor(stack, 'Auditor', props);
  return { template: Template.fromStack(stack) };
}

function functionEnvironment(template: Template): Record<string, string> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^redis-leak-auditor: audits') } }));
  expect(functions).toHaveLength(1);
  const variables = (functions[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, flatten(value)]));
}

describe('the construct and the handler read the same configuration', () => {
  const { template } = synthesized();
  const environment = functionEnvironment(template);
  const list = writtenTargetList(template);
  // AWS_REGION is set by Lambda itself, not by the stack.
  const config = loadConfig({ ...environment, AWS_REGION: env.region }, { text: list.body, source: 's3://platform-redis-reports/config/audit-targets.json' });

  it('sets every threshold away from its default, so a dropped one would show', () => {
    for (const setting of POLICY_SETTINGS) expect(THRESHOLDS[setting.key], setting.key).not.toEqual(setting.default);
  });

  it('hands every threshold to the handler intact', () => {
    for (const setting of POLICY_SETTINGS) expect(config.policy[setting.key], setting.configKey).toEqual(THRESHOLDS[setting.key]);
  });

  it('hands the notification cooldown, source-IP naming, bucket and topic to the handler', () => {
    expect(config).toMatchObject({
      notifyCooldownMinutes: 15, resolveSourceIps: false, reportBucket: 'platform-redis-reports', topicArn: 'arn:aws:sns:eu-west-1:123456789012:platform-alerts',
    });
  });

  it('maps every field of every target to the handler\'s TargetConfig', () => {
    const expected: TargetConfig[] = [
      {
        name: 'orders.cache-1', url: 'rediss://master.orders.abc123.euw1.cache.amazonaws.com:6380', tls: true, authSecretArn: SECRET_ARN,
        reclaimSecretArn: RECLAIM_SECRET_ARN, clusterAllow: ['10.1.0.0/16', '*.orders.internal'],
      },
      { name: 'sessions', url: 'rediss://sessions-xyz.serverless.euw1.cache.amazonaws.com:6379', tls: true, iamUser: 'leak-auditor', cacheName: 'sessions-xyz', serverless: true },
      { name: 'legacy_queue', url: 'redis://10.0.3.4:7000' },
    ];
    expect(config.targets).toEqual(expected);
  });

  it('hands discovery to the handler: tags, kinds, the per-shard maximum and the credentials', () => {
    expect(config.discovery).toEqual({
      tags: { 'leak-audit': 'on', team: '*' }, kinds: ['serverless-cache'], maxTargets: 7, authSecretArn: DISCOVERY_SECRET_ARN, reclaimSecretArn: DISCOVERY_RECLAIM_SECRET_ARN,
    });
  });

  it('sets every break-glass setting away from its default, so a dropped one would show', () => {
    for (const [key, rule] of Object.entries(RECLAIM_RULES)) expect(BREAK_GLASS[key as keyof typeof RECLAIM_RULES], rule.configKey).not.toEqual(rule.default);
  });

  it('hands the break-glass to the handler armed, with its settings intact', () => {
    expect(environment[BREAK_GLASS_ENV]).toBe('true');
    expect(config.breakGlass).toEqual(BREAK_GLASS);
  });
});

describe('the break-glass is off unless enabled', () => {
  const lambdaEnv = { AWS_REGION: 'eu-west-1', REPORT_BUCKET: 'contract-test', DISCOVERY: '{"tags":{"leak-audit":"on"}}' };

  it.each([
    ['absent', undefined],
    ['enabled: false', { enabled: false, maxPerRun: 5 }],
  ] as const)('sets no break-glass variable when breakGlass is %s, which the handler reads as off with the defaults', (_, breakGlass) => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'rla-contract-')), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Off', { env });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
    new RedisLeakAuditor(stack, 'Auditor', { vpc, targets: [{ name: 'a', host: 'h' }], ...(breakGlass ? { breakGlass } : {}) });
    const variables = Object.keys(functionEnvironment(Template.fromStack(stack)));
    expect(variables.filter((v) => v === BREAK_GLASS_ENV || v.startsWith('RECLAIM_'))).toEqual([]);
    expect(loadConfig(lambdaEnv).breakGlass).toEqual({ enabled: false, maxPerRun: RECLAIM_RULES.maxPerRun.default, minIdleSeconds: RECLAIM_RULES.minIdleSeconds.default });
  });
});

/** One entry point's reader of a setting: the value it reads from `value`, or the error it throws. */
type Reader = (setting: AnyPolicySetting, value: number | string, companions: Partial<AuditPolicy>) => unknown;

const LAMBDA_BASE = { AWS_REGION: 'eu-west-1', REPORT_BUCKET: 'contract-test', DISCOVERY: '{"tags":{"leak-audit":"on"}}' };

const READERS: Record<string, Reader> = {
  cli: (setting, value, companions) => {
    const flags = Object.entries({ ...companions, [setting.key]: value }).flatMap(([key, v]) => [`--${POLICY_RULES[key as keyof AuditPolicy].flag}`, String(v)]);
    return (parseCli(['audit', '--url', 'redis://h', ...flags], {}) as AuditOptions).policy[setting.key];
  },
  lambda: (setting, value, companions) => {
    const variables = Object.fromEntries(Object.entries({ ...companions, [setting.key]: value }).map(([key, v]) => [POLICY_RULES[key as keyof AuditPolicy].env, String(v)]));
    return loadConfig({ ...LAMBDA_BASE, ...variables }).policy[setting.key];
  },
  'app config': (setting, value, companions) => {
    const thresholds = JSON.stringify({ ...companions, [setting.key]: value });
    return loadAppConfig((key) => (key === 'thresholds' ? thresholds : undefined)).thresholds[setting.key];
  },
  construct: (setting, value, companions) => {
    const thresholds = { ...companions, [setting.key]: value } as AuditThresholds;
    validateAuditorProps({ vpc: undefined as never, targets: [{ name: 'a', host: 'h' }], thresholds });
    return value;
  },
};

/** The settings a value must be read with: a bound that follows another is tried with that one at its most permissive. */
function companionsOf(setting: AnyPolicySetting): Partial<AuditPolicy> {
  const follows = setting.follows;
  if (follows?.enforced !== true) return {};
  const leader = POLICY_RULES[follows.key] as NumberRule;
  return { [follows.key]: follows.bound === 'atLeast' ? leader.min : leader.max };
}

/** Just past a bound: the next whole number, or a hair for numbers. */
function outside(rule: NumberRule, bound: number, direction: -1 | 1): number {
  return bound + direction * (rule.kind === 'whole' ? 1 : Math.max(Math.abs(bound) * 1e-6, 1e-6));
}

function accepted(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

describe('every setting has one range at every entry point', () => {
  describe.each(Object.entries(READERS))('the %s reader', (_, read) => {
    it.each(POLICY_SETTINGS.map((s) => [s.key, s] as const))('reads %s within its rule and refuses it outside', (_key, setting) => {
      const companions = companionsOf(setting);
      if (setting.kind === 'choice') {
        for (const choice of setting.choices) expect(read(setting, choice, companions)).toEqual(choice);
        expect(accepted(() => read(setting, 'not-a-choice', companions))).toBe(false);
        return;
      }
      expect(read(setting, setting.min, companions)).toEqual(setting.min);
      expect(read(setting, setting.max, companions)).toEqual(setting.max);
      expect(accepted(() => read(setting, outside(setting, setting.min, -1), companions)), `${setting.key} below ${setting.min}`).toBe(false);
      expect(accepted(() => read(setting, outside(setting, setting.max, 1), companions)), `${setting.key} above ${setting.max}`).toBe(false);
      expect(accepted(() => read(setting, 'many', companions))).toBe(false);
      if (setting.kind === 'whole') expect(accepted(() => read(setting, setting.min + 0.5, companions))).toBe(false);
    });
  });

  it.each(Object.entries(TIMEOUT_RULES))('reads %s in the CLI and the Lambda with one range', (_key, rule) => {
    const cli = (value: number) => parseCli(['audit', '--url', 'redis://h', `--${rule.flag}`, String(value)], {}) as AuditOptions;
    const lambda = (value: number) => loadConfig({ ...LAMBDA_BASE, [rule.env]: String(value) });
    for (const read of [cli, lambda]) {
      for (const value of [rule.min, rule.max]) expect(accepted(() => read(value))).toBe(true);
      for (const value of [rule.min - 1, rule.max + 1]) expect(accepted(() => read(value))).toBe(false);
    }
  });

  it.each(Object.entries(RECLAIM_RULES))('reads the break-glass\'s %s in the Lambda, the CDK config and the construct with one range', (key, rule) => {
    const lambda = (value: unknown) => loadConfig({ ...LAMBDA_BASE, [BREAK_GLASS_ENV]: 'true', [rule.env]: String(value) }).breakGlass[key as keyof typeof RECLAIM_RULES];
    const appConfig = (value: unknown) => loadAppConfig((k) => (k === 'breakGlass' ? JSON.stringify({ enabled: true, [key]: value }) : undefined)).breakGlass?.[key as keyof typeof RECLAIM_RULES];
    const construct = (value: unknown) => {
      validateAuditorProps({ vpc: undefined as never, targets: [{ name: 'a', host: 'h' }], breakGlass: { enabled: true, [key]: value } });
      return value;
    };
    for (const read of [lambda, appConfig, construct]) {
      for (const value of [rule.min, rule.max]) expect(read(value)).toBe(value);
      for (const value of [rule.min - 1, rule.max + 1, rule.min + 0.5, 'many']) expect(accepted(() => read(value)), `${rule.configKey} = ${value}`).toBe(false);
    }
  });

  it('reads scheduleMinutes in the CDK config and the construct with one range', () => {
    const appConfig = (value: number) => loadAppConfig((key) => (key === 'scheduleMinutes' ? String(value) : undefined)).scheduleMinutes;
    const construct = (value: number) => validateAuditorProps({ vpc: undefined as never, targets: [{ name: 'a', host: 'h' }], scheduleMinutes: value }).scheduleMinutes;
    for (const read of [appConfig, construct]) {
      for (const value of [SCHEDULE_MINUTES_RULE.min, SCHEDULE_MINUTES_RULE.max]) expect(read(value)).toBe(value);
      for (const value of [SCHEDULE_MINUTES_RULE.min - 1, SCHEDULE_MINUTES_RULE.max + 1, 2.5]) expect(accepted(() => read(value))).toBe(false);
    }
    expect(validateAuditorProps({ vpc: undefined as never, targets: [{ name: 'a', host: 'h' }] }).scheduleMinutes).toBe(SCHEDULE_MINUTES_RULE.default);
  });
});
