// The SNS summary of a run, one text per protocol (MessageStructure: json): `email` plain text, `https`
// an Amazon Q Developer in chat applications (AWS Chatbot) custom notification, `default` for the rest.
// Finding messages carry client names, users and node errors, i.e. text chosen by applications: every
// such value is flattened to one line, bounded, and escaped for markdown before it reaches a channel.
// When the break-glass closed connections (or was needed and refused), the report's reclaim sentence
// (reclaim-report.ts reclaimSentence) comes right after the intro of every text, ahead of anything a long list
// of findings could push out: it is what the on-call engineer must read first.
import { RECOMMENDATIONS } from './findings/recommendations.js';
import { severityRank, type Finding } from './findings/index.js';
import { findingKey, type NotifyReason } from './notify-policy.js';
import type { ReclaimReport } from './reclaim-report.js';
import type { AuditReport } from './report.js';
import type { NotificationLinks } from './notification-parts.js';
import {
  addressesOf, clientsOf, fit, headlineOf, introOf, largestWorkloadLine, lifetimeOf, notVisibleLine, originsOf, reclaimDetails, reclaimHeadlined,
  reclaimIsNews, statusOf,
} from './notification-parts.js';
import { asciiLine, md, plain, safeUrl, sentences, truncate, utf8Bytes } from './text-safety.js';

export interface NotificationMessage {
  readonly subject: string;
  readonly default: string;
  readonly email: string;
  readonly https: string;
}

export type { NotificationLinks } from './notification-parts.js';

export interface NotificationInput {
  readonly report: AuditReport;
  /** The operator's name for the target (dimension and thread id), e.g. `orders-cache`. */
  readonly targetName: string;
  readonly reason: NotifyReason;
  /** Finding keys (notify-policy `findingKey`) to mark as new or more severe. */
  readonly newKeys: readonly string[];
  readonly links: NotificationLinks;
}

/** SNS Publish: a subject is printable text without line breaks and less than 100 characters. */
export const SUBJECT_MAX_CHARS = 99;
/** SNS allows 256 KB per message; the whole JSON envelope stays far below it, whatever the findings. */
export const MESSAGE_MAX_BYTES = 32 * 1024;
/** Chatbot custom notification limits (title 250, description 8000, next step 350, keyword 75), with margin. */
export const CHATBOT_LIMITS = { title: 200, description: 6000, nextStep: 300, nextSteps: 3, keyword: 60 } as const;

const EMAIL_FINDINGS_CHARS = 9000;
const CHAT_FINDINGS_CHARS = 2500;
/** Room kept in the chat description for at least the first findings after summary and links. */
const CHAT_RESERVE = 800;
/** Findings listed per text; retried smaller when the envelope would exceed MESSAGE_MAX_BYTES. */
const FINDING_CAPS = [20, 8, 3, 0] as const;
// Emphasis, code and link openers. `(`, `)` and `!` are inert once `[` `]` are escaped, and no untrusted
// value starts a line (each sits after our own prefix), so `#`, `>`, `-` need nothing.
const TRUSTED_RECOMMENDATIONS: ReadonlySet<string> = new Set(Object.values(RECOMMENDATIONS));
/**
 * The reclaim sentence's bound: it is printed whole (three workloads with their origins and a stop reason fit
 * easily); only a hostile workload name could reach it, and then the sentence's own words around it are kept
 * by `plain`'s and `md`'s per-value bounds being far larger than any real sentence.
 */
const RECLAIM_SENTENCE_CHARS = 1500;

export function buildNotification(input: NotificationInput): NotificationMessage {
  let message = compose(input, FINDING_CAPS[0]);
  for (const cap of FINDING_CAPS.slice(1)) {
    if (utf8Bytes(JSON.stringify({ default: message.default, email: message.email, https: message.https })) <= MESSAGE_MAX_BYTES) break;
    message = compose(input, cap);
  }
  return message;
}

