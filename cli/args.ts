// Command-line flags -> a validated options object. A bad flag fails with one sentence that names the
// flag and the form it expects; nothing is guessed.
import { parseArgs } from 'node:util';
import { ConfigError } from '../lambda/core/errors.js';
import { redactUrlsIn } from '../lambda/redis/target-url.js';
import { defaultPolicy, type AuditPolicy } from '../lambda/core/model.js';
import type { Severity } from '../lambda/core/findings/index.js';
import { DEADLINE_SECONDS_RANGE, defaultDeadlineSeconds } from '../lambda/core/deadline.js';
import { parseClusterAllow, type AllowList } from '../lambda/core/cluster-rules.js';
import { DEFAULT_MAX_STALL_MS, DEFAULT_OVER_BUDGET, isOverBudget, MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES, type OverBudget } from '../lambda/core/stall-budget.js';

export type FailOn = Severity | 'never';

export interface AuditOptions {
  readonly command: 'audit';
  readonly url: string;
  readonly tlsCaFile?: string;
  /** Audit every node of a Redis Cluster; auto-detected from the seed's INFO when false. */
  readonly cluster: boolean;
  readonly samples: number;
  readonly intervalSeconds: number;
  readonly stateFile?: string;
  readonly policy: AuditPolicy;
  readonly json: boolean;
  readonly outDir?: string;
  /** Also write the report as one self-contained HTML page here. */
  readonly htmlFile?: string;
  readonly failOn: FailOn;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** The audit ends by this many seconds after it starts (core/deadline.ts). */
  readonly deadlineSeconds: number;
  /** Networks and domains, beyond the seed's network, whose announced cluster nodes may be contacted. */
  readonly clusterAllow?: AllowList;
  readonly color: boolean | undefined;
}

export interface DemoOptions {
  readonly command: 'demo';
  readonly json: boolean;
  readonly outDir?: string;
  /** Where the demo writes its HTML report (a temporary file when absent). */
  readonly htmlFile?: string;
  readonly color: boolean | undefined;
}

export type CliOptions = AuditOptions | DemoOptions | { readonly command: 'help'; readonly topic?: string } | { readonly command: 'version' };

