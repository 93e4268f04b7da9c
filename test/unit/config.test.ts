import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { ConfigError } from '../../lambda/core/errors.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { DEFAULT_MAX_STALL_MS, DEFAULT_OVER_BUDGET, MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES } from '../../lambda/core/stall-budget.js';
import { errorMessageOf } from '../support/error-message.js';

const base = {
  AWS_REGION: 'eu-west-1',
  REPORT_BUCKET: 'audit-reports-123',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:leaks',
  AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: 'rediss://master.orders.abc.euw1.cache.amazonaws.com:6379', authSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-auth-AbCdEf' }]),
};

const failure = (env: Record<string, string>): string => errorMessageOf(() => loadConfig(env), ConfigError);

describe('loadConfig', () => {
  it('reads the environment contract with its defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      reportBucket: 'audit-reports-123', topicArn: base.TOPIC_ARN, metricNamespace: 'RedisLeakAuditor', region: 'eu-west-1',
      samples: 1, notifyCooldownMinutes: 60, notifyAfterFailures: 2, reportKmsKeyArn: null, auditDeadlineSeconds: 60,
    });
    expect(config.policy).toEqual(defaultPolicy);
    expect(config.targets[0]?.name).toBe('orders-cache');
  });

  it('reads the audit deadline, and names the variable on a bad one', () => {
    expect(loadConfig({ ...base, AUDIT_DEADLINE_SECONDS: '45' }).auditDeadlineSeconds).toBe(45);
    expect(() => loadConfig({ ...base, AUDIT_DEADLINE_SECONDS: 'soon' })).toThrow(/AUDIT_DEADLINE_SECONDS/);
  });

  it('takes the CLI thresholds from variables', () => {
    const config = loadConfig({ ...base, IDLE_SECONDS: '120', CHURN_PER_MINUTE: '50', MIN_GROUP_CONNECTIONS: '8', MAXCLIENTS_WARN: '0.7' });
    expect(config.policy).toMatchObject({ idleSeconds: 120, churnPerMinute: 50, minGroupConnections: 8, minPubsubConnections: 8, maxclientsWarn: 0.7 });
  });

  it.each([
    [{ AUDIT_TARGETS: undefined }, 'AUDIT_TARGETS is required'],
    [{ AUDIT_TARGETS: '[{' }, 'AUDIT_TARGETS is not valid JSON'],
    [{ AUDIT_TARGETS: '[]' }, 'AUDIT_TARGETS: '],
    [{ AUDIT_TARGETS: '[{"name":"a b","url":"redis://h:1"}]' }, 'AUDIT_TARGETS[0].name: expected 1-64 characters'],
    [{ AUDIT_TARGETS: '[{"name":"a","url":"http://h"}]' }, 'AUDIT_TARGETS[0].url: expected redis://host:port'],
    [{ AUDIT_TARGETS: '[{"name":"a","url":"redis://h","colour":"red"}]' }, 'AUDIT_TARGETS[0]'],
    [{ AUDIT_TARGETS: '[{"name":"a","url":"redis://h"},{"name":"a","url":"redis://g"}]' }, "AUDIT_TARGETS[1].name: 'a' is used twice"],
    [{ AUDIT_TARGETS: '[{"name":"a","url":"redis://h","iamUser":"auditor"}]' }, 'AUDIT_TARGETS[0].cacheName is required with iamUser'],
    [{ REPORT_BUCKET: '' }, 'REPORT_BUCKET is required: expected an S3 bucket name'],
    [{ TOPIC_ARN: 'my-topic' }, "TOPIC_ARN is not an SNS topic ARN: got 'my-topic'"],
    [{ IDLE_SECONDS: 'five' }, "IDLE_SECONDS expects a whole number from 1 to 31536000, got 'five'"],
    [{ MAXCLIENTS_WARN: '80' }, "MAXCLIENTS_WARN expects a share of maxclients from 0.01 to 1, got '80'"],
    [{ MAXCLIENTS_CRITICAL: '0.5' }, 'MAXCLIENTS_CRITICAL (0.5) must not be below MAXCLIENTS_WARN (0.8)'],
    [{ LIST_LIMIT: '1001' }, "LIST_LIMIT expects a whole number from 1 to 1000, got '1001'"],
    [{ COMMAND_TIMEOUT_MS: '60001' }, "COMMAND_TIMEOUT_MS expects a whole number from 100 to 60000, got '60001'"],
  ])('rejects %j naming the variable', (change, expected) => {
    const env = { ...base, ...change } as Record<string, string>;
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    expect(failure(env)).toContain(expected);
  });

  it('accepts a cluster target (every node is audited from this seed)', () => {
    const config = loadConfig({ ...base, AUDIT_TARGETS: '[{"name":"sessions","url":"rediss://clustercfg.sessions.abc123.euw1.cache.amazonaws.com:6379","cluster":true}]' });
    expect(config.targets[0]).toMatchObject({ name: 'sessions', cluster: true });
  });

  it('refuses a password in a target URL without echoing it', () => {
    const message = failure({ ...base, AUDIT_TARGETS: '[{"name":"a","url":"redis://default:hunter2@h:6379"}]' });
    expect(message).toBe('AUDIT_TARGETS[0].url must not contain a password: store it in Secrets Manager and set authSecretArn');
  });
});

