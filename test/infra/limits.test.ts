// The largest configuration the schema allows for what a real account limits (issue 14): 50 targets with long
// realistic names in the existing VPC, secrets and IAM users, Slack and e-mail. Every Sid is unique in its policy
// document, the Chatbot configuration name fits, and no concurrency is reserved unless asked.
// (AUDIT_TARGETS' size against Lambda's 4 KB environment limit is left out on purpose: not fixed here.)
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appConfigSchema } from '../../lib/app-config.js';
import { SLACK_CONFIGURATION_NAME_MAX } from '../../lib/auditor-notifications.js';
import { buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';

/** The config's maximum (lib/app-config.ts); the first test proves it is the maximum. */
const MAX_TARGETS = 50;
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
});
