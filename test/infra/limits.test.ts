// The largest configuration the schema allows for what a real account limits (issue 14): 50 targets with long
// realistic names in the existing VPC, secrets and IAM users, Slack and e-mail. Every Sid is unique in its policy
// document, the Chatbot configuration name fits, no concurrency is reserved unless asked, the function's environment
// stays within Lambda's 4 KB with the target list in S3, and the handler reads that list back whole.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appConfigSchema } from '../../lib/app-config.js';
import { SLACK_CONFIGURATION_NAME_MAX } from '../../lib/auditor-notifications.js';
import { loadConfig } from '../../lambda/config.js';
import { buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';
import { flatten, writtenTargetList } from '../support/target-list.js';

/** The config's maximum (lib/app-config.ts); the first test proves it is the maximum. */
const MAX_TARGETS = 50;
/** Lambda's limit on a function's whole environment: the keys and values, in bytes. */
const LAMBDA_ENVIRONMENT_BYTES = 4096;
/**
 * Upper bounds on what the template's intrinsics resolve to: a bucket name (63), a topic ARN (its name at most 256),
 * an S3 version id (32 characters in practice; 64 allowed here for margin), a cache's DNS name (253), a secret's
 * ARN (its name at most 512, plus the 7-character suffix).
 */
const RESOLVED_LENGTH: Array<[RegExp, number]> = [
  [/^<Ref:\w*Bucket\w*>$/, 63], [/^<Ref:\w*Topic\w*>$/, 'arn:aws:sns:eu-west-1:123456789012:'.length + 256], [/VersionId>$/, 64],
  [/PrimaryEndPoint\.Address>$/, 253], [/^<Ref:\w*Secret\w*>$/, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:'.length + 512 + 7],
];

function environmentBytes(variables: Record<string, unknown>): number {
  return Object.entries(variables).reduce((sum, [key, value]) => {
    const text = flatten(value);
    const bound = RESOLVED_LENGTH.find(([pattern]) => pattern.test(text))?.[1];
    if (text.includes('<') && bound === undefined) throw new Error(`no length bound for ${key} = ${text}`);
    return sum + key.length + (bound ?? Buffer.byteLength(text));
  }, 0);
}

const hex = (i: number, width: number) => i.toString(16).padStart(width, '0');

/** IAM-authenticated targets: the pairs of every other k, both names of the pair. */
const IAM_TARGETS = 26;

/**
 * Pairs of names that differ only by punctuation (orders-cache-prod-eu-0 and orders.cache.prod.eu.0); every other
 * pair authenticates with IAM, the rest with a secret.
 */
function largestTargets(): Array<Record<string, unknown>> {
  return Array.from({ length: MAX_TARGETS }, (_, i) => {
    const k = Math.floor(i / 2);
    const name = `${['orders', 'sessions', 'payments', 'inventory', 'recommendations'][k % 5]}${i % 2 === 0 ? '-cache-prod-eu-' : '.cache.prod.eu.'}${k}`;
    const viaIam = k % 2 === 0;
    return {
      name,
      host: `master.${name.replaceAll('.', '-')}.abc123.euw1.cache.amazonaws.com`,
      port: 6379,
      securityGroupId: `sg-${hex(i, 17)}`,
      ...(viaIam
        ? { iamUser: `leak-auditor-${name.replaceAll('.', '-')}`, cacheName: `${name.replaceAll('.', '-')}-${i % 2 === 0 ? 'a' : 'b'}` }
        : { authSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name.replaceAll('.', '-')}-auditor-auth-AbCd${hex(i, 2)}` }),
    };
  });
}

const context = (extra: Record<string, unknown> = {}) => ({
  redisLeakAuditor: {
    ...EXAMPLE_EXISTING,
    stackName: `RedisLeakAuditor-${'production-fleet-'.repeat(6)}eu-west-1`,
    notificationEmails: ['sre-oncall@example.com', 'platform-team@example.com', 'cache-owners@example.com'],
    slack: { workspaceId: 'T0123456789', channelId: 'C0123456789' },
    targets: largestTargets(),
    ...extra,
  },
});

type Document = { Statement: Array<{ Sid?: string }> };

function policyDocuments(template: ReturnType<typeof templateFor>): Array<[string, Document]> {
  const documents: Array<[string, Document]> = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) documents.push([id, (resource as { Properties: { PolicyDocument: Document } }).Properties.PolicyDocument]);
  }
  for (const [id, resource] of Object.entries(template.findResources('AWS::KMS::Key'))) documents.push([id, (resource as { Properties: { KeyPolicy: Document } }).Properties.KeyPolicy]);
  for (const type of ['AWS::SNS::TopicPolicy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) documents.push([id, (resource as { Properties: { PolicyDocument: Document } }).Properties.PolicyDocument]);
  }
  return documents;
}

describe('the largest configuration (existing VPC, 50 targets, secrets, IAM users, Slack, e-mail)', () => {
  const template = templateFor({ context: context() });

  it('synthesizes all 50 targets, the most the configuration allows', () => {
    expect(appConfigSchema.shape.targets.safeParse(largestTargets()).success).toBe(true);
    expect(appConfigSchema.shape.targets.safeParse([...largestTargets(), { ...largestTargets()[0], name: 'one-more' }]).success).toBe(false);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', MAX_TARGETS);
  });

  it('gives every statement a Sid unique in its policy document', () => {
    const documents = policyDocuments(template);
    expect(documents.length).toBeGreaterThan(0);
    for (const [id, document] of documents) {
      const sids = document.Statement.map((s) => s.Sid).filter((sid): sid is string => sid !== undefined);
      for (const sid of sids) expect(sid, id).toMatch(/^[A-Za-z0-9]+$/);
      expect(sids.filter((sid, i) => sids.indexOf(sid) !== i), id).toEqual([]);
    }
    const connects = documents.flatMap(([, d]) => d.Statement).filter((s) => s.Sid?.startsWith('IamConnect'));
    expect(connects).toHaveLength(IAM_TARGETS);
  });

  it('keeps the Chatbot configuration name within its limit and allowed characters', () => {
    const configuration = Object.values(template.findResources('AWS::Chatbot::SlackChannelConfiguration'))[0] as { Properties: { ConfigurationName: string } };
    expect(configuration.Properties.ConfigurationName.length).toBeLessThanOrEqual(SLACK_CONFIGURATION_NAME_MAX);
    expect(configuration.Properties.ConfigurationName).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('passes cdk-nag with every acknowledgement holding at that size', () => {
    expect(nagFindings(buildStack({ context: context() }).app)).toEqual([]);
  });

  it('reserves no concurrency unless asked', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^redis-leak-auditor'), ReservedConcurrentExecutions: Match.absent() });
    const asked = templateFor({ context: context({ reservedConcurrency: 5 }) });
    asked.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^redis-leak-auditor'), ReservedConcurrentExecutions: 5 });
  });

  it('keeps the function\'s environment within Lambda\'s 4 KB: the 50 targets are in S3', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^redis-leak-auditor') } }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const variables = fn.Properties.Environment.Variables;
    expect(variables.AUDIT_TARGETS).toBeUndefined();
    expect(environmentBytes(variables)).toBeLessThan(LAMBDA_ENVIRONMENT_BYTES / 2);
    // What the old inline list would have cost, to show the limit was real.
    expect(Buffer.byteLength(writtenTargetList(template).body)).toBeGreaterThan(LAMBDA_ENVIRONMENT_BYTES * 2);
  });

  it('writes a list the handler reads back whole: every target, secret, IAM user and cache name', () => {
    const { targets, body } = writtenTargetList(template);
    const config = loadConfig({ AWS_REGION: 'eu-west-1', REPORT_BUCKET: 'audit-reports-test' }, { text: body, source: 's3://audit-reports-test/config/audit-targets.json' });
    expect(config.targets).toHaveLength(MAX_TARGETS);
    expect(config.targets).toEqual(targets);
    const largest = largestTargets();
    config.targets.forEach((target, i) => {
      const given = largest[i] as { name: string; host: string; authSecretArn?: string; iamUser?: string; cacheName?: string };
      expect(target).toEqual({
        name: given.name,
        url: `rediss://${given.host}:6379`,
        tls: true,
        ...(given.authSecretArn ? { authSecretArn: given.authSecretArn } : { iamUser: given.iamUser, cacheName: given.cacheName }),
      });
    });
  });
});

