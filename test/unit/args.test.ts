import { describe, expect, it } from 'vitest';
import { parseCli, type AuditOptions, type ReclaimOptions } from '../../cli/args.js';
import { RECLAIM_DEFAULTS } from '../../lambda/core/reclaim-selection.js';
import { ConfigError } from '../../lambda/core/errors.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { DEFAULT_MAX_STALL_MS, DEFAULT_OVER_BUDGET, MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES } from '../../lambda/core/stall-budget.js';
import { errorMessageOf } from '../support/error-message.js';

const audit = (...args: string[]) => parseCli(['audit', ...args], {}) as AuditOptions;
const failure = (args: string[], env: Record<string, string> = {}) => errorMessageOf(() => parseCli(args, env), ConfigError);

describe('parseCli', () => {
  it('takes the defaults of the policy rules (docs/design.md, Contract: the CLI)', () => {
    const options = audit('--url', 'redis://h:1');
    expect(options.policy).toEqual(defaultPolicy);
    expect(options).toMatchObject({ samples: 1, failOn: 'warning', json: false, deadlineSeconds: 60 });
  });

  it('takes a deadline, by default the planned sampling plus a minute', () => {
    expect(audit('--url', 'redis://h', '--samples', '3', '--interval', '10').deadlineSeconds).toBe(80);
    expect(audit('--url', 'redis://h', '--deadline-seconds', '5').deadlineSeconds).toBe(5);
  });

  it('reads thresholds and history flags', () => {
    const options = audit('--url', 'redis://h', '--samples', '3', '--interval', '0.5', '--idle-seconds', '60',
      '--churn-per-minute', '50', '--min-group-connections', '5', '--maxclients-warn', '0.7', '--state-file', 's.json', '--fail-on', 'critical');
    expect(options).toMatchObject({ samples: 3, intervalSeconds: 0.5, stateFile: 's.json', failOn: 'critical' });
    expect(options.policy).toMatchObject({ idleSeconds: 60, churnPerMinute: 50, minGroupConnections: 5, minPubsubConnections: 5, maxclientsWarn: 0.7 });
  });

  it('accepts --cluster, and leaves cluster detection to the audit without it', () => {
    expect(audit('--url', 'redis://h:7000', '--cluster').cluster).toBe(true);
    expect(audit('--url', 'redis://h:7000').cluster).toBe(false);
  });

  it('falls back to REDIS_URL', () => {
    expect((parseCli(['audit'], { REDIS_URL: 'redis://env:6379' }) as AuditOptions).url).toBe('redis://env:6379');
  });

  it.each([
    [['audit'], '--url is required'],
    [['audit', '--url', 'redis://h', '--samples', '0'], "--samples expects a whole number from 1 to 1000, got '0'"],
    [['audit', '--url', 'redis://h', '--idle-seconds', '1.5'], "--idle-seconds expects a whole number from 1 to 31536000, got '1.5'"],
    [['audit', '--url', 'redis://h', '--maxclients-warn', '80'], "--maxclients-warn expects a share of maxclients from 0.01 to 1, got '80'"],
    [['audit', '--url', 'redis://h', '--maxclients-warn', '0'], "--maxclients-warn expects a share of maxclients from 0.01 to 1, got '0'"],
    [['audit', '--url', 'redis://h', '--maxclients-critical', '0.5'], '--maxclients-critical (0.5) must not be below --maxclients-warn (0.8)'],
    [['audit', '--url', 'redis://h', '--list-limit', '1001'], "--list-limit expects a whole number from 1 to 1000, got '1001'"],
    [['audit', '--url', 'redis://h', '--connect-timeout', '60001'], "--connect-timeout expects a whole number from 100 to 60000, got '60001'"],
    [['audit', '--url', 'redis://h', '--deadline-seconds', '0'], "--deadline-seconds expects a whole number from 1 to 3600, got '0'"],
    [['audit', '--url', 'redis://h', '--fail-on', 'loud'], "--fail-on expects one of info, warning, critical, never, got 'loud'"],
    [['audit', '--url', 'redis://h', '--bogus'], 'unknown flag --bogus'],
    [['audit', '--url'], '--url needs a value'],
    [['audits'], "unknown command 'audits'"],
  ])('rejects %j with a sentence naming the flag', (args, expected) => {
    expect(failure(args)).toContain(expected);
  });

  it('never echoes a password with a raw @ from a stray positional URL', () => {
    const message = failure(['audit', 'redis://:Sekr3t@Tail-99@h:6379']);
    expect(message).not.toContain('Tail-99');
    expect(message).toContain('redis://:***@h:6379');
  });

  it('never echoes a password from a stray positional URL', () => {
    const message = failure(['audit', 'redis://user:hunter2@h:6379']);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('redis://user:***@h:6379');
  });
});

