// Every audit-policy setting, as data: its name at each entry point (CLI flag, Lambda variable, CDK config key and
// construct prop), its kind, default and bounds. The CLI (cli/args.ts), the Lambda (lambda/config.ts), the CDK
// config (lib/app-config.ts) and the construct (lib/redis-leak-auditor-validation.ts) all read values through
// `readSetting` / `readPolicy` here, so a bound, a default or a message cannot differ between them.
// Pure: no environment, no files, no clock; callers hand in the raw values and how they name each setting.
import { ConfigError } from './errors.js';

/** What to do when no listing fits the budget (`--over-budget`). */
export const OVER_BUDGET_CHOICES = ['info-only', 'list-all'] as const;
/** `info-only` or `list-all` (OVER_BUDGET_CHOICES): what the auditor does when no listing fits `maxStallMs`. */
export type OverBudget = (typeof OVER_BUDGET_CHOICES)[number];

/** The thresholds and bounds an audit decides with: each field's rule, default and range are in POLICY_RULES below. */
export interface AuditPolicy {
  /** A connection idle at least this long counts as idle. */
  readonly idleSeconds: number;
  /** New connections per minute above which churn is reported. */
  readonly churnPerMinute: number;
  /** A source with fewer connections than this is never a leak suspect. */
  readonly minGroupConnections: number;
  /** Idle subscriber connections from one source that make a pub/sub leak. */
  readonly minPubsubConnections: number;
  /** A source must grow by at least this many connections across the window to be reported. */
  readonly minGrowthConnections: number;
  /** Share of maxclients in use at which headroom is reported (0..1). */
  readonly maxclientsWarn: number;
  /** Share of maxclients in use at which headroom is critical (0..1). */
  readonly maxclientsCritical: number;
  /** How many entries the report keeps in each bounded list (groups, top idle). */
  readonly listLimit: number;
  /** The longest one listing command may hold the server's main thread, ms (POLICY_RULES.maxStallMs). */
  readonly maxStallMs: number;
  /** What to do when no listing fits `maxStallMs` (POLICY_RULES.overBudget). */
  readonly overBudget: OverBudget;
}

/** A numeric setting: a whole number, any number, or a share of maxclients (a number the messages call so). */
export interface NumberRule {
  readonly kind: 'whole' | 'number' | 'share';
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What it is, in the words of `--help` and messages. */
  readonly what: string;
}

/** A setting that takes one of a few words. */
export interface ChoiceRule<C extends string = string> {
  readonly kind: 'choice';
  readonly choices: readonly C[];
  readonly default: C;
  readonly what: string;
}

export type SettingRule = NumberRule | ChoiceRule;

/**
 * A bound one setting takes from another: maxclientsCritical is never below maxclientsWarn (`enforced`: a value
 * given below it is refused), minPubsubConnections defaults to no more than minGroupConnections (not enforced: a
 * higher value given on purpose is kept).
 */
export interface FollowsRule {
  readonly key: keyof AuditPolicy;
  readonly bound: 'atLeast' | 'atMost';
  readonly enforced: boolean;
}

/** How each entry point names a setting. */
interface SettingNames<K extends keyof AuditPolicy> {
  readonly key: K;
  /** The CLI flag, without `--`. */
  readonly flag: string;
  /** The Lambda's environment variable (docs/lambda.md). */
  readonly env: string;
  /** The CDK config key and construct prop path. */
  readonly configKey: string;
  readonly follows?: FollowsRule;
}

type RuleOf<V> = [V] extends [number] ? NumberRule : ChoiceRule<V & string>;
/** One setting of AuditPolicy: its names and its rule. */
export type PolicySetting<K extends keyof AuditPolicy> = SettingNames<K> & RuleOf<AuditPolicy[K]>;
export type AnyPolicySetting = { [K in keyof AuditPolicy]: PolicySetting<K> }[keyof AuditPolicy];

