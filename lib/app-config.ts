// The CDK app's configuration: one schema, read from a JSON config file (`-c configFile=auditor.json`), the
// `redisLeakAuditor` object in cdk.json's context, and single `-c key=value` keys, in that order of
// precedence (later wins). A bad or missing value fails synth with the key and the form it expects.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { discoveryTagsSchema, MAX_DISCOVERED_TARGETS, MAX_SHARDS } from '../lambda/discovery/discovery-rules.js';
import { CLUSTER_ALLOW_FORM, isValidClusterAllow } from '../lambda/core/cluster-rules.js';
import { MAX_TARGETS, SECRET_ARN, TARGET_NAME, TARGET_NAME_FORM } from '../lambda/core/target-rules.js';
import { POLICY_SETTINGS, readGivenPolicy, readGivenSetting, readSetting, SCHEDULE_MINUTES_RULE, type NumberRule } from '../lambda/core/policy-rules.js';
import { ConfigError } from '../lambda/core/errors.js';
import { RECLAIM_RULES } from '../lambda/core/reclaim-selection.js';

/** A number in a range, with one message for every way to miss it. */
function numberIn(min: number, max: number, what: string, whole = true) {
  const error = `expected ${what}: ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  const base = z.number({ error }).min(min, { error }).max(max, { error });
  return whole ? base.int({ error }) : base;
}

/** A key ARN, not an alias: IAM grants on an alias do not authorize the key. */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;
const KMS_KEY_ARN_FORM = 'expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)';

const name = z.string().regex(TARGET_NAME, `expected ${TARGET_NAME_FORM}`);

/** Marks an issue whose message is a whole sentence already, naming its key (the shared readers' messages). */
const COMPLETE = { complete: true } as const;

/**
 * A value read by the reader the CLI and the Lambda use (lambda/core/policy-rules.ts): one rule, one message,
 * `config key <key> expects ...`.
 */
function bySharedReader<T>(read: () => T, ctx: z.RefinementCtx): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message, params: COMPLETE });
    return z.NEVER;
  }
}

function settingSchema(rule: NumberRule, key: string) {
  return z.unknown().transform((value, ctx) => bySharedReader(() => readSetting(rule, value, `config key ${key}`), ctx));
}

/** Every key of AuditPolicy, from the rules table: none can be missing here or differ from the CLI and the Lambda. */
const thresholdsSchema = z.strictObject(Object.fromEntries(POLICY_SETTINGS.map((s) => [s.key, z.unknown().optional()])))
  .transform((given, ctx) => bySharedReader(() => readGivenPolicy((s) => given[s.key], (s) => `config key ${s.configKey}`), ctx));

/** A setting that may be left out: read by its rule when given (`config key <key> expects ...`), else undefined, for the Lambda's default. */
function givenSettingSchema(rule: NumberRule, key: string) {
  return z.unknown().transform((value, ctx) => bySharedReader(() => readGivenSetting(rule, value, `config key ${key}`), ctx)).optional();
}

/** The break-glass (issue 19), off unless `enabled`; its settings by the Lambda's own rules (lambda/core/reclaim-selection.ts). */
const breakGlassSchema = z.strictObject({
  enabled: z.boolean({ error: 'expected true or false' }),
  maxPerRun: givenSettingSchema(RECLAIM_RULES.maxPerRun, RECLAIM_RULES.maxPerRun.configKey),
  minIdleSeconds: givenSettingSchema(RECLAIM_RULES.minIdleSeconds, RECLAIM_RULES.minIdleSeconds.configKey),
});

const SECRET_ARN_FORM = 'expected a Secrets Manager secret ARN (complete, with its 6-character suffix)';

const targetSchema = z.strictObject({
  name,
  host: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'expected the cache endpoint host name'),
  port: numberIn(1, 65535, 'a TCP port').default(6379),
  tls: z.boolean().default(true),
  authSecretArn: z.string().regex(SECRET_ARN, SECRET_ARN_FORM).optional(),
  /** The customer managed KMS key that encrypts authSecretArn, when not the account's default aws/secretsmanager key. */
  authSecretKmsKeyArn: z.string().regex(KMS_KEY_ARN, KMS_KEY_ARN_FORM).optional(),
  /** The break-glass's credential (a Redis ACL user with the read-only rule plus +client|kill): read only with breakGlass.enabled. */
  reclaimSecretArn: z.string().regex(SECRET_ARN, SECRET_ARN_FORM).optional(),
  /** The customer managed KMS key that encrypts reclaimSecretArn, when not the account's default aws/secretsmanager key. */
  reclaimSecretKmsKeyArn: z.string().regex(KMS_KEY_ARN, KMS_KEY_ARN_FORM).optional(),
  iamUser: z.string().min(1).optional(),
  cacheName: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected the replication group id or serverless cache name, lower case').optional(),
  serverless: z.boolean().optional(),
  clusterAllow: z.array(z.string()).refine(isValidClusterAllow, CLUSTER_ALLOW_FORM).optional(),
  securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected the cache security group id (sg-...)'),
});

const discoverySchema = z.strictObject({
  tags: discoveryTagsSchema,
  kinds: z.array(z.enum(['replication-group', 'serverless-cache'], { error: 'expected replication-group or serverless-cache' })).min(1).optional(),
  shards: numberIn(1, MAX_SHARDS, 'scheduled invocations the discovered caches are split over').optional(),
  maxTargetsPerShard: numberIn(1, MAX_DISCOVERED_TARGETS, 'discovered caches one invocation audits').optional(),
  authSecretArn: targetSchema.shape.authSecretArn,
  authSecretKmsKeyArn: targetSchema.shape.authSecretKmsKeyArn,
  reclaimSecretArn: targetSchema.shape.reclaimSecretArn,
  reclaimSecretKmsKeyArn: targetSchema.shape.reclaimSecretKmsKeyArn,
  iamUser: z.string().min(1).optional(),
  ports: z.array(numberIn(1, 65535, 'a TCP port')).min(1).optional(),
});

export const appConfigSchema = z.strictObject({
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name').default('RedisLeakAuditor'),
  account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id').optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1').optional(),
  scheduleMinutes: settingSchema(SCHEDULE_MINUTES_RULE, 'scheduleMinutes').default(SCHEDULE_MINUTES_RULE.default),
  /** single-run: one invocation audits every target; per-target: one invocation per target. @default by fleet size */
  fanOut: z.enum(['single-run', 'per-target'], { error: 'expected single-run or per-target' }).optional(),
  notificationEmails: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'expected e-mail addresses')).default([]),
  slack: z.strictObject({
    workspaceId: z.string().regex(/^[A-Z0-9]{9,11}$/, 'expected a Slack workspace id such as T0123456789'),
    channelId: z.string().regex(/^[A-Z0-9]{9,11}$/, 'expected a Slack channel id such as C0123456789'),
  }).optional(),
  thresholds: thresholdsSchema.default({}),
  alarms: z.strictObject({
    connectionsUtilizationPercent: numberIn(1, 100, 'a percentage of maxclients', false).optional(),
    rejectedConnections: numberIn(0, 1_000_000, 'rejected connections per run', false).optional(),
    newConnectionsPerMinute: numberIn(0, 100_000_000, 'new connections per minute', false).optional(),
    suspectedLeaks: numberIn(1, 1000, 'suspected leaks').optional(),
  }).default({}),
  reportRetentionDays: numberIn(1, 3650, 'days').default(90),
  /** Executions reserved for the auditor (also its cap). @default none: new accounts (limit 10) cannot reserve any */
  reservedConcurrency: numberIn(1, 1000, 'executions reserved for the auditor Lambda').optional(),
  /** Name the workloads behind source IPs (EC2 DescribeNetworkInterfaces); the sandbox never does (no EC2 endpoint). */
  resolveSourceIps: z.boolean({ error: 'expected true or false' }).default(true),
  vpc: z.strictObject({
    id: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id (vpc-...)'),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected subnet ids (subnet-...)')).min(1, 'expected at least one private subnet id'),
    availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected availability zones such as eu-west-1a')).min(1),
    /** The VPC's IPv4 CIDR block: discovered caches are reached anywhere in it. Required with discovery. */
    cidrBlock: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'expected the VPC\'s IPv4 CIDR block such as 10.0.0.0/16').optional(),
    /** Create the VPC endpoints the auditor needs (the stack output AwsServiceRoutes lists them), for subnets without NAT. */
    createEndpoints: z.boolean({ error: 'expected true or false' }).default(false),
    /** The route tables of subnetIds, in the same order: S3's gateway endpoint is added to them. Required with createEndpoints. */
    routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'expected route table ids (rtb-...)')).optional(),
  }).optional(),
  targets: z.array(targetSchema).max(MAX_TARGETS).default([]),
  /** Also audit the caches carrying these tags, found through the ElastiCache API at every run. */
  discovery: discoverySchema.optional(),
  /** Close the leaking workload's idle, used-once connections of a target at critical maxclients use (off unless enabled). */
  breakGlass: breakGlassSchema.optional(),
  sandbox: z.strictObject({
    engine: z.enum(['valkey', 'redis']).default('valkey'),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an ElastiCache node type such as cache.t4g.micro').default('cache.t4g.micro'),
    /** A small Lambda that leaks connections to the sandbox cache, so a first deploy has a leak to find (lib/sandbox-leaky-workload.ts). */
    leakyWorkload: z.boolean({ error: 'expected true or false' }).default(true),
  }).default({ engine: 'valkey', nodeType: 'cache.t4g.micro', leakyWorkload: true }),
});

export type AppConfig = z.infer<typeof appConfigSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type DiscoveryConfig = z.infer<typeof discoverySchema>;
export type BreakGlassConfig = z.infer<typeof breakGlassSchema>;

/** Context keys that may be given alone with `-c key=value`, and how their text is read. */
const SINGLE_KEYS: Record<string, (text: string) => unknown> = {
  stackName: (t) => t,
  fanOut: (t) => t,
  account: (t) => t,
  region: (t) => t,
  scheduleMinutes: numberOrText,
  reportRetentionDays: numberOrText,
  reservedConcurrency: numberOrText,
  notificationEmails: (t) => t.split(',').map((s) => s.trim()).filter(Boolean),
  targets: (t) => JSON.parse(t),
  vpc: (t) => JSON.parse(t),
  slack: (t) => JSON.parse(t),
  thresholds: (t) => JSON.parse(t),
  alarms: (t) => JSON.parse(t),
  sandbox: (t) => JSON.parse(t),
  discovery: (t) => JSON.parse(t),
  breakGlass: (t) => JSON.parse(t),
  resolveSourceIps: (t) => (t === 'true' ? true : t === 'false' ? false : t),
};

/** A number when the text is one; the text itself otherwise, so the error can quote what was given. */
function numberOrText(text: string): unknown {
  return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}

export class AppConfigError extends Error {
  override name = 'AppConfigError';
}

/** `context` is what `app.node.tryGetContext` returns for each key (strings from -c, objects from cdk.json). */
export function loadAppConfig(getContext: (key: string) => unknown, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): AppConfig {
  let merged: Record<string, unknown> = {};
  const file = getContext('configFile');
  if (typeof file === 'string' && file !== '') {
    let text: string;
    try {
      text = readFile(file);
    } catch {
      throw new AppConfigError(`configFile: cannot read '${file}'; expected the path of a JSON config file`);
    }
    merged = { ...objectOr(parseJson(text, `configFile ${file}`), `configFile ${file}`) };
  }
  const inContext = getContext('redisLeakAuditor');
  if (inContext !== undefined) merged = { ...merged, ...objectOr(typeof inContext === 'string' ? parseJson(inContext, 'redisLeakAuditor') : inContext, 'redisLeakAuditor') };
  for (const [key, read] of Object.entries(SINGLE_KEYS)) {
    const value = getContext(key);
    if (value === undefined) continue;
    try {
      merged[key] = typeof value === 'string' ? read(value) : value;
    } catch {
      throw new AppConfigError(`context key ${key}: '${String(value).slice(0, 80)}' is not valid JSON`);
    }
  }
  const parsed = appConfigSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'custom' && issue.params?.complete === true) throw new AppConfigError(issue.message);
    const path = (issue?.path ?? []).map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    const input = issue && 'input' in issue && issue.input !== undefined && typeof issue.input !== 'object' ? `, got ${JSON.stringify(issue.input)}` : '';
    throw new AppConfigError(`config key ${path || '(root)'}: ${issue?.message ?? 'invalid'}${input}`);
  }
  const config = parsed.data;
  if ((config.targets.length > 0 || config.discovery) && config.vpc === undefined) {
    throw new AppConfigError(`config key vpc: ${config.targets.length > 0 ? 'targets are' : 'discovery is'} configured, so vpc is required: { "id": "vpc-...", "subnetIds": ["subnet-..."], "availabilityZones": ["eu-west-1a"] }`);
  }
  if (config.discovery && config.vpc && config.vpc.cidrBlock === undefined) {
    throw new AppConfigError('config key vpc.cidrBlock: required with discovery (discovered caches are reached anywhere in the VPC on their port), e.g. "10.0.0.0/16"');
  }
  if (config.vpc?.createEndpoints && config.vpc.routeTableIds?.length !== config.vpc.subnetIds.length) {
    throw new AppConfigError(`config key vpc.routeTableIds: with createEndpoints, give the route table of each of the ${config.vpc.subnetIds.length} subnetIds, in the same order (S3's gateway endpoint is added to them), e.g. ["rtb-0a1b2c3d4e5f60718"]`);
  }
  if (config.discovery?.authSecretArn !== undefined && config.discovery.iamUser !== undefined) throw new AppConfigError('config key discovery: give either authSecretArn or iamUser, not both');
  if (config.discovery?.authSecretKmsKeyArn !== undefined && config.discovery.authSecretArn === undefined) throw new AppConfigError('config key discovery.authSecretKmsKeyArn: only with authSecretArn (the key that encrypts that secret)');
  if (config.discovery?.reclaimSecretKmsKeyArn !== undefined && config.discovery.reclaimSecretArn === undefined) throw new AppConfigError('config key discovery.reclaimSecretKmsKeyArn: only with reclaimSecretArn (the key that encrypts that secret)');
  config.targets.forEach((target, i) => {
    if (target.iamUser !== undefined && target.cacheName === undefined) throw new AppConfigError(`config key targets[${i}].cacheName: required with iamUser (the replication group id or serverless cache name)`);
    if (target.iamUser !== undefined && target.authSecretArn !== undefined) throw new AppConfigError(`config key targets[${i}]: give either authSecretArn or iamUser, not both`);
    if (target.authSecretKmsKeyArn !== undefined && target.authSecretArn === undefined) throw new AppConfigError(`config key targets[${i}].authSecretKmsKeyArn: only with authSecretArn (the key that encrypts that secret)`);
    if (target.reclaimSecretKmsKeyArn !== undefined && target.reclaimSecretArn === undefined) throw new AppConfigError(`config key targets[${i}].reclaimSecretKmsKeyArn: only with reclaimSecretArn (the key that encrypts that secret)`);
    if (target.serverless === true && target.cacheName === undefined) throw new AppConfigError(`config key targets[${i}].cacheName: required with serverless (the serverless cache name, whose CloudWatch connection metrics stand in for CLIENT LIST)`);
  });
  const names = config.targets.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new AppConfigError(`config key targets: the name '${twice}' is used twice; target names must be unique`);
  return config;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppConfigError(`${where}: not valid JSON`);
  }
}

function objectOr(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppConfigError(`${where}: expected a JSON object of settings`);
  return value as Record<string, unknown>;
}
