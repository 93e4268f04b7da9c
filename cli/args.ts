// Command-line flags -> a validated options object. A bad flag fails with one sentence that names the
// flag and the form it expects; nothing is guessed.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lambda/core/errors.js';
import { redactUrlsIn } from '../lambda/redis/target-url.js';
import type { AuditPolicy } from '../lambda/core/model.js';
import type { Severity } from '../lambda/core/findings/index.js';
import { DEADLINE_SECONDS_RANGE, defaultDeadlineSeconds } from '../lambda/core/deadline.js';
import { parseClusterAllow, type AllowList } from '../lambda/core/cluster-rules.js';
import { CLI_SAMPLING, readPolicy, readSetting, TIMEOUT_RULES, type NumberRule } from '../lambda/core/policy-rules.js';
import { RECLAIM_RULES } from '../lambda/core/reclaim-selection.js';

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

/** `reclaim`: the audit's flags, then CLIENT KILL ID of the leaked connections it selects (issue 19). */
export interface ReclaimOptions extends Omit<AuditOptions, 'command'> {
  readonly command: 'reclaim';
  /** Kill the selected connections; without it a dry run that only lists them. */
  readonly apply: boolean;
  /** Reclaim this workload (its label or key as the report prints it) instead of the leak findings'. */
  readonly workload?: string;
  /** Reclaim only connections from this source address. */
  readonly sourceIp?: string;
  readonly minIdleSeconds: number;
  /** At most this many kills; absent: RECLAIM_DEFAULTS' share of the workload's connections. */
  readonly max?: number;
}

export type CliOptions = AuditOptions | DemoOptions | ReclaimOptions | { readonly command: 'help'; readonly topic?: string } | { readonly command: 'version' };

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

const RECLAIM_FLAGS = {
  ...AUDIT_FLAGS,
  apply: { type: 'boolean' },
  workload: { type: 'string' },
  source: { type: 'string' },
  'min-idle': { type: 'string' },
  max: { type: 'string' },
} as const;

const FAIL_ON: readonly FailOn[] = ['info', 'warning', 'critical', 'never'];

export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help', topic: rest[0] };
  if (command === '--version' || command === 'version') return { command: 'version' };
  if (command !== 'audit' && command !== 'demo' && command !== 'reclaim') {
    throw new ConfigError(`unknown command '${command}': expected 'audit', 'reclaim' or 'demo' (see redis-leak-audit --help)`);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options: command === 'reclaim' ? RECLAIM_FLAGS : AUDIT_FLAGS, strict: true, allowPositionals: false }));
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
  const samples = flag(values, CLI_SAMPLING.samples);
  const intervalSeconds = flag(values, CLI_SAMPLING.intervalSeconds);
  const policy = readPolicy((setting) => stringFlag(values, setting.flag), (setting) => `--${setting.flag}`);
  const failOn = (stringFlag(values, 'fail-on') ?? 'warning') as FailOn;
  if (!FAIL_ON.includes(failOn)) throw new ConfigError(`--fail-on expects one of ${FAIL_ON.join(', ')}, got '${String(values['fail-on'])}'`);
  const tlsCaFile = stringFlag(values, 'tls-ca');
  const stateFile = stringFlag(values, 'state-file');
  const clusterAllowText = stringFlag(values, 'cluster-allow');
  const options: AuditOptions = {
    command: 'audit',
    url,
    ...(tlsCaFile ? { tlsCaFile } : {}),
    cluster: values.cluster === true,
    ...(clusterAllowText === undefined ? {} : { clusterAllow: parseClusterAllow(clusterAllowText) }),
    samples,
    intervalSeconds,
    ...(stateFile ? { stateFile } : {}),
    policy,
    json: values.json === true,
    ...(outDir ? { outDir } : {}),
    ...(htmlFile ? { htmlFile } : {}),
    failOn,
    connectTimeoutMs: flag(values, TIMEOUT_RULES.connectTimeoutMs),
    commandTimeoutMs: flag(values, TIMEOUT_RULES.commandTimeoutMs),
    deadlineSeconds: flag(values, { kind: 'whole', ...DEADLINE_SECONDS_RANGE, default: defaultDeadlineSeconds(samples, intervalSeconds), what: 'seconds the audit may take', flag: 'deadline-seconds' }),
    color,
  };
  return command === 'reclaim' ? reclaimOptions(options, values) : options;
}

/** The audit's options plus reclaim's own flags. Standalone servers only: a cluster is refused by name. */
function reclaimOptions(audit: AuditOptions, values: Record<string, unknown>): ReclaimOptions {
  if (audit.cluster || audit.clusterAllow !== undefined) {
    throw new ConfigError(`reclaim acts on one standalone server: ${audit.cluster ? '--cluster' : '--cluster-allow'} is not accepted (Redis Cluster is not supported yet)`);
  }
  const workload = stringFlag(values, 'workload');
  const sourceIp = stringFlag(values, 'source');
  if (workload === '') throw new ConfigError("--workload expects a workload's name as the report prints it, got ''");
  if (sourceIp !== undefined && isIP(sourceIp) === 0) throw new ConfigError(`--source expects an IP address such as 10.0.0.5, got '${sourceIp}'`);
  const { command: _audit, ...rest } = audit;
  return {
    ...rest,
    command: 'reclaim',
    apply: values.apply === true,
    ...(workload === undefined ? {} : { workload }),
    ...(sourceIp === undefined ? {} : { sourceIp }),
    minIdleSeconds: flag(values, RECLAIM_RULES.minIdleSeconds),
    ...(stringFlag(values, 'max') === undefined ? {} : { max: flag(values, RECLAIM_RULES.maxPerRun) }),
  };
}

function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric flag read by its rule (lambda/core/policy-rules.ts): the rule's default when absent. */
function flag(values: Record<string, unknown>, rule: NumberRule & { readonly flag: string }): number {
  return readSetting(rule, stringFlag(values, rule.flag), `--${rule.flag}`);
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
