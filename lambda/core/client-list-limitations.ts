// What a report cannot show where CLIENT LIST was not read (refused by an ACL or the service, or too slow):
// the per-client details and the per-source checks. One wording for every target; a serverless cache's
// says why (the service refuses it) and that its counts also come from CloudWatch.
import type { NodeReport } from './report.js';
import { plain } from './text-safety.js';

const NODES_NAMED = 3;

/** Nodes that could not be read at all are left out: their errors say more. */
export function clientListLimitations(nodes: readonly NodeReport[], options: { readonly serverless?: boolean } = {}): string[] {
  const unlisted = nodes.filter((n) => n.samples > 0 && !n.clientListAvailable);
  if (unlisted.length === 0) return [];
  const named = unlisted.slice(0, NODES_NAMED).map((n) => plain(n.address, 120)).join(', ');
  const more = unlisted.length > NODES_NAMED ? ` and ${unlisted.length - NODES_NAMED} more` : '';
  const where = unlisted.length === nodes.length && nodes.length > 1 ? `any node (${named}${more})` : `${named}${more}`;
  const why = options.serverless === true
    ? 'CLIENT LIST is refused by ElastiCache Serverless'
    : unlisted.every((n) => n.clientListDeferred === true)
      ? 'listing every client there would have held the server longer than the stall budget allows (see the node errors); the ids found so far are kept, and the next runs finish the listing within the budget'
      : 'CLIENT LIST was refused or did not answer (see the node errors)';
  return [
    `Per-client details (source IPs, client names, users, libraries, idle times, pub/sub, blocked and in-transaction clients) `
      + `were not visible on ${where}: ${why}; the counts there come from INFO${options.serverless === true ? ' and CloudWatch' : ''} only.`,
    'Connections by source: growth, churn and idle connections cannot be attributed to an application, and the per-source checks '
      + '(idle connections, pub/sub leaks, blocked clients, open transactions, growth by source) did not run there.',
  ];
}
