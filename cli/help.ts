// --help text. Flags and defaults here match cli/args.ts and the README.
import { DEFAULT_MAX_STALL_MS, DEFAULT_OVER_BUDGET, MAX_STALL_MS_RANGE, OVER_BUDGET_CHOICES, type OverBudget } from '../lambda/core/stall-budget.js';

/** What each --over-budget choice does; a choice added to stall-budget.ts fails to compile until it is described. */
const OVER_BUDGET_HELP: Readonly<Record<OverBudget, string>> = {
  'info-only': 'report from INFO alone, learn client ids over the next runs',
  'list-all': 'one plain CLIENT LIST, whatever it stalls',
};

/** One choice a line, under the flag's description column. */
function overBudgetHelp(): string {
  const described = OVER_BUDGET_CHOICES.map((choice) => `${choice}${choice === DEFAULT_OVER_BUDGET ? ' (default)' : ''}: ${OVER_BUDGET_HELP[choice]}`);
  return described.join(`;\n${' '.repeat(31)}`);
}

export const HELP = `redis-leak-audit: find Redis/Valkey client connection leaks before they exhaust maxclients

Usage:
  redis-leak-audit audit --url redis://[user[:password]@]host[:port] [flags]
  redis-leak-audit demo [--json] [--out DIR] [--html FILE]
  redis-leak-audit --help | --version

Audit flags:
  --url URL                    target (or REDIS_URL); rediss:// for TLS
  --tls-ca FILE                PEM CA for rediss:// (default: system CAs)
  --cluster                    audit every primary and replica of a Redis Cluster from this seed node
                               (CLUSTER NODES; one connection per node); detected from INFO without it
  --samples N                  snapshots in this run (default 1; churn and growth need 2+)
  --interval S                 seconds between samples (default 10)
  --state-file PATH            keep history between runs (cron): churn and growth across runs
  --idle-seconds N             a connection idle this long counts as idle (default 300)
  --churn-per-minute N         new connections per minute that count as churn (default 100)
  --min-group-connections N    a workload (or one of its addresses) below this is never a leak suspect (default 20)
  --min-pubsub-connections N   idle subscribers of a workload that make a pub/sub leak (default 10, at most the above)
  --min-growth N               connections a workload must gain, beyond new members, to count as growing (default 5)
  --maxclients-warn F          share of maxclients that is a warning (default 0.8)
  --maxclients-critical F      share of maxclients that is critical (default 0.95)
  --list-limit N               entries kept per group list and idle list in the report (default 50)
  --max-stall-ms MS            the longest one listing command may hold the server, ms, decimals allowed
                               (${MAX_STALL_MS_RANGE.min} to ${MAX_STALL_MS_RANGE.max}; default ${DEFAULT_MAX_STALL_MS})
  --over-budget MODE           if no listing fits, ${overBudgetHelp()}
  --fail-on LEVEL              exit 1 on findings at or above info|warning|critical|never (default warning)
  --connect-timeout MS         connect + TLS handshake timeout (default 5000)
  --cluster-allow CIDR,...     networks (or *.domain) beyond the seed's own /16 whose announced cluster nodes may be contacted
  --deadline-seconds N         the audit ends by then, reporting what it read (default: the sampling plus 60 s)
  --command-timeout MS         per-command timeout (default 5000)
  --json                       print the report JSON on stdout, nothing else there
  --out DIR                    also write the report JSON into DIR
  --html FILE                  also write the report as one self-contained HTML page
  --color / --no-color         force colours on or off (default: on for a terminal)

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 could not audit.
The auditor is read-only: INFO, CLIENT LIST, CONFIG GET (where allowed), CLUSTER NODES (clusters),
CLIENT SETNAME on its own connection.
`;
