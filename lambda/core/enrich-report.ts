// Adds the workloads behind source IPs to a finished report: a `workload` on each bySourceIp group and
// each finding subject that was resolved, the label after the IP in finding messages (what a person
// reads in the summary), and a `workloads` map. Fields are only added; an unresolved IP stays an IP.
import type { AuditReport, ReportFinding, SourceGroup } from './report.js';
import { isIpv4, isIpv6, MAX_LOOKUPS, type Workload } from './workloads.js';

/**
 * The source IPs worth looking up, most useful first: the subjects of findings, the sources they name,
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

/** The report with the resolved workloads added; the same report when none of its IPs was resolved. */
export function enrichReport(report: AuditReport, workloads: ReadonlyMap<string, Workload>): AuditReport {
  const inReport = new Set(sourcesToResolve(report, Number.POSITIVE_INFINITY));
  const byIp = new Map([...workloads].filter(([ip]) => inReport.has(ip)));
  if (byIp.size === 0) return report;
  const bySourceIp = report.groups.bySourceIp.map((group): SourceGroup => {
    const workload = byIp.get(group.key);
    return workload === undefined ? group : { ...group, workload };
  });
  const findings = report.findings.map((finding): ReportFinding => {
    const ip = finding.subject.sourceIp;
    const workload = ip === undefined ? undefined : byIp.get(ip);
    const message = annotate(finding.message, byIp);
    if (workload === undefined && message === finding.message) return finding;
    return {
      ...finding,
      ...(workload === undefined ? {} : { subject: { ...finding.subject, workload: workload.label } }),
      message,
    };
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
