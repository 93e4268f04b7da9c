// The break-glass on the CDK side (issue 19): off unless enabled, and then the function's variables arm it, the role may
// read each reclaim secret (and decrypt it with its key, through Secrets Manager only) and nothing else new, the target
// list and DISCOVERY carry the secrets' ARNs, and the dashboard graphs ConnectionsReclaimed. Off, a configured reclaim
// secret is neither listed nor granted and the construct warns; the template is what it was before the feature.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BREAK_GLASS_ENV, RECLAIM_RULES } from '../../lambda/core/reclaim-selection.js';
import { AppConfigError } from '../../lib/app-config.js';
import { RedisLeakAuditor, type AuditTargetSpec, type RedisLeakAuditorProps } from '../../lib/index.js';
import { RECLAIM_SECRET_UNUSED } from '../../lib/redis-leak-auditor.js';
import { buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';
import { errorMessageOf } from '../support/error-message.js';
import { flatten, writtenTargetList } from '../support/target-list.js';

const env = { account: '123456789012', region: 'eu-west-1' };
const AUTH_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-auditor-AbCdEf';
const RECLAIM_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-reclaimer-GhIjKl';
const FLEET_RECLAIM_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleet-reclaimer-MnOpQr';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

interface Options {
  readonly breakGlass?: RedisLeakAuditorProps['breakGlass'];
  /** The orders target's reclaim secret: an ARN, or an ARN with the KMS key that encrypts it. */
  readonly reclaim?: { readonly arn: string; readonly keyArn?: string };
  readonly target?: Partial<AuditTargetSpec>;
  readonly discoveryReclaim?: boolean;
}

function synth(options: Options = {}): { stack: Stack; template: Template } {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'rla-break-glass-')), context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'BreakGlass', { env });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
  const reclaimSecret = options.reclaim && secretsmanager.Secret.fromSecretAttributes(stack, 'OrdersReclaim', {
    secretCompleteArn: options.reclaim.arn,
    ...(options.reclaim.keyArn ? { encryptionKey: kms.Key.fromKeyArn(stack, 'OrdersReclaimKey', options.reclaim.keyArn) } : {}),
  });
  new RedisLeakAuditor(stack, 'Auditor', {
    vpc,
    targets: [{
      name: 'orders-cache',
      host: 'master.orders.abc123.euw1.cache.amazonaws.com',
      authSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'OrdersAuth', AUTH_ARN),
      ...(reclaimSecret ? { reclaimSecret } : {}),
      ...options.target,
    }],
    ...(options.discoveryReclaim ? { discovery: { tags: { 'leak-audit': 'on' }, reclaimSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'FleetReclaim', FLEET_RECLAIM_ARN) } } : {}),
    ...(options.breakGlass ? { breakGlass: options.breakGlass } : {}),
  });
  return { stack, template: Template.fromStack(stack) };
}

