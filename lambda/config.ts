// The Lambda's configuration: environment variables validated once, with one schema. A bad value fails
// with the variable's name and the form it expects; a password is never accepted from the environment.
import { DEADLINE_SECONDS_RANGE, defaultDeadlineSeconds } from './core/deadline.js';
import { CLUSTER_ALLOW_FORM, isValidClusterAllow } from './core/cluster-rules.js';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';
import { defaultPolicy, type AuditPolicy } from './core/model.js';
import { DEFAULT_DISCOVERED_TARGETS, discoveryTagsSchema, MAX_DISCOVERED_TARGETS } from './discovery/discovery-rules.js';
import { MAX_TARGETS, TARGET_LIST_ENV } from './target-list-object.js';
import { DEFAULT_MAX_STALL_MS, DEFAULT_OVER_BUDGET, isOverBudget, MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES, type OverBudget } from './core/stall-budget.js';

const TARGET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const targetSchema = z.strictObject({
  name: z.string().regex(TARGET_NAME, 'expected 1-64 characters from A-Z a-z 0-9 . _ -'),
  url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port or rediss://host:port'),
  tls: z.boolean().optional(),
  cluster: z.boolean().optional(),
  authSecretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'expected a Secrets Manager secret ARN').optional(),
  iamUser: z.string().min(1, 'expected the ElastiCache user id of an IAM-enabled user').optional(),
  cacheName: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected the replication group id or serverless cache name, lower case').optional(),
  serverless: z.boolean().optional(),
  /** Networks (CIDR) and `*.domain`s, beyond the seed's network, whose announced cluster nodes may be contacted (core/cluster-rules.ts). */
  clusterAllow: z.array(z.string()).refine(isValidClusterAllow, CLUSTER_ALLOW_FORM).optional(),
});

export type TargetConfig = z.infer<typeof targetSchema>;

const discoverySchema = z.strictObject({
  tags: discoveryTagsSchema,
  kinds: z.array(z.enum(['replication-group', 'serverless-cache'], { error: 'expected replication-group or serverless-cache' })).min(1).default(['replication-group', 'serverless-cache']),
  maxTargets: z.number().int().min(1).max(MAX_DISCOVERED_TARGETS, `expected at most ${MAX_DISCOVERED_TARGETS} discovered targets a run`).default(DEFAULT_DISCOVERED_TARGETS),
  authSecretArn: targetSchema.shape.authSecretArn,
  iamUser: targetSchema.shape.iamUser,
});

/** Which caches to find by tag through the ElastiCache API, and the credentials to audit them with. */
export type DiscoveryConfig = z.infer<typeof discoverySchema>;

