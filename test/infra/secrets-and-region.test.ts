// Deploy-time facts of a real account (issue 14): a secret under a customer managed KMS key gets kms:Decrypt on
// that key, through Secrets Manager only; and a config whose zones or ARNs name another region than the stack's
// stops synth, listing every such key, instead of a run that fails every five minutes.
import { describe, expect, it } from 'vitest';
import { AppConfigError } from '../../lib/app-config.js';
import { buildStack, EXAMPLE_EXISTING, templateFor } from '../support/cdk.js';
import { errorMessageOf } from '../support/error-message.js';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-cache-auth-AbCdEf';
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const withTargets = (targets: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, targets, ...extra } });
const target = (extra: Record<string, unknown> = {}) => ({ name: 'orders-cache', host: 'master.orders.abc123.euw1.cache.amazonaws.com', securityGroupId: 'sg-0a1b2c3d4e5f60718', authSecretArn: SECRET, ...extra });

function decryptStatements(context: Record<string, unknown>): Statement[] {
  const template = templateFor({ context });
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement)
    .filter((s) => [s.Action].flat().includes('kms:Decrypt') && JSON.stringify(s.Resource).includes(':kms:'));
}

describe('a secret encrypted with a customer managed key', () => {
  it('grants kms:Decrypt on that key alone, used through Secrets Manager in the stack\'s region', () => {
    expect(decryptStatements(withTargets([target({ authSecretKmsKeyArn: KEY })]))).toEqual([{
      Sid: 'DecryptSecretsWithTheirKeys',
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: KEY,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    }]);
  });

  it('grants no key when the secret uses the account\'s default key', () => {
    expect(decryptStatements(withTargets([target()]))).toEqual([]);
  });

  it('does the same for the secret of discovered caches', () => {
    const discovery = { tags: { 'leak-audit': 'on' }, authSecretArn: SECRET, authSecretKmsKeyArn: KEY };
    const vpc = { ...(EXAMPLE_EXISTING.vpc as object), cidrBlock: '10.20.0.0/16' };
    expect(decryptStatements(withTargets([], { discovery, vpc })).map((s) => s.Resource)).toEqual([KEY]);
  });

  it.each([
    [target({ authSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/orders' }), 'config key targets[0].authSecretKmsKeyArn: expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)'],
    [target({ authSecretArn: undefined, iamUser: 'auditor', cacheName: 'orders', authSecretKmsKeyArn: KEY }), 'config key targets[0].authSecretKmsKeyArn: only with authSecretArn'],
  ])('refuses a key it could not grant (%#)', (bad, message) => {
    expect(errorMessageOf(() => buildStack({ context: withTargets([bad]) }), AppConfigError)).toContain(message);
  });
});

describe('one region for the stack and its config', () => {
  it('deploys the examples to the region they name', () => {
    expect(EXAMPLE_EXISTING.region).toBe('eu-west-1');
    expect(() => buildStack({ context: { redisLeakAuditor: EXAMPLE_EXISTING }, env: { account: '123456789012', region: 'eu-west-1' } })).not.toThrow();
  });

  it('lists every zone and ARN of another region, and says what to do', () => {
    const context = withTargets([target({ authSecretKmsKeyArn: KEY }), { ...target(), name: 'other', authSecretArn: SECRET.replace('eu-west-1', 'us-east-1') }]);
    const message = errorMessageOf(() => buildStack({ context, env: { account: '123456789012', region: 'us-east-1' } }), AppConfigError);
    expect(message).toBe('the stack deploys to us-east-1, but vpc.availabilityZones[0] is eu-west-1a, a zone of eu-west-1; vpc.availabilityZones[1] is eu-west-1b, a zone of eu-west-1; '
      + 'targets[0].authSecretArn is in eu-west-1; targets[0].authSecretKmsKeyArn is in eu-west-1. '
      + 'The auditor runs in one region and reads its secrets and caches there: deploy to the region of your caches (config key region, or CDK_DEFAULT_REGION), or give the zones and ARNs of that region.');
  });

  it('cannot check an environment-agnostic stack, and does not pretend to', () => {
    expect(() => buildStack({ context: withTargets([target()]), env: {} as never })).not.toThrow();
  });
});
