// Pieces of the SNS summary's texts (notification-text.ts composes them): the headline, the intro, the
// status and client lines, what the break-glass did, a fleet's addresses, the presigned link's real lifetime,
// and fitting findings into a budget. Untrusted values are escaped by the caller's `escape` or flattened with
// `plain` here.
import type { Finding } from './findings/index.js';
import { originList } from './findings/origin-text.js';
import type { NotifyReason } from './notify-policy.js';
import { boundText, leftOpenBecause, plural, thousands, type ReclaimReport } from './reclaim-report.js';
import type { AuditReport } from './report.js';
import { plain } from './text-safety.js';
import { IDENTIFIED_BY_TEXT } from './workload-identity.js';

/** Where the summary points: the report in the S3 console (needs a console login) and a presigned link. */
export interface NotificationLinks {
  /** S3 console page of the report people open (the HTML page when stored). */
  readonly consoleUrl: string;
  /** S3 console page of the JSON report, for machines; absent when it is the same as consoleUrl. */
  readonly jsonConsoleUrl?: string;
  readonly presignedUrl: string | null;
  /**
   * When the presigned URL really stops working (ISO 8601), null when unknown (temporary credentials without a
   * readable expiry): the message then states the URL's own X-Amz-Expires as an upper bound only.
   */
  readonly presignedExpiresAt: string | null;
  readonly nowMs: number;
}

/** One line on what the audit could not see (the report lists it all), only when something was not visible. */
export function notVisibleLine(report: AuditReport): string[] {
  const [first, ...rest] = report.limitations ?? [];
  if (first === undefined) return [];
  return [`Limitations: ${plain(first, 300)}${rest.length > 0 ? ` (and ${rest.length} more limitation${rest.length === 1 ? '' : 's'} in the report)` : ''}`];
}

/**
 * The reclaim section when connections were closed and the headline says so (a run that could not audit says
 * that instead); undefined otherwise.
 */
export function reclaimHeadlined(report: AuditReport, reason: NotifyReason): ReclaimReport | undefined {
  if (couldNotAudit(report, reason)) return undefined;
  return report.reclaim?.outcome === 'reclaimed' ? report.reclaim : undefined;
}

function couldNotAudit(report: AuditReport, reason: NotifyReason): boolean {
  return reason === 'unreachable' || (report.status === 'failed' && report.findings.length === 0);
}

/**
 * Whether the reclaim section is news that belongs at the top of a message: connections were closed, or the
 * armed break-glass was needed and refused (the on-call engineer must know that nothing relieved the server).
 * A break-glass that was not needed is one line at the end at most.
 */
export function reclaimIsNews(reclaim: ReclaimReport | undefined): reclaim is ReclaimReport {
  return reclaim !== undefined && (reclaim.outcome === 'reclaimed' || reclaim.outcome === 'refused');
}

export function headlineOf(report: AuditReport, reason: NotifyReason): string {
  if (couldNotAudit(report, reason)) return 'could not be audited';
  // What was killed is the news, whatever else the run found: `break-glass reclaimed 1,200 connections`.
  const reclaimed = reclaimHeadlined(report, reason);
  if (reclaimed !== undefined) return `${reclaimed.mode === 'break-glass' ? 'break-glass reclaimed' : 'reclaimed'} ${plural(reclaimed.killed, 'connection')}`;
  const leaks = report.summary.suspectedLeaks;
  const actionable = report.findings.filter((f) => f.severity !== 'info').length;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const text = leaks > 0
    ? count(leaks, 'suspected leak') + (actionable > leaks ? `, ${count(actionable - leaks, 'other finding')}` : '')
    : count(actionable || report.findings.length, 'finding');
  return reason === 'reminder' ? `${text} still open` : text;
}

/** A fleet's largest addresses (escaped) and how many it has: `10.0.1.7 (14 connections), 10.0.1.9 (13) and 28 more (30 in all)`. */
export function addressesOf(f: Finding, shown: number, escape: (untrusted: string) => string): string | null {
  const related = (f.relatedSources ?? []).slice(0, shown);
  const members = f.evidence.members ?? 0;
  if (related.length === 0 || members <= 1) return null;
  const listed = related.map((r, i) => `${escape(r.sourceIp)} (${r.connections}${i === 0 ? ' connections' : ''})`).join(', ');
  return members > related.length ? `${listed} and ${members - related.length} more (${members} in all)` : listed;
}

/** Where in the code a leak is (escaped): `src/handlers/user.ts:42 (312 of its 312 connections)`; null when the names carry no origin. */
export function originsOf(f: Finding, shown: number, escape: (untrusted: string) => string): string | null {
  const origins = (f.leakingOrigins ?? []).slice(0, shown);
  return origins.length === 0 ? null : originList(origins, escape);
}