/** CloudFormation's limits on the names and texts the stack writes itself (AWS docs of each resource type). */
const TEXT_LIMITS: Record<string, Record<string, number>> = {
  'AWS::CloudWatch::Alarm': { AlarmName: 255, AlarmDescription: 1024 },
  'AWS::CloudWatch::CompositeAlarm': { AlarmName: 255, AlarmDescription: 1024, AlarmRule: 10240 },
  'AWS::Lambda::Function': { Description: 256 },
  'AWS::EC2::SecurityGroup': { GroupDescription: 255 },
  'AWS::Events::Rule': { Description: 512 },
  'AWS::SQS::Queue': {},
  'AWS::SNS::Topic': { DisplayName: 100 },
};

function overLimits(template: ReturnType<typeof templateFor>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [type, limits] of Object.entries(TEXT_LIMITS)) {
    for (const [id, resource] of Object.entries(template.findResources(type))) {
      const properties = (resource as { Properties: Record<string, unknown> }).Properties;
      for (const [key, max] of Object.entries(limits)) {
        if (properties[key] === undefined) continue;
        const text = flatten(properties[key]);
        if (text.length > max) problems.push(`${id}.${key}: ${text.length} > ${max}`);
        if (key === 'AlarmName') {
          if (names.has(text)) problems.push(`${id}.${key}: '${text}' is used twice (alarm names are unique in an account and region)`);
          names.add(text);
        }
      }
      if (type === 'AWS::Lambda::Function') {
        const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        if (environmentBytes(variables) > LAMBDA_ENVIRONMENT_BYTES) problems.push(`${id}: environment over 4 KB`);
      }
      if (type === 'AWS::Events::Rule') {
        const targets = (properties.Targets as Array<{ Input?: unknown }> | undefined) ?? [];
        if (targets.length > 5) problems.push(`${id}: ${targets.length} targets > 5`);
        for (const target of targets) if (target.Input !== undefined && flatten(target.Input).length > 8192) problems.push(`${id}: an Input over 8192`);
      }
    }
  }
  return problems;
}

