// The Lambda's configuration: environment variables validated once, with one schema. A bad value fails
// with the variable's name and the form it expects; a password is never accepted from the environment.
import { DEADLINE_SECONDS_RANGE, defaultDeadlineSeconds } from './core/deadline.js';
import { CLUSTER_ALLOW_FORM, isValidClusterAllow } from './core/cluster-rules.js';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';
import type { AuditPolicy } from './core/model.js';
import { DEFAULT_DISCOVERED_TARGETS, discoveryTagsSchema, MAX_DISCOVERED_TARGETS } from './discovery/discovery-rules.js';
import { TARGET_LIST_ENV } from './target-list-object.js';
import { MAX_TARGETS, SECRET_ARN, TARGET_NAME, TARGET_NAME_FORM } from './core/target-rules.js';
import { BREAK_GLASS_ENV, RECLAIM_RULES } from './core/reclaim-selection.js';
import type { BreakGlassSettings } from './core/break-glass.js';
import { LAMBDA_RUN_RULES, LAMBDA_SAMPLING, readPolicy, readSetting, TIMEOUT_RULES, type NumberRule } from './core/policy-rules.js';

/** A Secrets Manager secret's ARN: the audit's credential and the break-glass's are checked alike. */
const secretArn = z.string().regex(SECRET_ARN, 'expected a Secrets Manager secret ARN').optional();

const targetSchema = z.strictObject({
  name: z.string().regex(TARGET_NAME, `expected ${TARGET_NAME_FORM}`),
  url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port or rediss://host:port'),
  tls: z.boolean().optional(),
  cluster: z.boolean().optional(),
  authSecretArn: secretArn,
  /**
   * The break-glass's own credential (issue 19): a Redis ACL user with the read-only rule plus `+client|kill`,
   * used only to kill; the audit keeps its read-only one. Without it the break-glass kills nothing and says why.
   */
  reclaimSecretArn: secretArn,
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
  reclaimSecretArn: targetSchema.shape.reclaimSecretArn,
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
  /** The opt-in break-glass (issue 19): off unless RECLAIM_BREAK_GLASS is 'true'. */
  readonly breakGlass: BreakGlassSettings;
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
  const samples = setting(env, LAMBDA_SAMPLING.samples);
  const sampleIntervalSeconds = setting(env, LAMBDA_SAMPLING.intervalSeconds);
  return {
    targets,
    discovery,
    serviceMetricsWindowMinutes: int(env, 'SERVICE_METRICS_WINDOW_MINUTES', 30, 5, 1440),
    reportBucket: reportBucketOf(env),
    topicArn: optional(env, 'TOPIC_ARN', /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN'),
    metricNamespace: optional(env, 'METRIC_NAMESPACE', /^[A-Za-z0-9.\-_/#:]{1,255}$/, 'a CloudWatch namespace (letters, digits, . - _ / # :)') ?? 'RedisLeakAuditor',
    // Lambda sets AWS_REGION; a local invocation may only have AWS_DEFAULT_REGION.
    region: required({ AWS_REGION: env.AWS_REGION || env.AWS_DEFAULT_REGION }, 'AWS_REGION', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1 (set by Lambda)'),
    policy: readPolicy((rule) => given(env, rule.env), (rule) => rule.env),
    samples,
    sampleIntervalSeconds,
    auditDeadlineSeconds: int(env, 'AUDIT_DEADLINE_SECONDS', defaultDeadlineSeconds(samples, sampleIntervalSeconds), DEADLINE_SECONDS_RANGE.min, DEADLINE_SECONDS_RANGE.max),
    connectTimeoutMs: setting(env, TIMEOUT_RULES.connectTimeoutMs),
    commandTimeoutMs: setting(env, TIMEOUT_RULES.commandTimeoutMs),
    notifyCooldownMinutes: setting(env, LAMBDA_RUN_RULES.notifyCooldownMinutes),
    notifyAfterFailures: int(env, 'NOTIFY_AFTER_FAILURES', 2, 1, 100),
    presignExpiresSeconds: int(env, 'PRESIGN_EXPIRES_SECONDS', 3600, 60, 604_800),
    reportKmsKeyArn: optional(env, 'REPORT_KMS_KEY_ARN', /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/, 'a KMS key ARN'),
    secretMaxAgeSeconds: int(env, 'SECRET_MAX_AGE_SECONDS', 300, 0, 86_400),
    targetConcurrency: setting(env, LAMBDA_RUN_RULES.targetConcurrency),
    resolveSourceIps: bool(env, 'RESOLVE_SOURCE_IPS', false),
    breakGlass: {
      enabled: bool(env, BREAK_GLASS_ENV, false),
      maxPerRun: setting(env, RECLAIM_RULES.maxPerRun),
      minIdleSeconds: setting(env, RECLAIM_RULES.minIdleSeconds),
    },
  };
}

function parseDiscovery(raw: string | undefined): DiscoveryConfig | null {
  const expected = 'a JSON object { "tags": { "key": "value or *" }, "kinds"?: ["replication-group", "serverless-cache"], "maxTargets"?, "authSecretArn"?, "reclaimSecretArn"?, "iamUser"? }';
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
  const expected = 'a JSON array of { "name", "url", "tls"?, "cluster"?, "authSecretArn"?, "reclaimSecretArn"?, "iamUser"?, "cacheName"?, "serverless"? }';
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

/** A variable's text; an empty one counts as not set, as is usual for the environment. */
function given(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

/** A variable read by its rule (core/policy-rules.ts): the rule's default when not set. */
function setting(env: Env, rule: NumberRule & { readonly env: string }): number {
  return readSetting(rule, given(env, rule.env), rule.env);
}

/** A variable of the Lambda alone, read with the same parser and messages as the shared settings. */
function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  return setting(env, { kind: 'whole', min, max, default: fallback, what: name, env: name });
}