function variables(template: Template): Record<string, string> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^redis-leak-auditor: audits') } }));
  expect(functions).toHaveLength(1);
  const found = (functions[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
  return Object.fromEntries(Object.entries(found).map(([key, value]) => [key, flatten(value)]));
}

function breakGlassVariables(template: Template): Record<string, string> {
  return Object.fromEntries(Object.entries(variables(template)).filter(([key]) => key === BREAK_GLASS_ENV || key.startsWith('RECLAIM_')));
}

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

/** The kms:Decrypt statements on keys given by ARN (the alert topic's own key is granted by reference). */
function decryptStatements(template: Template): Statement[] {
  return statements(template).filter((s) => [s.Action].flat().includes('kms:Decrypt') && JSON.stringify(s.Resource).includes(':kms:'));
}

/** The auditor role's statements that read secrets, by Sid, with their resources. */
function secretReads(template: Template): Record<string, unknown> {
  return Object.fromEntries(statements(template).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')).map((s) => [s.Sid ?? '(no sid)', s.Resource]));
}

function dashboardBody(template: Template): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return flatten((dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody);
}

describe('the function\'s variables', () => {
  it('sets none when breakGlass is absent or not enabled', () => {
    expect(breakGlassVariables(synth().template)).toEqual({});
    expect(breakGlassVariables(synth({ breakGlass: { enabled: false, maxPerRun: 5, minIdleSeconds: 60 } }).template)).toEqual({});
  });

  it('arms the break-glass when enabled, and passes only the settings given (the Lambda has the defaults)', () => {
    expect(breakGlassVariables(synth({ breakGlass: { enabled: true } }).template)).toEqual({ [BREAK_GLASS_ENV]: 'true' });
    expect(breakGlassVariables(synth({ breakGlass: { enabled: true, maxPerRun: 5 } }).template)).toEqual({ [BREAK_GLASS_ENV]: 'true', [RECLAIM_RULES.maxPerRun.env]: '5' });
    expect(breakGlassVariables(synth({ breakGlass: { enabled: true, maxPerRun: 5, minIdleSeconds: 600 } }).template)).toEqual({
      [BREAK_GLASS_ENV]: 'true', [RECLAIM_RULES.maxPerRun.env]: '5', [RECLAIM_RULES.minIdleSeconds.env]: '600',
    });
  });
});

describe('the role and the reclaim secrets', () => {
  it('may read exactly the reclaim secret, in a statement of its own, when the break-glass is enabled', () => {
    expect(secretReads(synth({ breakGlass: { enabled: true }, reclaim: { arn: RECLAIM_ARN } }).template)).toEqual({
      ReadAuthSecrets: AUTH_ARN,
      ReadReclaimSecretsForBreakGlass: RECLAIM_ARN,
    });
  });

  it('gets no reclaim grant without a reclaim secret', () => {
    expect(secretReads(synth({ breakGlass: { enabled: true } }).template)).toEqual({ ReadAuthSecrets: AUTH_ARN });
  });

  it('gets no reclaim grant, and lists no reclaim secret, while the break-glass is off, and says so in a warning', () => {
    const { stack, template } = synth({ reclaim: { arn: RECLAIM_ARN } });
    expect(secretReads(template)).toEqual({ ReadAuthSecrets: AUTH_ARN });
    expect(writtenTargetList(template).targets[0]).not.toHaveProperty('reclaimSecretArn');
    expect(JSON.stringify(template.toJSON())).not.toContain('orders-reclaimer');
    const warnings = Annotations.fromStack(stack).findWarning('/BreakGlass/Auditor', Match.stringLikeRegexp('targets\\[0\\]\\.reclaimSecret .* is set but breakGlass is not enabled'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]?.entry.data)).toContain(RECLAIM_SECRET_UNUSED);
  });

  it('warns about nothing when the break-glass uses its secret', () => {
    Annotations.fromStack(synth({ breakGlass: { enabled: true }, reclaim: { arn: RECLAIM_ARN } }).stack).hasNoWarning('*', Match.stringLikeRegexp('reclaimSecret'));
  });

  it('warns that a serverless cache\'s reclaim secret can never be used', () => {
    const { stack } = synth({ breakGlass: { enabled: true }, reclaim: { arn: RECLAIM_ARN }, target: { serverless: true, cacheName: 'orders' } });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('targets\\[0\\]\\.reclaimSecret .*serverless'))).toHaveLength(1);
  });

  it('decrypts a reclaim secret with its customer managed key, through Secrets Manager in the stack\'s region only', () => {
    const decrypt = decryptStatements(synth({ breakGlass: { enabled: true }, reclaim: { arn: RECLAIM_ARN, keyArn: KEY_ARN } }).template);
    expect(decrypt).toEqual([{
      Sid: 'DecryptSecretsWithTheirKeys',
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: KEY_ARN,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    }]);
  });

  it('reads the discovery\'s reclaim secret too, and hands it to the handler in DISCOVERY', () => {
    const { template } = synth({ breakGlass: { enabled: true }, discoveryReclaim: true });
    expect(secretReads(template)).toMatchObject({ ReadReclaimSecretsForBreakGlass: FLEET_RECLAIM_ARN });
    expect(JSON.parse(variables(template).DISCOVERY ?? '{}')).toMatchObject({ reclaimSecretArn: FLEET_RECLAIM_ARN });
    const off = synth({ discoveryReclaim: true }).template;
    expect(JSON.parse(variables(off).DISCOVERY ?? '{}')).not.toHaveProperty('reclaimSecretArn');
    expect(secretReads(off)).toEqual({ ReadAuthSecrets: AUTH_ARN });
  });

  it('lists the reclaim secret\'s ARN in the target list when enabled', () => {
    expect(writtenTargetList(synth({ breakGlass: { enabled: true }, reclaim: { arn: RECLAIM_ARN } }).template).targets[0]).toMatchObject({ authSecretArn: AUTH_ARN, reclaimSecretArn: RECLAIM_ARN });
  });

  it('counts Secrets Manager among the routes the function needs when only a reclaim secret is read', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Routes', { env });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'], vpcCidrBlock: '10.0.0.0/16' });
    const target = (reclaim: boolean, id: string): AuditTargetSpec => ({
      name: 'orders', host: 'h', iamUser: 'auditor', cacheName: 'orders',
      ...(reclaim ? { reclaimSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, id, RECLAIM_ARN) } : {}),
    });
    const armed = new RedisLeakAuditor(stack, 'Armed', { vpc, targets: [target(true, 'S1')], breakGlass: { enabled: true } });
    const off = new RedisLeakAuditor(stack, 'Off', { vpc, targets: [target(true, 'S2')] });
    expect(armed.networkRoutes.map((r) => r.service)).toContain('secretsmanager');
    expect(off.networkRoutes.map((r) => r.service)).not.toContain('secretsmanager');
  });
});

