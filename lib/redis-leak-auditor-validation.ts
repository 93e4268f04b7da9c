// Checks RedisLeakAuditor's props before anything is built: every problem at once, in one error; tokens (values known
// only at deploy) are not judged. The thresholds go through the Lambda's own configuration reader, so the construct
// and the handler cannot disagree on a bound.
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { loadConfig } from '../lambda/config.js';
import { MAX_TARGETS } from '../lambda/target-list-object.js';
import { validateDiscovery } from './auditor-discovery.js';
import type { AuditThresholds, RedisLeakAuditorProps } from './redis-leak-auditor-props.js';

const TARGET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The Lambda's environment variable of each threshold (docs/lambda.md): the handler reads and checks them. */
const THRESHOLD_ENV: Readonly<Record<keyof AuditThresholds, string>> = {
  idleSeconds: 'IDLE_SECONDS', churnPerMinute: 'CHURN_PER_MINUTE', minGroupConnections: 'MIN_GROUP_CONNECTIONS', maxclientsWarn: 'MAXCLIENTS_WARN',
  maxclientsCritical: 'MAXCLIENTS_CRITICAL', minPubsubConnections: 'MIN_PUBSUB_CONNECTIONS', minGrowthConnections: 'MIN_GROWTH', listLimit: 'LIST_LIMIT',
  maxStallMs: 'MAX_STALL_MS', overBudget: 'OVER_BUDGET',
};

export function thresholdEnv(thresholds: AuditThresholds | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(THRESHOLD_ENV)) {
    const value = thresholds?.[key as keyof AuditThresholds];
    if (value !== undefined) env[variable] = String(value);
  }
  return env;
}

/**
 * The thresholds checked at synth by the handler's own configuration reader (lambda/config.ts), so a value the
 * Lambda would refuse at every run stops synth instead, with the same rule; tokens are left to the deploy.
 */
function thresholdProblem(thresholds: AuditThresholds | undefined): string | null {
  const known = Object.fromEntries(Object.entries(thresholds ?? {}).filter(([, v]) => v !== undefined && !Token.isUnresolved(v)));
  try {
    loadConfig({ ...thresholdEnv(known), AWS_REGION: 'us-east-1', REPORT_BUCKET: 'synth-check', DISCOVERY: '{"tags":{"synth-check":"*"}}' });
    return null;
  } catch (error) {
    let message = (error as Error).message;
    for (const [key, variable] of Object.entries(THRESHOLD_ENV)) message = message.replace(new RegExp(`\\b${variable}\\b`, 'g'), `thresholds.${key}`);
    return message;
  }
}

/** Every problem of the props at once, in one error; values that are tokens (unknown until deploy) are not judged. */
export function validateAuditorProps(props: RedisLeakAuditorProps): void {
  const problems: string[] = [];
  const targets = props.targets ?? [];
  if (targets.length === 0 && !props.discovery) problems.push('give at least one target to audit (targets: [{ name, host, ... }]), or discovery: { tags } to find them');
  if (targets.length > MAX_TARGETS) problems.push(`targets has ${targets.length} entries: audit at most ${MAX_TARGETS} per construct, or split them across several`);
  if (props.discovery) {
    try {
      validateDiscovery(props.discovery);
    } catch (error) {
      problems.push((error as Error).message.replace(/^RedisLeakAuditor: /, ''));
    }
  }
  const names = new Set<string>();
  for (const target of targets) {
    if (Token.isUnresolved(target.name)) problems.push('a target name is a token: names are S3 keys, metric dimensions and alarm names, so give them as plain text');
    else if (!TARGET_NAME.test(target.name)) problems.push(`target name '${target.name}' must be 1-64 characters from A-Z a-z 0-9 . _ -`);
    else if (names.has(target.name)) problems.push(`target name '${target.name}' is used twice; names must be unique`);
    names.add(target.name);
    if (target.iamUser && !target.cacheName) problems.push(`target '${target.name}' uses iamUser and needs cacheName (the replication group id or serverless cache name)`);
    if (target.serverless && !target.cacheName) problems.push(`target '${target.name}' is serverless and needs cacheName (the serverless cache name, whose CloudWatch connection metrics stand in for CLIENT LIST)`);
    if (target.iamUser && target.authSecret) problems.push(`target '${target.name}': give either authSecret or iamUser, not both`);
    const port = target.port;
    if (port !== undefined && !Token.isUnresolved(port) && (!Number.isInteger(port) || port < 1 || port > 65535)) problems.push(`target '${target.name}': port ${port} is not a TCP port (1-65535)`);
  }
  if (props.alertTopic && ((props.notificationEmails ?? []).length > 0 || props.slack)) {
    problems.push('notificationEmails and slack subscribe to the topic this construct creates; with alertTopic, subscribe them to your topic yourself');
  }
  if (props.reportBucket && props.reportRetentionDays !== undefined) problems.push('reportRetentionDays sets the lifecycle of the bucket this construct creates; with reportBucket, the lifecycle is yours');
  const thresholds = thresholdProblem(props.thresholds);
  if (thresholds) problems.push(thresholds);
  const minutes = props.scheduleMinutes ?? 5;
  if (!Token.isUnresolved(minutes) && (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)) problems.push(`scheduleMinutes must be a whole number from 1 to 1440, not ${minutes}`);
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
    problems.push(`reservedConcurrency must be a whole number of at least 1 (or left out for none), not ${reserved}`);
  }
  const memory = props.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && (!Number.isInteger(memory) || memory < 256 || memory > 10240)) {
    problems.push(`memorySize must be a whole number of MB from 256 (the handler's floor with a large CLIENT LIST) to 10240, not ${memory}`);
  }
  const runtime = props.runtime;
  if (runtime && (runtime.family !== lambda.RuntimeFamily.NODEJS || !/^nodejs(2[2-9]|[3-9]\d)\.x$/.test(runtime.name))) {
    problems.push(`runtime ${runtime.name} cannot run the handler: use lambda.Runtime.NODEJS_22_X or later`);
  }
  if (problems.length === 1) throw new Error(`RedisLeakAuditor: ${problems[0]}`);
  if (problems.length > 1) throw new Error(`RedisLeakAuditor: ${problems.length} problems: ${problems.map((p, i) => `(${i + 1}) ${p}`).join('; ')}`);
}