describe('every name and text within its AWS limit, at the longest names the config allows', () => {
  const longest = (i: number) => `${'t'.repeat(62)}-${i}`;
  const context = {
    redisLeakAuditor: {
      ...EXAMPLE_EXISTING,
      stackName: `S${'x'.repeat(127)}`,
      targets: Array.from({ length: 3 }, (_, i) => ({ name: longest(i), host: `master.cache-${i}.abc123.euw1.cache.amazonaws.com`, securityGroupId: `sg-${hex(i, 17)}`, authSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${longest(i)}-AbCdEf` })),
      discovery: { tags: { 'leak-audit': 'on' } },
      vpc: { ...(EXAMPLE_EXISTING.vpc as object), cidrBlock: '10.0.0.0/16' },
    },
  };

  it('in your VPC, with discovery, a 128-character stack name and 64-character target names', () => {
    const template = templateFor({ context });
    expect(Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm')).length).toBe(5);
    expect(overLimits(template)).toEqual([]);
  });

  it('in the sandbox, leaky workload included', () => {
    const template = templateFor({ context: { stackName: `S${'x'.repeat(127)}` } });
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).length).toBeGreaterThanOrEqual(3);
    expect(overLimits(template)).toEqual([]);
  });

  it('can fail: a description over the limit is reported', () => {
    const template = templateFor({ context });
    const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const alarm = Object.values(json.Resources).find((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
    if (alarm) alarm.Properties.AlarmDescription = 'x'.repeat(1025);
    expect(overLimits(Template.fromJSON(json))).toEqual([expect.stringMatching(/AlarmDescription: 1025 > 1024$/)]);
  });
});
