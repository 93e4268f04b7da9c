// Whether a run sends an SNS summary (docs/design.md, Contract: AWS: "only when findings appear or escalate, no
// minute-by-minute spam"). The memory of what was last sent lives in the audit state's free
// `extensions.notifications` record, so the decision is a pure function of report + state + clock.
import { SEVERITIES, severityRank, type Finding, type Severity } from './findings/index.js';
import type { AuditReport } from './report.js';
import type { AuditState } from './state.js';

export const NOTIFY_EXTENSION_KEY = 'notifications';

export interface NotifyState {
  /** When the last summary was sent (epoch ms), null before the first. */
  lastSentAtMs: number | null;
  /** What the last summary told people about, less the findings that have gone since: key -> severity sent. */
  fingerprint: Record<string, Severity>;
  consecutiveFailures: number;
  /** The "cannot audit" message of the current failure streak has gone out. */
  failureNotified: boolean;
}

export type NotifyReason = 'reclaimed' | 'new-finding' | 'escalated' | 'reminder' | 'unreachable' | 'none';

export interface NotificationPlan {
  readonly send: boolean;
  readonly reason: NotifyReason;
  /** The state to save, whether or not the summary is sent. */
  readonly next: NotifyState;
  /** Keys of findings that are new or more severe than when last sent: the text marks them. */
  readonly newKeys: string[];
}

export interface PlanInput {
  readonly report: AuditReport;
  readonly previous: NotifyState;
  readonly nowMs: number;
  readonly cooldownMinutes: number;
  /** Failed runs in a row before the "cannot audit" message (1 = the first failure). */
  readonly failureThreshold: number;
}

/** Client names come from applications: a long one must not bloat the state object. */
const MAX_KEY_PART = 200;

export function emptyNotifyState(): NotifyState {
  return { lastSentAtMs: null, fingerprint: {}, consecutiveFailures: 0, failureNotified: false };
}

/**
 * `kind|sourceIp|clientName|user|node[|workload]`; `%` and `|` inside values are escaped so keys split
 * unambiguously. A workload's leak keeps one key whether it shows as idle connections or as growth (one
 * leak, one finding): only a higher severity makes it news again.
 */
export function findingKey(finding: Finding): string {
  const { workload, sourceIp, clientName, user, node } = finding.subject;
  const part = (value: string | undefined) =>
    Array.from(value ?? '').slice(0, MAX_KEY_PART).join('').replace(/%/g, '%25').replace(/\|/g, '%7C');
  // A workload's leak is one key whatever its addresses: a fleet whose pods come and go is not "new" each run.
  // The address fleet's label counts its addresses, so it is keyed by what it is instead.
  const who = finding.subject.identifiedBy === 'address-fleet' ? 'address-fleet' : workload;
  const kind = finding.kind === 'idle-connections' || finding.kind === 'connection-growth' ? 'leak' : finding.kind;
  const key = [kind, part(finding.subject.identifiedBy === undefined ? sourceIp : undefined), part(clientName), part(user), part(node)];
  return who === undefined ? key.join('|') : [...key, part(who)].join('|');
}

/** Findings at warning or above, key -> the highest severity seen for that key. */
export function fingerprintOf(findings: readonly Finding[]): Record<string, Severity> {
  const result: Record<string, Severity> = {};
  for (const finding of findings) {
    if (finding.severity === 'info') continue;
    const key = findingKey(finding);
    const known = result[key];
    if (known === undefined || severityRank(finding.severity) > severityRank(known)) result[key] = finding.severity;
  }
  return result;
}

export function planNotification(input: PlanInput): NotificationPlan {
  const { report, previous, nowMs } = input;
  const cooldownMs = Math.max(0, input.cooldownMinutes) * 60_000;
  const failureThreshold = Math.max(1, Math.floor(input.failureThreshold));
  const failed = report.status === 'failed';
  const current = fingerprintOf(report.findings);

  const newKeys: string[] = [];
  let appeared = false;
  for (const [key, severity] of Object.entries(current)) {
    const sent = previous.fingerprint[key];
    if (sent === undefined) appeared = true;
    if (sent === undefined || severityRank(severity) > severityRank(sent)) newKeys.push(key);
  }

  // What was sent and is still there keeps the severity it was sent with, so a finding that dips and
  // comes back to the same level stays quiet; what has gone is forgotten and notifies again on return.
  // A failed run saw nothing: findings it could not look at have not gone. Same for the nodes of a
  // partial run that could not be read.
  const unseenNodes = new Set(report.nodes.filter((n) => n.samples === 0).map((n) => n.address));
  const kept: Record<string, Severity> = {};
  for (const [key, severity] of Object.entries(previous.fingerprint)) {
    if (Object.hasOwn(current, key) || failed || unseenNodes.has(nodeOfKey(key))) kept[key] = severity;
  }

  const consecutiveFailures = failed ? previous.consecutiveFailures + 1 : 0;
  const unreachable = failed && consecutiveFailures >= failureThreshold && !previous.failureNotified;
  const sinceLastSend = previous.lastSentAtMs === null ? Infinity : nowMs - previous.lastSentAtMs;
  const reminder = Object.keys(current).length > 0 && sinceLastSend >= cooldownMs;

  // The break-glass closed connections: always told, cooldown or not (someone must know, and fix the leak).
  const reclaimed = report.reclaim?.outcome === 'reclaimed' && report.reclaim.killed > 0;
  const reason: NotifyReason = reclaimed ? 'reclaimed'
    : appeared ? 'new-finding'
      : newKeys.length > 0 ? 'escalated'
        : unreachable ? 'unreachable'
          : reminder ? 'reminder'
            : 'none';
  const send = reason !== 'none';
  const next: NotifyState = {
    lastSentAtMs: send ? nowMs : previous.lastSentAtMs,
    fingerprint: send ? { ...kept, ...current } : kept,
    consecutiveFailures,
    // Any summary sent during a streak past the threshold already told people the audit is failing.
    failureNotified: failed && (previous.failureNotified || (send && consecutiveFailures >= failureThreshold)),
  };
  return { send, reason, next, newKeys };
}

export function readNotifyState(state: AuditState | null): NotifyState {
  const raw = state?.extensions?.[NOTIFY_EXTENSION_KEY];
  if (!isRecord(raw)) return emptyNotifyState();
  const fingerprint: Record<string, Severity> = {};
  if (isRecord(raw.fingerprint)) {
    for (const [key, value] of Object.entries(raw.fingerprint)) {
      // Only keys of our own shape: a foreign or damaged entry is dropped, never trusted.
      if (key.includes('|') && isSeverity(value) && value !== 'info') fingerprint[key] = value;
    }
  }
  const failures = raw.consecutiveFailures;
  return {
    lastSentAtMs: typeof raw.lastSentAtMs === 'number' && Number.isFinite(raw.lastSentAtMs) ? raw.lastSentAtMs : null,
    fingerprint,
    consecutiveFailures: typeof failures === 'number' && Number.isInteger(failures) && failures > 0 ? failures : 0,
    failureNotified: raw.failureNotified === true,
  };
}

export function withNotifyState(state: AuditState, notify: NotifyState): AuditState {
  return { ...state, extensions: { ...state.extensions, [NOTIFY_EXTENSION_KEY]: notify } };
}

function nodeOfKey(key: string): string {
  const last = key.slice(key.lastIndexOf('|') + 1);
  return last.replace(/%7C/g, '|').replace(/%25/g, '%');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