describe('loadConfig: DISCOVERY', () => {
  const tagged = JSON.stringify({ tags: { 'leak-audit': 'on' } });

  it('is off by default', () => {
    expect(loadConfig(base).discovery).toBeNull();
  });

  it('reads the tags with the defaults for kinds and maxTargets, and lets AUDIT_TARGETS be left out', () => {
    const config = loadConfig({ ...base, AUDIT_TARGETS: '', DISCOVERY: tagged });
    expect(config.discovery).toEqual({ tags: { 'leak-audit': 'on' }, kinds: ['replication-group', 'serverless-cache'], maxTargets: 20 });
    expect(config.targets).toEqual([]);
    expect(loadConfig({ ...base, AUDIT_TARGETS: '[]', DISCOVERY: tagged }).targets).toEqual([]);
  });

  it.each([
    ['{', 'DISCOVERY is not valid JSON'],
    ['{"tags":{}}', 'DISCOVERY.tags: expected 1 to 10 tags'],
    ['{"tags":{"a":"b"},"kinds":["cluster"]}', 'DISCOVERY.kinds[0]: expected replication-group or serverless-cache'],
    ['{"tags":{"a":"b"},"maxTargets":500}', 'DISCOVERY.maxTargets: expected at most 100'],
    ['{"tags":{"a":"b"},"authSecretArn":"nope"}', 'DISCOVERY.authSecretArn: expected a Secrets Manager secret ARN'],
    ['{"tags":{"a":"b"},"colour":"red"}', 'DISCOVERY'],
    ['{"tags":{"a":"b"},"iamUser":"u","authSecretArn":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf"}', 'DISCOVERY: give either authSecretArn or iamUser, not both'],
  ])('refuses DISCOVERY=%s with the key and the expected form', (value, message) => {
    expect(failure({ ...base, DISCOVERY: value })).toContain(message);
  });

  it('still needs AUDIT_TARGETS without DISCOVERY', () => {
    expect(failure({ ...base, AUDIT_TARGETS: '' })).toContain('AUDIT_TARGETS is required (or DISCOVERY)');
  });

  it('needs cacheName for a serverless target (its CloudWatch metrics are found by it)', () => {
    expect(failure({ ...base, AUDIT_TARGETS: '[{"name":"s","url":"rediss://s:6379","serverless":true}]' })).toContain('AUDIT_TARGETS[0].cacheName is required with serverless');
  });
});

describe('loadConfig: clusterAllow', () => {
  it('accepts networks beyond the seed\'s and refuses a malformed one naming the target key', () => {
    const target = (clusterAllow: string[]) => JSON.stringify([{ name: 'c', url: 'redis://10.0.0.5:7000', cluster: true, clusterAllow }]);
    expect(loadConfig({ ...base, AUDIT_TARGETS: target(['10.1.0.0/16']) }).targets[0]?.clusterAllow).toEqual(['10.1.0.0/16']);
    expect(() => loadConfig({ ...base, AUDIT_TARGETS: target(['nope/99']) })).toThrow(/clusterAllow/);
  });
});

describe('loadConfig: MAX_STALL_MS and OVER_BUDGET', () => {
  const stallForm = `MAX_STALL_MS expects a number from ${MAX_STALL_MS_RANGE.min} to ${MAX_STALL_MS_RANGE.max}`;

  it('default to the stall budget of core/stall-budget.ts', () => {
    expect(loadConfig(base).policy).toMatchObject({ maxStallMs: DEFAULT_MAX_STALL_MS, overBudget: DEFAULT_OVER_BUDGET });
    expect(loadConfig({ ...base, MAX_STALL_MS: '', OVER_BUDGET: ' ' }).policy).toMatchObject({ maxStallMs: DEFAULT_MAX_STALL_MS, overBudget: DEFAULT_OVER_BUDGET });
  });

  it('take a budget with decimals and a choice', () => {
    expect(loadConfig({ ...base, MAX_STALL_MS: '2.5', OVER_BUDGET: 'list-all' }).policy).toMatchObject({ maxStallMs: 2.5, overBudget: 'list-all' });
  });

  it.each([
    [{ MAX_STALL_MS: '0' }, `${stallForm}, got '0'`],
    [{ MAX_STALL_MS: String(MAX_STALL_MS_RANGE.max * 2) }, `${stallForm}, got '${MAX_STALL_MS_RANGE.max * 2}'`],
    [{ MAX_STALL_MS: 'fast' }, `${stallForm}, got 'fast'`],
    [{ OVER_BUDGET: 'x' }, `OVER_BUDGET expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got 'x'`],
    [{ OVER_BUDGET: 'List-All' }, `OVER_BUDGET expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got 'List-All'`],
  ])('refuse %j, naming the variable and the expected form', (change, expected) => {
    expect(failure({ ...base, ...change })).toBe(expected);
  });
});
