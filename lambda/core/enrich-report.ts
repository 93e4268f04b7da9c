// Which source IPs the Lambda looks up before the assessment, and how the answers are shown in the
// report. Fields are only added; an unresolved IP stays an IP.
import type { AuditReport, ReportFinding, SourceGroup } from './report.js';
import { scanClientList } from './parse-client-list.js';
import type { RawNodeSample } from './model.js';
import { isIpv4, isIpv6, MAX_LOOKUPS, type Workload } from './workloads.js';

/**
 * The source IPs the Lambda looks up before the assessment, so that clients are grouped by the resource
 * they run in: the addresses of the last sample's clients (every node), most connections first, IP
 * addresses only (never a unix socket), at most `limit`. One more pass over the client list text, kept
 * to a count per address.
 */
export function addressesToResolve(lastSample: readonly RawNodeSample[], limit = MAX_LOOKUPS): string[] {
  const counts = new Map<string, number>();
  for (const raw of lastSample) {
    if (raw.clientListText === null) continue;
    scanClientList(raw.clientListText, (client) => counts.set(client.sourceIp, (counts.get(client.sourceIp) ?? 0) + 1));
  }
  return [...counts]
    .filter(([ip]) => isIpv4(ip) || isIpv6(ip))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([ip]) => ip);
}

/**
 * The source IPs of a finished report, most useful first: the subjects of findings, the sources they name,
 * then the largest sources; IP addresses only (never a unix socket); at most `limit`. Which addresses
 * can belong to a VPC (not loopback, not link-local) is the resolver's call: `lookupAddressOf`.
 */
export function sourcesToResolve(report: AuditReport, limit = MAX_LOOKUPS): string[] {
  const ordered = [
    ...report.findings.map((f) => f.subject.sourceIp),
    ...report.findings.flatMap((f) => (f.relatedSources ?? []).map((s) => s.sourceIp)),
    ...report.groups.bySourceIp.map((g) => g.key),
  ];
  const out = new Set<string>();
  for (const ip of ordered) {
    if (out.size >= limit) break;
    if (ip !== undefined && (isIpv4(ip) || isIpv6(ip))) out.add(ip);
  }
  return [...out];
}

/**
 * The report with the AWS resources behind its source IPs shown: a `workload` on each resolved bySourceIp
 * group, the resource after each resolved address in finding messages (`at 10.0.1.23 (EC2 instance web-1)`),
 * and the `workloads` map. The findings were already grouped by these resources (workload-identity.ts);
 * this only adds what a person reads. The same report when none of its IPs was resolved.
 */
export function withResolvedSources(report: AuditReport, workloads: ReadonlyMap<string, Workload>): AuditReport {
  const inReport = new Set(sourcesToResolve(report, Number.POSITIVE_INFINITY));
  const byIp = new Map([...workloads].filter(([ip]) => inReport.has(ip)));
  if (byIp.size === 0) return report;
  const bySourceIp = report.groups.bySourceIp.map((group): SourceGroup => {
    const workload = byIp.get(group.key);
    return workload === undefined ? group : { ...group, workload };
  });
  const findings = report.findings.map((finding): ReportFinding => {
    // A finding about the resource itself names it already.
    if (finding.subject.identifiedBy === 'aws-resource') return finding;
    const message = annotate(finding.message, byIp);
    return message === finding.message ? finding : { ...finding, message };
  });
  return {
    ...report,
    groups: { ...report.groups, bySourceIp },
    findings,
    workloads: Object.fromEntries(byIp),
  };
}

/** `10.0.1.23 holds ...` becomes `10.0.1.23 (Lambda function orders-api) holds ...`, for each resolved IP. */
export function annotate(message: string, workloads: ReadonlyMap<string, Workload>): string {
  let out = message;
  for (const [ip, workload] of workloads) {
    const tagged = `${ip} (${workload.label})`;
    if (out.includes(tagged)) continue;
    // Whole addresses only: 10.0.0.1 must not match inside 10.0.0.12, nor fd00::1 inside fd00::12.
    const pattern = new RegExp(`(?<![\\w.:])${escapeRegExp(ip)}(?![\\w]|[.:][\\w])`, 'g');
    out = out.replace(pattern, () => tagged);
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