describe('--cluster-allow', () => {
  it('takes networks and domains, and names the flag and the form on a bad entry', () => {
    expect(audit('--url', 'redis://h', '--cluster-allow', '10.1.0.0/16,*.example.internal').clusterAllow?.networks).toHaveLength(1);
    expect(() => audit('--url', 'redis://h', '--cluster-allow', '10.0.0.300/16')).toThrow(/--cluster-allow.*CIDR/);
  });
});

describe('--max-stall-ms and --over-budget', () => {
  const stallForm = `--max-stall-ms expects a number from ${MAX_STALL_MS_RANGE.min} to ${MAX_STALL_MS_RANGE.max}`;

  it('default to the stall budget of core/stall-budget.ts', () => {
    expect(audit('--url', 'redis://h').policy).toMatchObject({ maxStallMs: DEFAULT_MAX_STALL_MS, overBudget: DEFAULT_OVER_BUDGET });
  });

  it('take a budget with decimals and a choice', () => {
    expect(audit('--url', 'redis://h', '--max-stall-ms', '0.5', '--over-budget', 'list-all').policy).toMatchObject({ maxStallMs: 0.5, overBudget: 'list-all' });
    expect(audit('--url', 'redis://h', '--max-stall-ms', String(MAX_STALL_MS_RANGE.max)).policy.maxStallMs).toBe(MAX_STALL_MS_RANGE.max);
  });

  it.each([
    ['0', `${stallForm}, got '0'`],
    [String(MAX_STALL_MS_RANGE.min / 2), `${stallForm}, got '${MAX_STALL_MS_RANGE.min / 2}'`],
    [String(MAX_STALL_MS_RANGE.max * 2), `${stallForm}, got '${MAX_STALL_MS_RANGE.max * 2}'`],
    ['fast', `${stallForm}, got 'fast'`],
    ['', `${stallForm}, got ''`],
  ])('refuse --max-stall-ms %j, naming the flag and the range', (value, expected) => {
    expect(failure(['audit', '--url', 'redis://h', '--max-stall-ms', value])).toBe(expected);
  });

  it.each([['all'], ['INFO-ONLY'], ['']])('refuse --over-budget %j, naming the flag and the choices', (value) => {
    expect(failure(['audit', '--url', 'redis://h', '--over-budget', value])).toBe(`--over-budget expects one of ${OVER_BUDGET_CHOICES.join(', ')}, got '${value}'`);
  });
});

describe('parseCli reclaim', () => {
  const reclaim = (...args: string[]) => parseCli(['reclaim', '--url', 'redis://h:1', ...args], {}) as ReclaimOptions;

  it("takes the audit's flags and a dry run with the defaults of the selection", () => {
    const options = reclaim('--idle-seconds', '60', '--min-group-connections', '5', '--json');
    expect(options).toMatchObject({ command: 'reclaim', url: 'redis://h:1', apply: false, json: true, minIdleSeconds: RECLAIM_DEFAULTS.minIdleSeconds });
    expect(options.policy).toMatchObject({ idleSeconds: 60, minGroupConnections: 5 });
    expect(options.max).toBeUndefined();
    expect(options.workload).toBeUndefined();
    expect(options.sourceIp).toBeUndefined();
  });

  it('reads --apply, --workload, --source, --min-idle and --max', () => {
    expect(reclaim('--apply', '--workload', 'orders-api', '--source', '10.0.0.5', '--min-idle', '1', '--max', '1000'))
      .toMatchObject({ apply: true, workload: 'orders-api', sourceIp: '10.0.0.5', minIdleSeconds: 1, max: RECLAIM_DEFAULTS.maxCeiling });
  });

  it.each([
    [['--max', '0'], "--max expects a whole number from 1 to 1000, got '0'"],
    [['--max', '1001'], "--max expects a whole number from 1 to 1000, got '1001'"],
    [['--max', '2.5'], "--max expects a whole number from 1 to 1000, got '2.5'"],
    [['--min-idle', '0'], "--min-idle expects a whole number from 1 to 31536000, got '0'"],
    [['--min-idle', 'soon'], "--min-idle expects a whole number from 1 to 31536000, got 'soon'"],
    [['--source', 'host.example'], "--source expects an IP address such as 10.0.0.5, got 'host.example'"],
    [['--workload', ''], "--workload expects a workload's name"],
    [['--cluster'], 'reclaim acts on one standalone server: --cluster is not accepted'],
    [['--cluster-allow', '10.0.0.0/8'], '--cluster-allow is not accepted'],
    [['--max'], '--max needs a value'],
    [['--samples', '0'], "--samples expects a whole number from 1 to 1000, got '0'"],
  ])('rejects %j with a sentence naming the flag', (args, expected) => {
    expect(failure(['reclaim', '--url', 'redis://h', ...args])).toContain(expected);
  });

  it('keeps the reclaim flags out of audit', () => {
    expect(failure(['audit', '--url', 'redis://h', '--apply'])).toContain('unknown flag --apply');
    expect(failure(['reclaim'])).toContain('--url is required');
  });
});