/** Names of a threshold at every entry point, from its key and flag (the construct and config key follow the key). */
function named<K extends keyof AuditPolicy>(key: K, flag: string, env: string): SettingNames<K> {
  return { key, flag, env, configKey: `thresholds.${key}` };
}

/** Every audit-policy setting, in the order they are read (a setting that follows another comes after it). */
export const POLICY_RULES: { readonly [K in keyof AuditPolicy]: PolicySetting<K> } = {
  idleSeconds: { ...named('idleSeconds', 'idle-seconds', 'IDLE_SECONDS'), kind: 'whole', min: 1, max: 31_536_000, default: 300, what: 'a connection idle this long counts as idle' },
  churnPerMinute: {
    ...named('churnPerMinute', 'churn-per-minute', 'CHURN_PER_MINUTE'), kind: 'number', min: 0, max: 100_000_000, default: 100, what: 'new connections per minute that count as churn',
  },
  minGroupConnections: {
    ...named('minGroupConnections', 'min-group-connections', 'MIN_GROUP_CONNECTIONS'), kind: 'whole', min: 1, max: 1_000_000, default: 20,
    what: 'a workload (or one of its addresses) below this is never a leak suspect',
  },
  // A subscriber per process is normal; ten idle ones from one workload are not. Never above the group minimum by default.
  minPubsubConnections: {
    ...named('minPubsubConnections', 'min-pubsub-connections', 'MIN_PUBSUB_CONNECTIONS'), kind: 'whole', min: 1, max: 1_000_000, default: 10,
    what: 'idle subscribers of a workload that make a pub/sub leak', follows: { key: 'minGroupConnections', bound: 'atMost', enforced: false },
  },
  minGrowthConnections: {
    ...named('minGrowthConnections', 'min-growth', 'MIN_GROWTH'), kind: 'whole', min: 1, max: 1_000_000, default: 5,
    what: 'connections a workload must gain, beyond new members, to count as growing',
  },
  maxclientsWarn: { ...named('maxclientsWarn', 'maxclients-warn', 'MAXCLIENTS_WARN'), kind: 'share', min: 0.01, max: 1, default: 0.8, what: 'share of maxclients that is a warning' },
  maxclientsCritical: {
    ...named('maxclientsCritical', 'maxclients-critical', 'MAXCLIENTS_CRITICAL'), kind: 'share', min: 0.01, max: 1, default: 0.95,
    what: 'share of maxclients that is critical', follows: { key: 'maxclientsWarn', bound: 'atLeast', enforced: true },
  },
  // The report's bounded lists are rendered in the HTML page and summarised in the e-mail: a thousand is plenty.
  listLimit: { ...named('listLimit', 'list-limit', 'LIST_LIMIT'), kind: 'whole', min: 1, max: 1000, default: 50, what: 'entries kept per group list and idle list in the report' },
  // One millisecond: a request arriving during the auditor's command waits at most about that long.
  // Below 0.1 ms a batch could not hold even a few live clients; above 1 s it is no budget at all.
  maxStallMs: {
    ...named('maxStallMs', 'max-stall-ms', 'MAX_STALL_MS'),
    kind: 'number', min: 0.1, max: 1000, default: 1, what: 'the longest one listing command may hold the server, ms, decimals allowed',
  },
  // info-only: this run reports from INFO alone, with a limitation, and the ids found so far are kept so that the
  // next runs finish the listing within the budget. list-all: one plain CLIENT LIST, whatever it stalls.
  overBudget: {
    ...named('overBudget', 'over-budget', 'OVER_BUDGET'),
    kind: 'choice', choices: OVER_BUDGET_CHOICES, default: 'info-only', what: 'what to do when no listing fits maxStallMs',
  },
};

/** The settings in the order of POLICY_RULES. */
export const POLICY_SETTINGS: readonly AnyPolicySetting[] = Object.values(POLICY_RULES);