export function largestWorkloadLine(report: AuditReport): string[] {
  const w = report.summary.largestWorkload;
  if (w === null) return [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return [`Largest workload: ${plain(w.label, 100)} (${IDENTIFIED_BY_TEXT[w.identifiedBy] ?? 'unknown'}), ${n(w.connections, 'connection', 'connections')} on ${n(w.members, 'address', 'addresses')}`];
}

/** The first line; `reclaim` words the 'reclaimed' reason by what the section says was done. */
export function introOf(reason: NotifyReason, target: string, reclaim?: ReclaimReport): string {
  switch (reason) {
    case 'new-finding': return `redis-leak-auditor found new connection problems on ${target}.`;
    case 'escalated': return `Connection problems on ${target} became more severe.`;
    case 'reminder': return `Reminder: connection problems on ${target} are still open.`;
    case 'unreachable': return `redis-leak-auditor could not audit ${target}: no node could be read in the last runs.`;
    case 'none': return `Audit summary for ${target}.`;
    case 'reclaimed': return reclaim === undefined || reclaim.outcome === 'reclaimed'
      ? `The break-glass reclaimed connections on ${target}.`
      : `The break-glass on ${target} did not reclaim connections.`;
  }
}

/** `1 hour`, `30 minutes`, `90 seconds`: the reclaim's idle threshold in its own unit. */
function idleThreshold(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds >= 3600 && seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  if (seconds >= 60 && seconds % 60 === 0) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

/**
 * The facts under the reclaim sentence, our own words and numbers plus the node (escaped): where, the level
 * before, what was eligible, and what a later run may still close. Null when there is nothing to add.
 * `Node 10.0.0.5:6379; 9,800 of maxclients 10,000 were in use; only connections idle at least 1 hour and used
 * only when opened were closed (at most 1,000 this run); 800 more eligible were left open (the per-run cap).`
 */
export function reclaimDetails(r: ReclaimReport, escape: (untrusted: string) => string): string | null {
  const parts = [
    ...(r.node === null ? [] : [`Node ${escape(r.node)}`]),
    ...(r.goal === undefined ? [] : [`${thousands(r.goal.connectedClients)} of maxclients ${thousands(r.goal.maxClients)} were in use`]),
    ...(r.outcome !== 'reclaimed' ? [] : [
      `only connections idle at least ${idleThreshold(r.minIdleSeconds)} and used only when opened were closed`
        + (r.max > 0 ? ` (${boundText(r, thousands)})` : ''),
      ...(r.capped > 0 ? [`${thousands(r.capped)} more eligible ${r.capped === 1 ? 'was' : 'were'} left open (${leftOpenBecause(r, thousands)})`] : []),
    ]),
  ];
  return parts.length === 0 ? null : `${parts.join('; ')}.`;
}

export function statusOf(report: AuditReport): string {
  const unread = report.nodes.filter((n) => n.samples === 0).length;
  if (report.status === 'ok') return `audited (${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'})`;
  if (report.status === 'partial') return `partial: ${unread} of ${report.nodes.length} nodes could not be read`;
  return 'failed: no node could be read';
}

export function clientsOf(report: AuditReport): string {
  const { connectedClients, maxClients, utilization } = report.summary;
  if (connectedClients === null) return 'unknown';
  const max = maxClients === null ? '' : ` of maxclients ${maxClients}`;
  const fullest = utilization === null ? '' : `, fullest node at ${Math.round(utilization * 100)}%`;
  return `${connectedClients} connected${max}${fullest}`;
}

/**
 * The presigned URL's real remaining life, rounded down: never promise more than the signature holds. When its
 * end is unknown (temporary credentials without a readable expiry, as in Lambda), only the signature's own
 * lifetime (X-Amz-Date + X-Amz-Expires in the URL) is stated, as an upper bound: S3 refuses a link signed
 * with temporary credentials once they expire, whatever X-Amz-Expires says.
 */
export function lifetimeOf(links: NotificationLinks): string {
  const expires = links.presignedExpiresAt === null ? NaN : Date.parse(links.presignedExpiresAt);
  if (!Number.isFinite(expires)) {
    const bound = signatureEndMs(links);
    if (bound === null) return 'valid for an unknown time (it may stop working within minutes)';
    const left = bound - links.nowMs;
    if (left <= 0) return 'already expired';
    return `valid for at most ${durationText(left)}, possibly less: it stops when the auditor's temporary credentials expire`;
  }
  const left = expires - links.nowMs;
  if (left <= 0) return 'already expired';
  const until = new Date(Math.floor(expires / 60_000) * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  return `valid until ${until} UTC, about ${durationText(left)}`;
}

/** A duration rounded down: `less than a minute`, `55 minutes`, `5 hours`, `3 days`. */
function durationText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(ms / 3_600_000);
  return minutes < 1 ? 'less than a minute'
    : minutes < 120 ? `${minutes} minute${minutes === 1 ? '' : 's'}`
      : hours < 48 ? `${hours} hours` : `${Math.floor(hours / 24)} days`;
}

/** When a SigV4 query signature ends (X-Amz-Date + X-Amz-Expires; from now when the date is missing), null if unsigned. */
function signatureEndMs(links: NotificationLinks): number | null {
  let query: URLSearchParams;
  try {
    query = new URL(links.presignedUrl ?? '').searchParams;
  } catch {
    return null;
  }
  const expiresSeconds = Number(query.get('X-Amz-Expires') ?? NaN);
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1) return null;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const signedMs = date === null ? links.nowMs : Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!);
  // Never later than signing "now" would give: a signer's clock ahead of ours must not lengthen the bound.
  return Math.min(signedMs, links.nowMs) + expiresSeconds * 1000;
}

/** As many rendered findings as fit the cap and the character budget, then a line counting the rest. */
export function fit(findings: readonly Finding[], cap: number, budget: number, render: (f: Finding, i: number) => string, more: (n: number) => string): string[] {
  const out: string[] = [];
  let used = 0;
  for (const finding of findings) {
    if (out.length >= cap) break;
    const block = render(finding, out.length);
    if (used + block.length > budget) break;
    out.push(block);
    used += block.length;
  }
  return findings.length > out.length ? [...out, more(findings.length - out.length)] : out;
}