describe('the dashboard', () => {
  it('graphs the connections reclaimed per target (Sum) only when the break-glass is enabled', () => {
    const armed = dashboardBody(synth({ breakGlass: { enabled: true } }).template);
    expect(armed).toContain('"RedisLeakAuditor","ConnectionsReclaimed","Target","orders-cache",{"label":"orders-cache","stat":"Sum"}');
    expect(dashboardBody(synth().template)).not.toContain('ConnectionsReclaimed');
  });

  it('finds every cache\'s reclaimed connections with SEARCH when discovery is on', () => {
    expect(dashboardBody(synth({ breakGlass: { enabled: true }, discoveryReclaim: true }).template)).toContain('MetricName=\\"ConnectionsReclaimed\\"');
  });
});

describe('validation', () => {
  const validate = (breakGlass: unknown) => () => synth({ breakGlass: breakGlass as RedisLeakAuditorProps['breakGlass'] });
  const { maxPerRun, minIdleSeconds } = RECLAIM_RULES;

  it.each([
    [{ enabled: true, maxPerRun: maxPerRun.min - 1 }, `RedisLeakAuditor: breakGlass.maxPerRun expects a whole number from ${maxPerRun.min} to ${maxPerRun.max}, got '${maxPerRun.min - 1}'`],
    [{ enabled: true, maxPerRun: maxPerRun.max + 1 }, `RedisLeakAuditor: breakGlass.maxPerRun expects a whole number from ${maxPerRun.min} to ${maxPerRun.max}, got '${maxPerRun.max + 1}'`],
    [{ enabled: true, minIdleSeconds: 2.5 }, `RedisLeakAuditor: breakGlass.minIdleSeconds expects a whole number from ${minIdleSeconds.min} to ${minIdleSeconds.max}, got '2.5'`],
    [{ enabled: 'yes' }, 'RedisLeakAuditor: breakGlass.enabled expects true or false, got \'yes\''],
    // A bad setting is refused even while the break-glass is off: it would be wrong the day it is enabled.
    [{ enabled: false, minIdleSeconds: 0 }, `RedisLeakAuditor: breakGlass.minIdleSeconds expects a whole number from ${minIdleSeconds.min} to ${minIdleSeconds.max}, got '0'`],
  ])('refuses %j, naming the prop and the form it expects', (breakGlass, message) => {
    expect(errorMessageOf(validate(breakGlass), Error)).toBe(message);
  });

  it('lists every break-glass problem at once', () => {
    const message = errorMessageOf(validate({ enabled: 1, maxPerRun: 0, minIdleSeconds: -1 }), Error);
    expect(message).toMatch(/^RedisLeakAuditor: 3 problems: /);
    for (const prop of ['breakGlass.enabled', 'breakGlass.maxPerRun', 'breakGlass.minIdleSeconds']) expect(message).toContain(`${prop} expects`);
  });
});