/** Every setting's own default (core/model.ts's defaultPolicy is this object). */
export const POLICY_DEFAULTS: AuditPolicy = Object.freeze(Object.fromEntries(POLICY_SETTINGS.map((s) => [s.key, s.default])) as unknown as AuditPolicy);

/**
 * Connect and command timeouts, shared by the CLI and the Lambda. One range, up to 60 s: a server that takes a
 * minute to accept a connection or answer INFO is down for its clients too, the audit's deadline (sampling plus
 * 60 s, core/deadline.ts) would end the audit first anyway, and the Lambda's timeout allows about 20 s a target.
 */
export const TIMEOUT_RULES = {
  connectTimeoutMs: { kind: 'whole', min: 100, max: 60_000, default: 5000, what: 'connect + TLS handshake timeout', flag: 'connect-timeout', env: 'CONNECT_TIMEOUT_MS' },
  commandTimeoutMs: { kind: 'whole', min: 100, max: 60_000, default: 5000, what: 'per-command timeout', flag: 'command-timeout', env: 'COMMAND_TIMEOUT_MS' },
} as const satisfies Record<string, NumberRule & { readonly flag: string; readonly env: string }>;

/** Minutes between scheduled audits (CDK config and construct `scheduleMinutes`): at least once a day. */
export const SCHEDULE_MINUTES_RULE = { kind: 'whole', min: 1, max: 1440, default: 5, what: 'minutes between audits' } as const satisfies NumberRule;

// Sampling differs by entry point on purpose: the CLI may watch one server for an hour in a terminal, while one
// Lambda invocation audits several targets within its timeout (at most 15 minutes) and takes churn and growth
// from the state kept between runs, so a few short samples are all it needs.
/** `--samples`, `--interval` of the CLI. */
export const CLI_SAMPLING = {
  samples: { kind: 'whole', min: 1, max: 1000, default: 1, what: 'snapshots in this run', flag: 'samples' },
  intervalSeconds: { kind: 'number', min: 0.1, max: 3600, default: 10, what: 'seconds between samples', flag: 'interval' },
} as const satisfies Record<string, NumberRule & { readonly flag: string }>;
/** `SAMPLES`, `SAMPLE_INTERVAL_SECONDS` of the Lambda. */
export const LAMBDA_SAMPLING = {
  samples: { kind: 'whole', min: 1, max: 10, default: 1, what: 'snapshots in one run', env: 'SAMPLES' },
  intervalSeconds: { kind: 'number', min: 0.1, max: 60, default: 5, what: 'seconds between samples', env: 'SAMPLE_INTERVAL_SECONDS' },
} as const satisfies Record<string, NumberRule & { readonly env: string }>;

/** Settings of the Lambda's runs that the construct also sets: one default for both (docs/lambda.md). */
export const LAMBDA_RUN_RULES = {
  /** Four targets at once: each holds a connection per node, and the function's timeout is sized by it. */
  targetConcurrency: { kind: 'whole', min: 1, max: 32, default: 4, what: 'targets audited at once', env: 'TARGET_CONCURRENCY' },
  /** An hour between two summaries of the same findings; up to a week. */
  notifyCooldownMinutes: { kind: 'whole', min: 0, max: 10_080, default: 60, what: 'minutes before the same findings are sent again', env: 'NOTIFY_COOLDOWN_MINUTES' },
} as const satisfies Record<string, NumberRule & { readonly env: string }>;

/** How messages state what a rule accepts. */
export function expectedForm(rule: SettingRule): string {
  switch (rule.kind) {
    case 'whole': return `a whole number from ${rule.min} to ${rule.max}`;
    case 'number': return `a number from ${rule.min} to ${rule.max}`;
    case 'share': return `a share of maxclients from ${rule.min} to ${rule.max}`;
    case 'choice': return `one of ${rule.choices.join(', ')}`;
  }
}

