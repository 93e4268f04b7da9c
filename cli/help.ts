// --help text. Defaults and ranges come from the rules the flags are read by (lambda/core/policy-rules.ts);
// the wording matches cli/args.ts and the README.
import { RECLAIM_DEFAULTS, RECLAIM_RULES } from '../lambda/core/reclaim-selection.js';
import { CLI_SAMPLING, OVER_BUDGET_CHOICES, POLICY_RULES, TIMEOUT_RULES, type OverBudget } from '../lambda/core/policy-rules.js';

/** What each --over-budget choice does; a choice added to policy-rules.ts fails to compile until it is described. */
const OVER_BUDGET_HELP: Readonly<Record<OverBudget, string>> = {
  'info-only': 'report from INFO alone, learn client ids over the next runs',
  'list-all': 'one plain CLIENT LIST, whatever it stalls',
};

/** One choice a line, under the flag's description column. */
function overBudgetHelp(): string {
  const described = OVER_BUDGET_CHOICES.map((choice) => `${choice}${choice === POLICY_RULES.overBudget.default ? ' (default)' : ''}: ${OVER_BUDGET_HELP[choice]}`);
  return described.join(`;\n${' '.repeat(31)}`);
}

export const HELP = `redis-leak-audit: find Redis/Valkey client connection leaks before they exhaust maxclients

Usage:
  redis-leak-audit audit --url redis://[user[:password]@]host[:port] [flags]
  redis-leak-audit reclaim --url URL [--apply] [--workload NAME] [--source IP] [--min-idle S] [--max N] [audit flags]
  redis-leak-audit demo [--json] [--out DIR] [--html FILE]
  redis-leak-audit --help | --version

Audit flags:
  --url URL                    target (or REDIS_URL); rediss:// for TLS
  --tls-ca FILE                PEM CA for rediss:// (default: system CAs)
  --cluster                    audit every primary and replica of a Redis Cluster from this seed node
                               (CLUSTER NODES; one connection per node); detected from INFO without it
  --samples N                  ${CLI_SAMPLING.samples.what} (default ${CLI_SAMPLING.samples.default}; churn and growth need 2+)
  --interval S                 ${CLI_SAMPLING.intervalSeconds.what} (default ${CLI_SAMPLING.intervalSeconds.default})
  --state-file PATH            keep history between runs (cron): churn and growth across runs
  --idle-seconds N             ${POLICY_RULES.idleSeconds.what} (default ${POLICY_RULES.idleSeconds.default})
  --churn-per-minute N         ${POLICY_RULES.churnPerMinute.what} (default ${POLICY_RULES.churnPerMinute.default})
  --min-group-connections N    ${POLICY_RULES.minGroupConnections.what} (default ${POLICY_RULES.minGroupConnections.default})
  --min-pubsub-connections N   ${POLICY_RULES.minPubsubConnections.what} (default ${POLICY_RULES.minPubsubConnections.default}, at most the above)
  --min-growth N               ${POLICY_RULES.minGrowthConnections.what} (default ${POLICY_RULES.minGrowthConnections.default})
  --maxclients-warn F          ${POLICY_RULES.maxclientsWarn.what} (default ${POLICY_RULES.maxclientsWarn.default})
  --maxclients-critical F      ${POLICY_RULES.maxclientsCritical.what} (default ${POLICY_RULES.maxclientsCritical.default}, at least the above)
  --list-limit N               ${POLICY_RULES.listLimit.what} (${POLICY_RULES.listLimit.min} to ${POLICY_RULES.listLimit.max}; default ${POLICY_RULES.listLimit.default})
  --max-stall-ms MS            ${POLICY_RULES.maxStallMs.what}
                               (${POLICY_RULES.maxStallMs.min} to ${POLICY_RULES.maxStallMs.max}; default ${POLICY_RULES.maxStallMs.default})
  --over-budget MODE           if no listing fits, ${overBudgetHelp()}
  --fail-on LEVEL              exit 1 on findings at or above info|warning|critical|never (default warning)
  --connect-timeout MS         ${TIMEOUT_RULES.connectTimeoutMs.what} (${TIMEOUT_RULES.connectTimeoutMs.min} to ${TIMEOUT_RULES.connectTimeoutMs.max}; default ${TIMEOUT_RULES.connectTimeoutMs.default})
  --cluster-allow CIDR,...     networks (or *.domain) beyond the seed's own /16 whose announced cluster nodes may be contacted
  --deadline-seconds N         the audit ends by then, reporting what it read (default: the sampling plus 60 s)
  --command-timeout MS         ${TIMEOUT_RULES.commandTimeoutMs.what} (${TIMEOUT_RULES.commandTimeoutMs.min} to ${TIMEOUT_RULES.commandTimeoutMs.max}; default ${TIMEOUT_RULES.commandTimeoutMs.default})
  --json                       print the report JSON on stdout, nothing else there
  --out DIR                    also write the report JSON into DIR
  --html FILE                  also write the report as one self-contained HTML page
  --color / --no-color         force colours on or off (default: on for a terminal)

Reclaim flags (standalone servers only; a cluster is refused): audits, then lists the leaking workload's
connections that were used once and are idle, and closes them one CLIENT KILL ID at a time with --apply.
Refused on a replica, after a partial audit or listing, or for a workload known only by its address.
  --apply                      kill the selected connections (default: a dry run that kills nothing)
  --workload NAME              reclaim this workload (as the report names it) instead of the leak findings'
  --source IP                  only connections from this address (vouches that the address is one program)
  --min-idle S                 ${RECLAIM_RULES.minIdleSeconds.what} (default ${RECLAIM_RULES.minIdleSeconds.default})
  --max N                      ${RECLAIM_RULES.maxPerRun.what} (${RECLAIM_RULES.maxPerRun.min} to ${RECLAIM_RULES.maxPerRun.max}; default ${RECLAIM_DEFAULTS.maxShare * 100}% of the workload's)
  The report (--json, --out, --html) carries a "reclaim" section: its outcome (reclaimed, dry-run, not-needed
  or refused) and why, the selected connections, how many were killed, spared and skipped, and the sentence printed.

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 could not audit.
The audit is read-only (reclaim --apply alone sends CLIENT KILL ID): INFO, CLIENT LIST, CONFIG GET (where allowed), CLUSTER NODES (clusters),
CLIENT SETNAME on its own connection.
`;