export interface LambdaConfig {
  /** The configured targets; empty only when discovery finds them. */
  readonly targets: readonly TargetConfig[];
  /** Find more targets by tag at each run (DISCOVERY); null: only AUDIT_TARGETS. */
  readonly discovery: DiscoveryConfig | null;
  /** Minutes of the cache's own CloudWatch connection metrics a Serverless audit reads. */
  readonly serviceMetricsWindowMinutes: number;
  readonly reportBucket: string;
  readonly topicArn: string | null;
  readonly metricNamespace: string;
  readonly region: string;
  readonly policy: AuditPolicy;
  readonly samples: number;
  readonly sampleIntervalSeconds: number;
  /** Each target's audit ends by this many seconds, and by the invocation's end less the delivery reserve (core/deadline.ts). */
  readonly auditDeadlineSeconds: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly notifyCooldownMinutes: number;
  readonly notifyAfterFailures: number;
  readonly presignExpiresSeconds: number;
  readonly reportKmsKeyArn: string | null;
  readonly secretMaxAgeSeconds: number;
  readonly targetConcurrency: number;
  /** Name the workloads behind source IPs (EC2 DescribeNetworkInterfaces). */
  readonly resolveSourceIps: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The configuration from the environment. `targetList`: the list the stack wrote to S3 (TARGET_LIST_ENV names it),
 * read by the handler, which stands in for AUDIT_TARGETS; the two are never given together.
 */
export function loadConfig(env: Env, targetList?: { readonly text: string; readonly source: string }): LambdaConfig {
  const discovery = parseDiscovery(env.DISCOVERY);
  if (targetList && env.AUDIT_TARGETS?.trim()) {
    throw new ConfigError(`AUDIT_TARGETS and ${TARGET_LIST_ENV.key} are both set: give the targets in one place (the stack uses ${TARGET_LIST_ENV.key})`);
  }
  const targets = targetList
    ? parseTargets(targetList.text, discovery !== null, `the target list ${targetList.source}`)
    : parseTargets(env.AUDIT_TARGETS, discovery !== null, 'AUDIT_TARGETS');
  const minGroupConnections = int(env, 'MIN_GROUP_CONNECTIONS', defaultPolicy.minGroupConnections, 1, 1_000_000);
  const maxclientsWarn = num(env, 'MAXCLIENTS_WARN', defaultPolicy.maxclientsWarn, 0.01, 1);
  const maxclientsCritical = num(env, 'MAXCLIENTS_CRITICAL', Math.max(defaultPolicy.maxclientsCritical, maxclientsWarn), maxclientsWarn, 1);
  const samples = int(env, 'SAMPLES', 1, 1, 10);
  const sampleIntervalSeconds = num(env, 'SAMPLE_INTERVAL_SECONDS', 5, 0.1, 60);
  return {
    targets,
    discovery,
    serviceMetricsWindowMinutes: int(env, 'SERVICE_METRICS_WINDOW_MINUTES', 30, 5, 1440),
    reportBucket: reportBucketOf(env),
    topicArn: optional(env, 'TOPIC_ARN', /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN'),
    metricNamespace: optional(env, 'METRIC_NAMESPACE', /^[A-Za-z0-9.\-_/#:]{1,255}$/, 'a CloudWatch namespace (letters, digits, . - _ / # :)') ?? 'RedisLeakAuditor',
    // Lambda sets AWS_REGION; a local invocation may only have AWS_DEFAULT_REGION.
    region: required({ AWS_REGION: env.AWS_REGION || env.AWS_DEFAULT_REGION }, 'AWS_REGION', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1 (set by Lambda)'),
    policy: {
      idleSeconds: int(env, 'IDLE_SECONDS', defaultPolicy.idleSeconds, 1, 31_536_000),
      churnPerMinute: num(env, 'CHURN_PER_MINUTE', defaultPolicy.churnPerMinute, 0, 100_000_000),
      minGroupConnections,
      minPubsubConnections: int(env, 'MIN_PUBSUB_CONNECTIONS', Math.min(defaultPolicy.minPubsubConnections, minGroupConnections), 1, 1_000_000),
      minGrowthConnections: int(env, 'MIN_GROWTH', defaultPolicy.minGrowthConnections, 1, 1_000_000),
      maxclientsWarn,
      maxclientsCritical,
      listLimit: int(env, 'LIST_LIMIT', defaultPolicy.listLimit, 1, 1000),
      maxStallMs: num(env, 'MAX_STALL_MS', DEFAULT_MAX_STALL_MS, MAX_STALL_MS_RANGE.min, MAX_STALL_MS_RANGE.max),
      overBudget: overBudget(env, 'OVER_BUDGET'),
    },
    samples,
    sampleIntervalSeconds,
    auditDeadlineSeconds: int(env, 'AUDIT_DEADLINE_SECONDS', defaultDeadlineSeconds(samples, sampleIntervalSeconds), DEADLINE_SECONDS_RANGE.min, DEADLINE_SECONDS_RANGE.max),
    connectTimeoutMs: int(env, 'CONNECT_TIMEOUT_MS', 5000, 100, 60_000),
    commandTimeoutMs: int(env, 'COMMAND_TIMEOUT_MS', 5000, 100, 60_000),
    notifyCooldownMinutes: int(env, 'NOTIFY_COOLDOWN_MINUTES', 60, 0, 10_080),
    notifyAfterFailures: int(env, 'NOTIFY_AFTER_FAILURES', 2, 1, 100),
    presignExpiresSeconds: int(env, 'PRESIGN_EXPIRES_SECONDS', 3600, 60, 604_800),
    reportKmsKeyArn: optional(env, 'REPORT_KMS_KEY_ARN', /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/, 'a KMS key ARN'),
    secretMaxAgeSeconds: int(env, 'SECRET_MAX_AGE_SECONDS', 300, 0, 86_400),
    targetConcurrency: int(env, 'TARGET_CONCURRENCY', 4, 1, 32),
    resolveSourceIps: bool(env, 'RESOLVE_SOURCE_IPS', false),
  };
}

function parseDiscovery(raw: string | undefined): DiscoveryConfig | null {
  const expected = 'a JSON object { "tags": { "key": "value or *" }, "kinds"?: ["replication-group", "serverless-cache"], "maxTargets"?, "authSecretArn"?, "iamUser"? }';
  if (raw === undefined || raw.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError(`DISCOVERY is not valid JSON: expected ${expected}`);
  }
  const parsed = discoverySchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`DISCOVERY${pathOf(parsed.error.issues[0]?.path)}: ${parsed.error.issues[0]?.message ?? 'invalid'} (expected ${expected})`);
  if (parsed.data.iamUser !== undefined && parsed.data.authSecretArn !== undefined) throw new ConfigError('DISCOVERY: give either authSecretArn or iamUser, not both');
  return parsed.data;
}

/** REPORT_BUCKET, checked: also where the stack's target list is (handler-config.ts). */
export function reportBucketOf(env: Env): string {
  return required(env, 'REPORT_BUCKET', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
}

function pathOf(path: readonly PropertyKey[] | undefined): string {
  return (path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/** `source`: how error messages name the list (the variable, or the S3 object). */
function parseTargets(raw: string | undefined, discovery: boolean, source: string): TargetConfig[] {
  const expected = 'a JSON array of { "name", "url", "tls"?, "cluster"?, "authSecretArn"?, "iamUser"?, "cacheName"?, "serverless"? }';
  if (raw === undefined || raw.trim() === '') {
    if (discovery) return [];
    throw new ConfigError(`${source} is required (or DISCOVERY): ${expected}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${source} is not valid JSON: expected ${expected}`);
  }
  const parsed = z.array(targetSchema).min(discovery ? 0 : 1).max(MAX_TARGETS).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${source}${pathOf(issue?.path)}: ${issue?.message ?? 'invalid'} (expected ${expected}, ${discovery ? 0 : 1} to ${MAX_TARGETS} targets)`);
  }
  const names = new Set<string>();
  parsed.data.forEach((target, i) => {
    const where = `${source}[${i}]`;
    if (names.has(target.name)) throw new ConfigError(`${where}.name: '${target.name}' is used twice; target names must be unique`);
    names.add(target.name);
    // The password part of a URL: "//user:secret@" (a bare "//user@" is fine).
    if (/^rediss?:\/\/[^/@]*:[^/@]*@/.test(target.url)) {
      throw new ConfigError(`${where}.url must not contain a password: store it in Secrets Manager and set authSecretArn`);
    }
    if (target.iamUser !== undefined && target.cacheName === undefined) {
      throw new ConfigError(`${where}.cacheName is required with iamUser: the replication group id or serverless cache name the token is signed for`);
    }
    if (target.iamUser !== undefined && target.authSecretArn !== undefined) {
      throw new ConfigError(`${where}: give either authSecretArn or iamUser, not both`);
    }
    if (target.serverless === true && target.cacheName === undefined) {
      throw new ConfigError(`${where}.cacheName is required with serverless: the serverless cache name, whose CloudWatch connection metrics stand in for CLIENT LIST`);
    }
  });
  return parsed.data;
}

function required(env: Env, name: string, pattern: RegExp, form: string): string {
  const value = optional(env, name, pattern, form);
  if (value === null) throw new ConfigError(`${name} is required: expected ${form}`);
  return value;
}

function optional(env: Env, name: string, pattern: RegExp, form: string): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  if (!pattern.test(value)) throw new ConfigError(`${name} is not ${form}: got '${value.slice(0, 80)}'`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} expects true or false, got '${env[name]?.slice(0, 80) ?? ''}'`);
}

function overBudget(env: Env, name: string): OverBudget {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_OVER_BUDGET;
  if (!isOverBudget(raw)) throw new ConfigError(`${name} expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got '${env[name]?.slice(0, 80) ?? ''}'`);
  return raw;
}

function num(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new ConfigError(`${name} expects a number from ${min} to ${max}, got '${raw}'`);
  return value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} expects a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return Number(raw);
}