/**
 * A setting's value from its raw form: text (a flag, a variable; trimmed) or a JSON value (the CDK config, a prop).
 * `undefined` when not given; anything else is checked, and a bad value throws a ConfigError that names the setting
 * as the caller names it (`--list-limit`, `LIST_LIMIT`, `config key thresholds.listLimit`) and what it expects.
 */
export function readGivenSetting(rule: NumberRule, raw: unknown, name: string): number | undefined;
export function readGivenSetting<C extends string>(rule: ChoiceRule<C>, raw: unknown, name: string): C | undefined;
export function readGivenSetting(rule: SettingRule, raw: unknown, name: string): number | string | undefined;
export function readGivenSetting(rule: SettingRule, raw: unknown, name: string): number | string | undefined {
  if (raw === undefined) return undefined;
  const refuse = (): never => {
    throw new ConfigError(`${name} expects ${expectedForm(rule)}, got '${String(raw).slice(0, 80)}'`);
  };
  if (rule.kind === 'choice') {
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    return text !== undefined && rule.choices.includes(text) ? text : refuse();
  }
  const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : undefined;
  if (text === undefined || text === '') return refuse();
  const value = Number(text);
  // Text of a whole number is digits only (no sign, point or exponent); a JSON number must be an integer.
  const whole = typeof raw === 'number' ? Number.isInteger(raw) : /^\d+$/.test(text);
  if (!Number.isFinite(value) || value < rule.min || value > rule.max || (rule.kind === 'whole' && !whole)) return refuse();
  return value;
}

/** A setting's value, or its rule's default when not given. */
export function readSetting(rule: NumberRule, raw: unknown, name: string): number;
export function readSetting<C extends string>(rule: ChoiceRule<C>, raw: unknown, name: string): C;
export function readSetting(rule: SettingRule, raw: unknown, name: string): number | string {
  return readGivenSetting(rule, raw, name) ?? rule.default;
}

/** How an entry point finds a setting's raw value and names it in messages. */
type RawOf = (setting: AnyPolicySetting) => unknown;
type NameOf = (setting: AnyPolicySetting) => string;

/**
 * The settings that were given, each checked by its rule, and a follower checked against its leader (given, or
 * its default): what the CDK config and the construct pass on to the Lambda, which fills in the rest.
 */
export function readGivenPolicy(rawOf: RawOf, nameOf: NameOf): Partial<AuditPolicy> {
  const given: Record<string, number | string> = {};
  for (const setting of POLICY_SETTINGS) {
    const value = readGivenSetting(setting, rawOf(setting), nameOf(setting));
    if (value === undefined) continue;
    const follows = setting.follows;
    if (follows?.enforced === true && typeof value === 'number') {
      const leader = POLICY_RULES[follows.key];
      const leaderValue = (given[follows.key] ?? leader.default) as number;
      const wrong = follows.bound === 'atLeast' ? value < leaderValue : value > leaderValue;
      if (wrong) {
        throw new ConfigError(`${nameOf(setting)} (${value}) must not be ${follows.bound === 'atLeast' ? 'below' : 'above'} ${nameOf(leader)} (${leaderValue})`);
      }
    }
    given[setting.key] = value;
  }
  return given as Partial<AuditPolicy>;
}

/** The whole policy: what was given (checked as readGivenPolicy does), the defaults for the rest, a follower's bounded by its leader. */
export function readPolicy(rawOf: RawOf, nameOf: NameOf): AuditPolicy {
  const given = readGivenPolicy(rawOf, nameOf) as Record<string, number | string>;
  const policy: Record<string, number | string> = {};
  for (const setting of POLICY_SETTINGS) {
    const follows = setting.follows;
    let value = given[setting.key] ?? setting.default;
    if (given[setting.key] === undefined && follows !== undefined && typeof value === 'number') {
      const leaderValue = policy[follows.key] as number;
      value = follows.bound === 'atLeast' ? Math.max(value, leaderValue) : Math.min(value, leaderValue);
    }
    policy[setting.key] = value;
  }
  return policy as unknown as AuditPolicy;
}
