// Checks RedisLeakAuditor's props before anything is built: every problem at once, in one error; tokens (values known
// only at deploy) are not judged. The thresholds and the schedule are read by the rules the CLI and the Lambda read
// them by (lambda/core/policy-rules.ts), so the construct and the handler cannot disagree on a bound; the contract
// test (test/infra/config-contract.test.ts) proves the function's environment carries each one to the handler intact.
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { MAX_TARGETS, TARGET_NAME, TARGET_NAME_FORM } from '../lambda/core/target-rules.js';
import { LAMBDA_RUN_RULES, POLICY_SETTINGS, readGivenPolicy, readGivenSetting, SCHEDULE_MINUTES_RULE } from '../lambda/core/policy-rules.js';
import { BREAK_GLASS_ENV, RECLAIM_RULES } from '../lambda/core/reclaim-selection.js';
import { validateDiscovery } from './auditor-discovery.js';
import type { AuditThresholds, BreakGlassSpec, RedisLeakAuditorProps } from './redis-leak-auditor-props.js';

/** Each threshold as the Lambda's environment variable of its rule (docs/lambda.md): the handler reads them. */
export function thresholdEnv(thresholds: AuditThresholds | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const setting of POLICY_SETTINGS) {
    const value = thresholds?.[setting.key];
    if (value !== undefined) env[setting.env] = String(value);
  }
  return env;
}

/** Each setting of a construct prop `breakGlass`, by its rule (lambda/core/reclaim-selection.ts); the prop's key is the rule's. */
const BREAK_GLASS_SETTINGS = Object.entries(RECLAIM_RULES) as Array<[keyof typeof RECLAIM_RULES, (typeof RECLAIM_RULES)[keyof typeof RECLAIM_RULES]]>;

/**
 * The break-glass's variables (lambda/config.ts): none unless it is enabled, so a stack without it synthesizes as
 * before; enabled, RECLAIM_BREAK_GLASS=true and each setting given, by its rule's variable (the Lambda fills in the rest).
 */
export function breakGlassEnv(breakGlass: BreakGlassSpec | undefined): Record<string, string> {
  if (breakGlass?.enabled !== true) return {};
  const env: Record<string, string> = { [BREAK_GLASS_ENV]: 'true' };
  for (const [key, rule] of BREAK_GLASS_SETTINGS) {
    const value = breakGlass[key];
    if (value !== undefined) env[rule.env] = String(value);
  }
  return env;
}

/** The problems of `breakGlass`, named as props (`breakGlass.maxPerRun`): each setting is read by the Lambda's own rule. */
function breakGlassProblems(breakGlass: BreakGlassSpec | undefined): string[] {
  if (breakGlass === undefined) return [];
  const problems: string[] = [];
  const enabled: unknown = breakGlass.enabled;
  if (typeof enabled !== 'boolean') problems.push(`breakGlass.enabled expects true or false, got '${String(enabled).slice(0, 80)}'`);
  for (const [key, rule] of BREAK_GLASS_SETTINGS) {
    const problem = problemOf(() => readGivenSetting(rule, known(breakGlass[key]), rule.configKey));
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * What is configured but unused, as warnings: a reclaim secret without the break-glass enabled is harmless (it is
 * neither read nor granted), but it was given for a reason; a serverless cache refuses CLIENT LIST, so nothing
 * could ever be selected there.
 */
export function breakGlassWarnings(props: RedisLeakAuditorProps): string[] {
  const enabled = props.breakGlass?.enabled === true;
  const warnings: string[] = [];
  (props.targets ?? []).forEach((target, i) => {
    if (!target.reclaimSecret) return;
    if (!enabled) warnings.push(`targets[${i}].reclaimSecret (target '${target.name}') is set but breakGlass is not enabled: the secret is not read and the role may not read it; set breakGlass: { enabled: true } to use it, or remove it`);
    else if (target.serverless) warnings.push(`targets[${i}].reclaimSecret (target '${target.name}'): the target is serverless, which refuses CLIENT LIST, so the break-glass can select nothing there; remove it`);
  });
  if (props.discovery?.reclaimSecret && !enabled) {
    warnings.push('discovery.reclaimSecret is set but breakGlass is not enabled: the secret is not read and the role may not read it; set breakGlass: { enabled: true } to use it, or remove it');
  }
  return warnings;
}

/** A value known at synth; a token is left to the deploy. */
function known(value: unknown): unknown {
  return Token.isUnresolved(value) ? undefined : value;
}

/** The first problem of the thresholds, named as props (`thresholds.listLimit`), or null. */
function thresholdProblem(thresholds: AuditThresholds | undefined): string | null {
  return problemOf(() => readGivenPolicy((setting) => known(thresholds?.[setting.key]), (setting) => setting.configKey));
}

function problemOf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** What the construct builds with, once the props are checked: the values that have a default. */
export interface CheckedAuditorProps {
  readonly scheduleMinutes: number;
}

/** Every problem of the props at once, in one error; values that are tokens (unknown until deploy) are not judged. */
export function validateAuditorProps(props: RedisLeakAuditorProps): CheckedAuditorProps {
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
    else if (!TARGET_NAME.test(target.name)) problems.push(`target name '${target.name}' must be ${TARGET_NAME_FORM}`);
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
  const schedule = problemOf(() => readGivenSetting(SCHEDULE_MINUTES_RULE, known(props.scheduleMinutes), 'scheduleMinutes'));
  if (schedule) problems.push(schedule);
  problems.push(...breakGlassProblems(props.breakGlass));
  const cooldown = problemOf(() => readGivenSetting(LAMBDA_RUN_RULES.notifyCooldownMinutes, known(props.notifyCooldownMinutes), 'notifyCooldownMinutes'));
  if (cooldown) problems.push(cooldown);
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
  return { scheduleMinutes: props.scheduleMinutes ?? SCHEDULE_MINUTES_RULE.default };
}