describe('the CDK app\'s config', () => {
  const reclaimTarget = (extra: Record<string, unknown> = {}) => ({
    ...(EXAMPLE_EXISTING.targets as Array<Record<string, unknown>>)[0], reclaimSecretArn: RECLAIM_ARN, ...extra,
  });
  const context = (config: Record<string, unknown>) => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, ...config } });

  it('synthesizes the default setup unchanged with breakGlass: { enabled: false }', () => {
    const without = templateFor({ context: context({}) }).toJSON();
    const off = templateFor({ context: context({ breakGlass: { enabled: false } }) }).toJSON();
    expect(off).toEqual(without);
  });

  it('wires breakGlass and each target\'s reclaimSecretArn (and its key) through to the construct', () => {
    const template = templateFor({ context: context({ breakGlass: { enabled: true, maxPerRun: 10 }, targets: [reclaimTarget({ reclaimSecretKmsKeyArn: KEY_ARN })] }) });
    expect(breakGlassVariables(template)).toEqual({ [BREAK_GLASS_ENV]: 'true', [RECLAIM_RULES.maxPerRun.env]: '10' });
    expect(secretReads(template)).toMatchObject({ ReadReclaimSecretsForBreakGlass: RECLAIM_ARN });
    expect(writtenTargetList(template).targets[0]).toMatchObject({ reclaimSecretArn: RECLAIM_ARN });
    expect(decryptStatements(template).map((s) => s.Resource)).toEqual([KEY_ARN]);
  });

  it.each([
    [{ breakGlass: { enabled: true, maxPerRun: 0 } }, `config key breakGlass.maxPerRun expects a whole number from ${RECLAIM_RULES.maxPerRun.min} to ${RECLAIM_RULES.maxPerRun.max}, got '0'`],
    [{ breakGlass: { maxPerRun: 5 } }, 'config key breakGlass.enabled: expected true or false'],
    [{ breakGlass: { enabled: true, killAll: true } }, 'config key breakGlass: Unrecognized key: "killAll"'],
    [{ targets: [reclaimTarget({ reclaimSecretArn: 'orders-reclaimer' })] }, 'config key targets[0].reclaimSecretArn: expected a Secrets Manager secret ARN'],
    [{ targets: [reclaimTarget({ reclaimSecretArn: undefined, reclaimSecretKmsKeyArn: KEY_ARN })] }, 'config key targets[0].reclaimSecretKmsKeyArn: only with reclaimSecretArn'],
    [{ discovery: { tags: { 'leak-audit': 'on' }, reclaimSecretKmsKeyArn: KEY_ARN }, vpc: { ...(EXAMPLE_EXISTING.vpc as object), cidrBlock: '10.20.0.0/16' } }, 'config key discovery.reclaimSecretKmsKeyArn: only with reclaimSecretArn'],
  ])('refuses %j, naming the key', (config, message) => {
    expect(errorMessageOf(() => buildStack({ context: context(config) }), AppConfigError)).toContain(message);
  });

  it('lists reclaim ARNs of another region', () => {
    const config = context({
      targets: [reclaimTarget({ reclaimSecretArn: RECLAIM_ARN.replace('eu-west-1', 'us-east-1'), reclaimSecretKmsKeyArn: KEY_ARN.replace('eu-west-1', 'us-east-1') })],
      discovery: { tags: { 'leak-audit': 'on' }, reclaimSecretArn: FLEET_RECLAIM_ARN.replace('eu-west-1', 'us-east-1') },
      vpc: { ...(EXAMPLE_EXISTING.vpc as object), cidrBlock: '10.20.0.0/16' },
    });
    const message = errorMessageOf(() => buildStack({ context: config }), AppConfigError);
    expect(message).toContain('targets[0].reclaimSecretArn is in us-east-1; targets[0].reclaimSecretKmsKeyArn is in us-east-1; discovery.reclaimSecretArn is in us-east-1');
  });

  it('passes cdk-nag with the break-glass armed on targets and discovery, keys included', () => {
    const config = context({
      breakGlass: { enabled: true, maxPerRun: 50, minIdleSeconds: 1800 },
      targets: [reclaimTarget({ reclaimSecretKmsKeyArn: KEY_ARN }), ...(EXAMPLE_EXISTING.targets as unknown[]).slice(1)],
      discovery: { tags: { 'leak-audit': 'on' }, reclaimSecretArn: FLEET_RECLAIM_ARN },
      vpc: { ...(EXAMPLE_EXISTING.vpc as object), cidrBlock: '10.20.0.0/16' },
    });
    expect(nagFindings(buildStack({ context: config }).app)).toEqual([]);
  });
});
