// `redis-leak-audit reclaim` (issue 19): after the audit, one fresh connection reads the node's role and ONE
// plain CLIENT LIST, selectReclaimable (lambda/core/reclaim-selection.ts) picks the leaked connections, and
// only with --apply are they closed, one `CLIENT KILL ID <id>` each (never another CLIENT KILL filter).
// Standalone servers only: a cluster is refused. The connection is closed in finally, whatever happened.
import { parseClientList } from '../lambda/core/parse-client-list.js';
import {
  refusedSelection, selectReclaimable, type ReclaimCandidate, type ReclaimSelection, type SkipReason,
} from '../lambda/core/reclaim-selection.js';
import { clientListLimits, INFO_LIMITS, plainListingProblem, SMALL_REPLY_LIMITS } from '../lambda/core/reply-limits.js';
import type { AuditReport } from '../lambda/core/report.js';
import type { Workload } from '../lambda/core/workloads.js';
import { closeConnection, openConnection, ownServerAddress, toAuditError, type ConnectionTimeouts } from '../lambda/redis/redis-connection.js';
import type { RedisTarget } from '../lambda/redis/target-url.js';
import type { ReclaimOptions } from './args.js';

export const CLUSTER_REFUSAL = 'The target is a Redis Cluster: reclaiming acts only on a standalone server.';

/** What a reclaim run did: printed as text, or as the `reclaim` section beside the report with --json. */
export interface ReclaimOutcome {
  readonly applied: boolean;
  readonly refused: string | null;
  readonly selected: readonly ReclaimCandidate[];
  /** Kills the server confirmed (reply 1 or OK); 0 in a dry run. */
  readonly killed: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  readonly capped: number;
  /** Why --apply stopped before every selected connection was killed (the kills before it are counted). */
  readonly stoppedBy?: string;
}

export async function reclaimAfterAudit(report: AuditReport, target: RedisTarget, options: ReclaimOptions): Promise<ReclaimOutcome> {
  const base = {
    reportStatus: report.status,
    findings: report.findings,
    target: { ...(options.workload === undefined ? {} : { workload: options.workload }), ...(options.sourceIp === undefined ? {} : { sourceIp: options.sourceIp }) },
    minIdleSeconds: options.minIdleSeconds,
    ...(options.max === undefined ? {} : { max: options.max }),
    ...(report.workloads ? { resolvedSources: new Map<string, Workload>(Object.entries(report.workloads)) } : {}),
    // alreadyReclaimed: the state file keeps no reclaimed ids yet; a killed id is gone from the listing anyway.
  };
  if (report.nodes.length > 1) return outcome(refusedSelection(CLUSTER_REFUSAL), false, 0);
  // A partial or failed audit is refused by the selection itself, before anything is read.
  if (report.status !== 'ok') return outcome(selectReclaimable({ ...base, clients: [], role: 'primary', listingComplete: true }), false, 0);

  const timeouts: ConnectionTimeouts = { connectTimeoutMs: options.connectTimeoutMs, commandTimeoutMs: options.commandTimeoutMs };
  const connection = await openConnection(target, timeouts);
  const send = async (args: [string, ...string[]], limits: typeof SMALL_REPLY_LIMITS, what: string): Promise<unknown> => {
    try {
      return await connection.command(args, { timeoutMs: options.commandTimeoutMs, limits });
    } catch (err) {
      throw toAuditError(err, target, what, options.commandTimeoutMs);
    }
  };
  try {
    const replication = textOf(await send(['INFO', 'replication'], INFO_LIMITS, 'INFO replication'));
    const cluster = textOf(await send(['INFO', 'cluster'], INFO_LIMITS, 'INFO cluster'));
    if (/^cluster_enabled:1\b/m.test(cluster)) return outcome(refusedSelection(CLUSTER_REFUSAL), false, 0);
    const role = /^role:master\b/m.test(replication) ? 'primary' : 'replica';
    const listing = await send(['CLIENT', 'LIST'], clientListLimits(report.nodes[0]?.connectedClients ?? null), 'CLIENT LIST');
    const text = Buffer.isBuffer(listing) ? listing.toString('utf8') : null;
    const own = ownServerAddress(connection);
    const parsed = parseClientList(text ?? '');
    const listingComplete = parsed.malformedLines === 0 && plainListingProblem(text, null, own) === null;
    const selection = selectReclaimable({
      ...base, clients: parsed.clients, role, listingComplete, ...(own === undefined ? {} : { auditorAddresses: [own] }),
    });
    if (!options.apply || selection.refused !== null) return outcome(selection, false, 0);
    let killed = 0;
    for (const candidate of selection.selected) {
      try {
        const reply = await send(['CLIENT', 'KILL', 'ID', String(candidate.id)], SMALL_REPLY_LIMITS, 'CLIENT KILL ID');
        if (reply === 1 || reply === 'OK') killed += 1;
      } catch (err) {
        // Stop at the first failure, and still say what was killed before it: a kill is never done silently.
        return { ...outcome(selection, true, killed), stoppedBy: `stopped after ${killed} kills: ${(err as Error).message}` };
      }
    }
    return outcome(selection, true, killed);
  } finally {
    await closeConnection(connection, Math.min(options.commandTimeoutMs, 1000));
  }
}

function outcome(selection: ReclaimSelection, applied: boolean, killed: number): ReclaimOutcome {
  return { applied, refused: selection.refused, selected: selection.selected, killed, skipped: selection.skipped, capped: selection.capped };
}


function textOf(reply: unknown): string {
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : '';
}