const AUDIT_FLAGS = {
  url: { type: 'string' },
  'tls-ca': { type: 'string' },
  cluster: { type: 'boolean' },
  samples: { type: 'string' },
  interval: { type: 'string' },
  'state-file': { type: 'string' },
  'idle-seconds': { type: 'string' },
  'churn-per-minute': { type: 'string' },
  'min-group-connections': { type: 'string' },
  'min-pubsub-connections': { type: 'string' },
  'min-growth': { type: 'string' },
  'maxclients-warn': { type: 'string' },
  'maxclients-critical': { type: 'string' },
  'list-limit': { type: 'string' },
  'max-stall-ms': { type: 'string' },
  'over-budget': { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  html: { type: 'string' },
  'fail-on': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'command-timeout': { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'cluster-allow': { type: 'string' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FAIL_ON: readonly FailOn[] = ['info', 'warning', 'critical', 'never'];

export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help', topic: rest[0] };
  if (command === '--version' || command === 'version') return { command: 'version' };
  if (command !== 'audit' && command !== 'demo') {
    throw new ConfigError(`unknown command '${command}': expected 'audit' or 'demo' (see redis-leak-audit --help)`);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options: AUDIT_FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(describeParseError(err));
  }
  if (values.help === true) return { command: 'help', topic: command };
  const color = values['no-color'] === true ? false : values.color === true ? true : undefined;
  const outDir = stringFlag(values, 'out');
  const htmlFile = stringFlag(values, 'html');
  if (command === 'demo') return { command: 'demo', json: values.json === true, color, ...(outDir ? { outDir } : {}), ...(htmlFile ? { htmlFile } : {}) };

  const url = stringFlag(values, 'url') ?? env.REDIS_URL;
  if (url === undefined || url === '') throw new ConfigError('--url is required: give redis://host:port (or rediss:// for TLS), or set REDIS_URL');
  const samples = intFlag(values, 'samples', 1, 1, 1000);
  const intervalSeconds = numberFlag(values, 'interval', 10, 0.1, 3600);
  const minGroupConnections = intFlag(values, 'min-group-connections', defaultPolicy.minGroupConnections, 1, 1_000_000);
  const maxclientsWarn = shareFlag(values, 'maxclients-warn', defaultPolicy.maxclientsWarn);
  const maxclientsCritical = shareFlag(values, 'maxclients-critical', Math.max(defaultPolicy.maxclientsCritical, maxclientsWarn));
  if (maxclientsCritical < maxclientsWarn) {
    throw new ConfigError(`--maxclients-critical (${maxclientsCritical}) must not be below --maxclients-warn (${maxclientsWarn})`);
  }
  const failOn = (stringFlag(values, 'fail-on') ?? 'warning') as FailOn;
  if (!FAIL_ON.includes(failOn)) throw new ConfigError(`--fail-on expects one of ${FAIL_ON.join(', ')}, got '${String(values['fail-on'])}'`);
  const tlsCaFile = stringFlag(values, 'tls-ca');
  const stateFile = stringFlag(values, 'state-file');
  const clusterAllowText = stringFlag(values, 'cluster-allow');
  return {
    command: 'audit',
    url,
    ...(tlsCaFile ? { tlsCaFile } : {}),
    cluster: values.cluster === true,
    ...(clusterAllowText === undefined ? {} : { clusterAllow: parseClusterAllow(clusterAllowText) }),
    samples,
    intervalSeconds,
    ...(stateFile ? { stateFile } : {}),
    policy: {
      idleSeconds: intFlag(values, 'idle-seconds', defaultPolicy.idleSeconds, 1, 31_536_000),
      churnPerMinute: numberFlag(values, 'churn-per-minute', defaultPolicy.churnPerMinute, 0, 100_000_000),
      minGroupConnections,
      // A subscriber per process is normal; ten idle ones from one host are not. Never above the group minimum.
      minPubsubConnections: intFlag(values, 'min-pubsub-connections', Math.min(defaultPolicy.minPubsubConnections, minGroupConnections), 1, 1_000_000),
      minGrowthConnections: intFlag(values, 'min-growth', defaultPolicy.minGrowthConnections, 1, 1_000_000),
      maxclientsWarn,
      maxclientsCritical,
      listLimit: intFlag(values, 'list-limit', defaultPolicy.listLimit, 1, 10_000),
      maxStallMs: numberFlag(values, 'max-stall-ms', DEFAULT_MAX_STALL_MS, MAX_STALL_MS_RANGE.min, MAX_STALL_MS_RANGE.max),
      overBudget: overBudgetFlag(values),
    },
    json: values.json === true,
    ...(outDir ? { outDir } : {}),
    ...(htmlFile ? { htmlFile } : {}),
    failOn,
    connectTimeoutMs: intFlag(values, 'connect-timeout', 5000, 100, 120_000),
    commandTimeoutMs: intFlag(values, 'command-timeout', 5000, 100, 120_000),
    deadlineSeconds: intFlag(values, 'deadline-seconds', defaultDeadlineSeconds(samples, intervalSeconds), DEADLINE_SECONDS_RANGE.min, DEADLINE_SECONDS_RANGE.max),
    color,
  };
}

function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function numberFlag(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = stringFlag(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`--${name} expects a number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function intFlag(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = stringFlag(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`--${name} expects a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function overBudgetFlag(values: Record<string, unknown>): OverBudget {
  const raw = stringFlag(values, 'over-budget');
  if (raw === undefined) return DEFAULT_OVER_BUDGET;
  if (!isOverBudget(raw)) throw new ConfigError(`--over-budget expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got '${raw}'`);
  return raw;
}

function shareFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = numberFlag(values, name, fallback, 0, 1);
  if (value === 0) throw new ConfigError(`--${name} expects a share of maxclients above 0 and at most 1 (e.g. 0.8), got '${String(values[name])}'`);
  return value;
}

function describeParseError(err: unknown): string {
  // An argument may be a URL with a password in it: never echo that.
  const message = redactUrlsIn(err instanceof Error ? err.message : String(err));
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]} (see redis-leak-audit --help)`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]?.split(',').pop()?.trim()} needs a value (see redis-leak-audit --help)`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument '${positional[1]}': flags take the form --name value (see redis-leak-audit --help)`;
  return message.split('\n')[0] ?? message;
}