/** What every text of one notification shares, computed once. */
interface Context {
  readonly input: NotificationInput;
  readonly target: string;
  /** Most severe first (stable: within a severity the report's own order, largest first). */
  readonly findings: readonly Finding[];
  readonly isNew: (finding: Finding) => boolean;
  readonly tag: string;
  /** Our own words (`3 suspected leaks`): the workload after it is escaped per text (titled). */
  readonly headline: string;
  /** The workload of the most severe actionable finding that names one (untrusted: a client name). */
  readonly worst: string | null;
  readonly consoleUrl: string | null;
  /** The JSON report's console page when it differs from consoleUrl (the HTML page's). */
  readonly jsonConsoleUrl: string | null;
  readonly presignedUrl: string | null;
  readonly lifetime: string | null;
  readonly unreadable: AuditReport['nodes'];
  /** The reclaim section when it leads the texts (connections closed, or the break-glass refused); else undefined. */
  readonly reclaimNews: ReclaimReport | undefined;
  /** The reclaim section when the headline names it (`break-glass reclaimed 1,200 connections`). */
  readonly reclaimHeadline: ReclaimReport | undefined;
}

function compose(input: NotificationInput, cap: number): NotificationMessage {
  const { report, reason, links } = input;
  const fresh = new Set(input.newKeys);
  const findings = [...report.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const presignedUrl = links.presignedUrl === null ? null : safeUrl(links.presignedUrl);
  const context: Context = {
    input,
    target: plain(input.targetName, 60) || 'target',
    findings,
    isNew: (f) => fresh.has(findingKey(f)),
    tag: reason === 'unreachable' || (report.status === 'failed' && findings.length === 0) ? 'FAILED' : (findings[0]?.severity ?? 'info').toUpperCase(),
    headline: headlineOf(report, reason),
    worst: reason === 'unreachable' ? null : findings.find((f) => f.severity !== 'info' && f.subject.workload !== undefined)?.subject.workload ?? null,
    consoleUrl: safeUrl(links.consoleUrl),
    jsonConsoleUrl: links.jsonConsoleUrl === undefined || links.jsonConsoleUrl === links.consoleUrl ? null : safeUrl(links.jsonConsoleUrl),
    presignedUrl,
    lifetime: presignedUrl === null ? null : lifetimeOf(links),
    unreadable: report.nodes.filter((n) => n.samples === 0 && n.errors.length > 0).slice(0, 5),
    reclaimNews: reclaimIsNews(report.reclaim) ? report.reclaim : undefined,
    reclaimHeadline: reclaimHeadlined(report, reason),
  };
  const subject = asciiLine(`[${context.tag}] redis-leak-auditor: ${asciiLine(context.target, 40) || 'target'}: ${titled(context, (w) => plain(w, 60))}`, SUBJECT_MAX_CHARS);
  const top = findings[0];
  const defaultText = [subject, context.reclaimNews === undefined ? '' : plain(context.reclaimNews.summary, 500),
    top === undefined ? '' : plain(top.message, 300), context.consoleUrl === null ? '' : `Report: ${context.consoleUrl}`]
    .filter((line) => line !== '').join('\n');
  return { subject, default: defaultText, email: emailText(context, cap), https: JSON.stringify(chatbotNotification(context, cap)) };
}

/** Plain text: what, where, how many, what to fix, where the report is and how long its link works. */
function emailText(c: Context, cap: number): string {
  const { report, reason } = c.input;
  const perMinute = report.summary.newConnectionsPerMinute;
  const seenFixes = new Set<string>();
  const listed = fit(c.findings, cap, EMAIL_FINDINGS_CHARS, (f, i) => {
    const fix = seenFixes.has(f.recommendation) ? 'as above.' : plain(f.recommendation, 600);
    seenFixes.add(f.recommendation);
    const addresses = addressesOf(f, 5, (t) => plain(t, 80));
    const origins = originsOf(f, 5, (t) => plain(t, 100));
    return `${i + 1}. ${f.severity.toUpperCase()}${c.isNew(f) ? ', NEW' : ''}: ${plain(f.message, 500)}\n${addresses === null ? '' : `   Addresses: ${addresses}\n`}`
      + `${origins === null ? '' : `   Leaking at: ${origins}\n`}   Fix: ${fix}\n`;
  }, (n) => `... and ${n} more finding${n === 1 ? '' : 's'} in the report.\n`);
  const news = c.reclaimNews;
  const details = news === undefined ? null : reclaimDetails(news, (t) => plain(t, 120));
  return [
    introOf(reason, c.target, report.reclaim),
    '',
    ...(news === undefined ? [] : [plain(news.summary, RECLAIM_SENTENCE_CHARS), ...(details === null ? [] : [details]), '']),
    `Where:   ${c.target} (${plain(report.target, 200)})`,
    `Status:  ${statusOf(report)}`,
    `When:    ${plain(report.generatedAt, 40)}`,
    `Clients: ${clientsOf(report)}`,
    ...largestWorkloadLine(report),
    `New connections per minute: ${perMinute === null ? 'unknown (needs history from an earlier run)' : Math.round(perMinute * 10) / 10}`,
    `Rejected since the last audit: ${report.summary.rejectedSinceLastAudit ?? 'unknown'}`,
    ...notVisibleLine(report),
    '',
    ...(c.findings.length === 0 ? ['No findings could be produced in this run.', ''] : [
      `Findings, most severe first${c.input.newKeys.length > 0 ? ' (NEW: new or more severe since the last summary)' : ''}:`, '', ...listed]),
    ...(c.unreadable.length === 0 ? [] : ['Nodes that could not be read:',
      ...c.unreadable.map((n) => `- ${plain(n.address, 100)}: ${plain(n.errors[0] ?? '', 300)}`),
      'Check the network path (security group, subnet), the credentials (AUTH secret or IAM token), TLS, and whether maxclients '
      + 'is reached: the auditor needs one free connection.', '']),
    // A break-glass that was not needed (or a dry run): one line, after everything that needs action.
    ...(report.reclaim === undefined || news !== undefined ? [] : [plain(report.reclaim.summary, 300), '']),
    'Report:',
    c.consoleUrl === null ? '- S3 console link unavailable.' : `- S3 console (needs an AWS console login with read access): ${c.consoleUrl}`,
    c.presignedUrl === null
      ? '- No direct download link could be signed; open the report from the S3 console link above.'
      : `- Direct download: ${c.presignedUrl}\n  This link is ${c.lifetime}. After that, use the S3 console link.`,
    ...(c.jsonConsoleUrl === null ? [] : [`- The report as JSON, for scripts: ${c.jsonConsoleUrl}`]),
    '',
    'You get this summary when findings appear or become more severe, and as a reminder while they stay open.',
  ].join('\n');
}

/** Amazon Q Developer in chat applications custom notification: short markdown, details stay in the report. */
function chatbotNotification(c: Context, cap: number) {
  const { report, reason, targetName } = c.input;
  const threadId = threadIdOf(targetName);
  // Summary and links first, each only if it fits, so that no list can push them out or cut a link
  // in half; the findings get what is left.
  const news = c.reclaimNews;
  const details = news === undefined ? null : reclaimDetails(news, (t) => md(t, 120));
  // The reclaim sentence is part of the summary, never optional: only the findings give way to it.
  const lines = [
    introOf(reason, md(c.target, 120), report.reclaim),
    ...(news === undefined ? [] : [`*${md(news.summary, RECLAIM_SENTENCE_CHARS)}*`, ...(details === null ? [] : [`_${details}_`])]),
    `*Target:* ${md(report.target, 200)} · *Status:* ${statusOf(report)}`, `*Clients:* ${clientsOf(report)}`,
  ];
  const optional = [
    ...(c.consoleUrl === null ? [] : [`*Report:* <${c.consoleUrl}>`]),
    c.presignedUrl === null ? '_No direct download link could be signed; use the S3 console._' : `*Download* (${c.lifetime}): <${c.presignedUrl}>`,
    ...c.unreadable.map((n) => `• *UNREADABLE* ${md(n.address, 100)}: ${md(n.errors[0] ?? '', 200)}`),
  ];
  let used = lines.join('\n').length;
  for (const line of optional) {
    if (used + line.length + 1 > CHATBOT_LIMITS.description - CHAT_RESERVE) continue;
    lines.push(line);
    used += line.length + 1;
  }
  const listed = fit(c.findings, cap, Math.min(CHAT_FINDINGS_CHARS, CHATBOT_LIMITS.description - used - 100),
    (f) => {
      const addresses = addressesOf(f, 3, (t) => md(t, 80));
      const origins = originsOf(f, 3, (t) => md(t, 100));
      return `• *${f.severity.toUpperCase()}*${c.isNew(f) ? ' *NEW*' : ''} ${md(f.message, 300)}${addresses === null ? '' : `\n   _Addresses:_ ${addresses}`}`
        + `${origins === null ? '' : `\n   _Leaking at:_ ${origins}`}`;
    },
    (n) => `_… and ${n} more finding${n === 1 ? '' : 's'} in the report._`);
  const nextSteps = [...new Set(c.findings.slice(0, Math.max(cap, 1)).map((f) => f.recommendation))]
    .slice(0, CHATBOT_LIMITS.nextSteps)
    .map((r) => TRUSTED_RECOMMENDATIONS.has(r) ? sentences(plain(r, 2000), CHATBOT_LIMITS.nextStep) : md(r, CHATBOT_LIMITS.nextStep));
  return {
    version: '1.0',
    source: 'custom',
    id: `${threadId}:${plain(report.generatedAt, 40)}`,
    content: {
      textType: 'client-markdown',
      title: truncate(`${c.tag}: ${md(c.target, 60)}: ${titled(c, (w) => md(w, 60))}`, CHATBOT_LIMITS.title),
      description: truncate([...lines, '', ...listed].join('\n'), CHATBOT_LIMITS.description),
      ...(nextSteps.length > 0 ? { nextSteps } : {}),
      keywords: ['redis-leak-auditor', c.tag.toLowerCase(), keyword(targetName)],
    },
    metadata: {
      threadId,
      summary: plain(`${c.target}: ${titled(c, (w) => plain(w, 60))}`, 200),
      eventType: `redis-leak-audit-${reason}`,
      relatedResources: [plain(report.target, 200)],
      additionalContext: {
        status: report.status,
        reason,
        generatedAt: plain(report.generatedAt, 40),
        suspectedLeaks: String(report.summary.suspectedLeaks),
        critical: String(report.summary.findingsBySeverity.critical),
        warning: String(report.summary.findingsBySeverity.warning),
      },
    },
  };
}

/** The headline with the worst finding's workload: `3 suspected leaks, worst: orders-api`; escape fits the text. */
function titled(c: Context, escape: (untrusted: string) => string): string {
  // `break-glass reclaimed 1,200 connections of orders-api`: whose connections, not the worst finding's.
  const reclaimed = c.reclaimHeadline;
  if (reclaimed !== undefined) {
    const [first, ...rest] = reclaimed.byWorkload;
    return first === undefined ? c.headline : `${c.headline} of ${escape(first.workload)}${rest.length > 0 ? ` and ${rest.length} more` : ''}`;
  }
  if (c.worst === null) return c.headline;
  const one = c.findings.filter((f) => f.severity !== 'info').length === 1;
  return `${c.headline}${one ? ':' : ', worst:'} ${escape(c.worst)}`;
}

/** One chat thread per target: a readable slug plus a hash, so names that slug alike stay apart. */
function threadIdOf(targetName: string): string {
  const slug = targetName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `redis-leak-auditor-${slug || 'target'}-${fnv1a(targetName)}`;
}

function keyword(targetName: string): string {
  return targetName.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, CHATBOT_LIMITS.keyword) || 'target';
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}
