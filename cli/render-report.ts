// The report as a person reads it in a terminal: verdict first, then where the connections come from,
// workloads (the services behind them) before addresses, since a fleet's leak is one row there.
import type { AuditReport } from '../lambda/core/report.js';
import type { ClientGroup } from '../lambda/core/client-groups.js';
import type { Finding } from '../lambda/core/findings/index.js';
import { originList } from '../lambda/core/findings/origin-text.js';
import type { WorkloadGroup } from '../lambda/core/workload-groups.js';
import type { IdentifiedBy } from '../lambda/core/workload-identity.js';
import { palette, safeCell, shortDuration, table, type Column, type Palette } from './text-table.js';

const GROUP_ROWS = 10;
const IDLE_ROWS = 10;
/** Findings printed in full; the rest are counted (the JSON and HTML reports keep up to MAX_FINDINGS). */
const FINDING_ROWS = 50;
const WORKLOAD_LABEL_CHARS = 40;

/** IDENTIFIED_BY_TEXT in a table cell's width: the page and the findings carry the full words. */
const IDENTIFIED_BY_SHORT: Readonly<Record<IdentifiedBy, string>> = {
  'aws-resource': 'AWS resource',
  'client-name': 'client name',
  'acl-user': 'ACL user',
  'client-library': 'client library',
  'source-address': 'address',
  'address-fleet': 'address fleet',
};

export function renderReport(report: AuditReport, color: boolean): string {
  const p = palette(color);
  const out: string[] = [];
  const s = report.summary;
  out.push(p.bold(`redis-leak-audit: ${safeCell(report.target, 200)}`) + p.dim(`  (${report.generatedAt}, ${report.status})`));
  for (const node of report.nodes) {
    // Every part of this line comes from the server (or its CLUSTER NODES announcement).
    const version = node.version === null ? '' : ` ${safeCell(node.serverName, 40)} ${safeCell(node.version, 40)}`;
    out.push(p.dim(`  node ${safeCell(node.address, 120)}${version}${node.role ? `, ${safeCell(node.role, 40)}` : ''}`));
    for (const error of node.errors) out.push(p.yellow(`  ! ${safeCell(error, 300)}`));
  }
  for (const warning of report.history.warnings) out.push(p.yellow(`  ! state: ${warning}`));
  out.push('');
  if (report.status === 'failed') {
    // Nothing was read: no summary or "no findings" line that could be taken for a clean bill of health.
    if (report.findings.length > 0) out.push(...renderFindings(report, p));
    out.push(p.red('The target could not be audited; see the error above.'));
    return out.join('\n') + '\n';
  }
  out.push(p.bold('Summary'));
  const util = s.utilization === null ? 'unknown' : `${Math.round(s.utilization * 100)}%`;
  // Idle and in-MULTI counts come from CLIENT LIST alone: without it they are unknown, not zero.
  const listed = report.auditor.method !== 'info-only';
  out.push(`  connections ${fmt(s.connectedClients)} of maxclients ${fmt(s.maxClients)} (${util})`
    + `   idle ${listed ? s.idleClients : '?'}   pub/sub ${fmt(s.pubsubClients)}   blocked ${fmt(s.blockedClients)}   in MULTI ${listed ? s.inTransactionClients : '?'}`);
  const churn = s.newConnectionsPerMinute === null ? 'needs --samples 2+ or --state-file' : `${s.newConnectionsPerMinute}/min`;
  const rejected = s.rejectedSinceLastAudit === null ? '' : ` (${s.rejectedSinceLastAudit} since last sample)`;
  const leakConnections = s.suspectedLeaks > 0 ? ` (${s.suspectedLeakConnections} connections)` : '';
  out.push(`  new connections ${churn}   rejected ${fmt(s.rejectedConnections)}${rejected}   suspected leaks ${s.suspectedLeaks}${leakConnections}`);
  const w = s.largestWorkload;
  if (w !== null) {
    out.push(`  largest workload ${safeCell(w.label, WORKLOAD_LABEL_CHARS)} ${w.connections} conns on ${w.members} address${w.members === 1 ? '' : 'es'}`
      + ` (${IDENTIFIED_BY_SHORT[w.identifiedBy] ?? safeCell(w.identifiedBy, 20)})`);
  }
  out.push('');
  out.push(...renderServiceMetrics(report, p), ...renderLimitations(report, p));
  out.push(...renderFindings(report, p));
  // A source resolved to its workload (Lambda) reads `10.0.1.23 (Lambda function orders-api)`.
  out.push(...renderWorkloads(report.groups.byWorkload, report.groupsOmitted.byWorkload, p));
  const sources = report.groups.bySourceIp.map((g) => (g.workload ? { ...g, key: `${g.key} (${g.workload.label})` } : g));
  out.push(...renderGroups('Sources (by client IP)', sources, report.groupsOmitted.bySourceIp, p));
  out.push(...renderGroups('By client name', report.groups.byName, report.groupsOmitted.byName, p));
  out.push(...renderGroups('By ACL user', report.groups.byUser, report.groupsOmitted.byUser, p));
  out.push(...renderGroups('By client library', report.groups.byLibrary, report.groupsOmitted.byLibrary, p));
  if (report.topIdle.length > 0) {
    out.push(p.bold('Most idle connections'));
    out.push(table(
      [{ header: 'id', align: 'right' }, { header: 'source' }, { header: 'name', max: 30 }, { header: 'age s', align: 'right' },
        { header: 'idle s', align: 'right' }, { header: 'flags' }, { header: 'last cmd', max: 24 }],
      report.topIdle.slice(0, IDLE_ROWS).map((c) => [c.id, portOf(c.sourceIp, c.sourcePort), c.name, c.ageSeconds, c.idleSeconds, c.flags, c.cmd]),
    ));
    out.push('');
  }
  const a = report.auditor;
  out.push(p.dim(`auditor: ${a.method}, ${a.connectionsOpened} connection(s), ${a.commandsSent} commands, ${a.bytesRead} bytes read, `
    + `${a.durationMs} ms; its own connection excluded`));
  if (a.clientListCommands > 0) out.push(p.dim(`listing: ${listingLine(a)}`));
  return out.join('\n') + '\n';
}

/** What listing the clients cost the server, for the terminal's last line. */
function listingLine(a: AuditReport['auditor']): string {
  const l = a.listing;
  const ids = l.idsLookedUp > 0 ? `${l.idsLookedUp.toLocaleString('en-US')} ids looked up, ` : '';
  return `${a.clientListCommands.toLocaleString('en-US')} CLIENT LIST command(s), ${ids}${l.clientsListed.toLocaleString('en-US')} clients listed; `
    + `about ${l.estimatedServerMs} ms of server time in all, the longest command about ${l.estimatedLongestMs} ms (budget ${l.maxStallMs} ms`
    + `${l.speedFactor > 1 ? `; the server ran ${l.speedFactor}x slower than the model, batches sized for it` : ''}); ${l.wallMs} ms of wall time`;
}

function renderFindings(report: AuditReport, p: Palette): string[] {
  if (report.findings.length === 0) return [p.green('No findings: no connection leak suspected.'), ''];
  const total = report.findings.length + (report.findingsOmitted ?? 0);
  const out = [p.bold(`Findings (${total})`)];
  const seenFixes = new Set<string>();
  for (const f of report.findings.slice(0, FINDING_ROWS)) {
    const tag = f.severity === 'critical' ? p.red('CRITICAL') : f.severity === 'warning' ? p.yellow('WARNING ') : p.cyan('info    ');
    out.push(`  ${tag} ${p.bold(f.kind)}  ${safeCell(f.message, 400)}`);
    const addresses = fleetAddresses(f);
    if (addresses !== null) out.push(p.dim(`           ${addresses}`));
    const origins = f.leakingOrigins ?? [];
    if (origins.length > 0) out.push(p.dim(`           leaking at: ${originList(origins, (t) => safeCell(t, 100))}`));
    // A fix already shown (many findings of one kind) is not repeated.
    out.push(p.dim(`           fix: ${seenFixes.has(f.recommendation) ? 'as above' : f.recommendation}`));
    seenFixes.add(f.recommendation);
  }
  if (total > FINDING_ROWS) out.push(p.dim(`  ... and ${total - Math.min(FINDING_ROWS, report.findings.length)} more findings in the report (--json, --html)`));
  out.push('');
  return out;
}

function renderServiceMetrics(report: AuditReport, p: Palette): string[] {
  const m = report.serviceMetrics;
  if (m === undefined) return [];
  const out = [p.bold(`Service metrics (CloudWatch ${m.namespace}, clusterId ${safeCell(m.dimensions.clusterId, 80)}, last ${m.windowMinutes} min)`)];
  const curr = m.currConnections;
  const fresh = m.newConnectionsPerMinute;
  out.push(curr === null ? '  open connections: no data'
    : `  open connections ${curr.latest} (from ${curr.first}, min ${curr.min}, max ${curr.max}, ${curr.datapoints} minutes)`);
  out.push(fresh === null ? '  new connections per minute: no data'
    : `  new connections per minute: average ${fresh.average}, peak ${fresh.max}, latest ${fresh.latest} (${fresh.datapoints} minutes)`);
  if (m.error !== undefined) out.push(p.yellow(`  ! ${safeCell(m.error, 300)}`));
  out.push('');
  return out;
}

function renderLimitations(report: AuditReport, p: Palette): string[] {
  const limitations = report.limitations ?? [];
  if (limitations.length === 0) return [];
  return [p.bold('Not visible in this audit'), ...limitations.map((l) => `  - ${safeCell(l, 400)}`), ''];
}

/** A fleet's largest addresses, under its finding: `addresses: 10.0.1.7 (14), 10.0.1.9 (13), ... of 30`. */
function fleetAddresses(f: Finding): string | null {
  const related = f.relatedSources ?? [];
  const members = f.evidence.members ?? 0;
  if (related.length === 0 || members <= 1) return null;
  const listed = related.map((r) => `${safeCell(r.sourceIp, 60)} (${r.connections})`).join(', ');
  return `addresses: ${listed}${members > related.length ? `, ... of ${members}` : ''}`;
}

const RIGHT = { align: 'right' } as const;
/** The columns every group table shares after its key (and a workload's identification and size). */
const COUNT_COLUMNS: readonly Column[] = [{ header: 'conns', ...RIGHT }, { header: 'idle', ...RIGHT }];
const STATE_COLUMNS: readonly Column[] = [{ header: 'pubsub', ...RIGHT }, { header: 'blocked', ...RIGHT }, { header: 'multi', ...RIGHT },
  { header: 'oldest', ...RIGHT }, { header: '<1m', ...RIGHT }, { header: '1m-1h', ...RIGHT }, { header: '1h-1d', ...RIGHT }, { header: '>1d', ...RIGHT }];

function stateCells(g: ClientGroup): unknown[] {
  return [g.pubsub, g.blocked, g.inTransaction, shortDuration(g.oldestAgeSeconds),
    g.ageBuckets['<1m'], g.ageBuckets['1m-1h'], g.ageBuckets['1h-1d'], g.ageBuckets['>1d']];
}

function titleOf(title: string, shown: number, omitted: number, p: Palette): string {
  return p.bold(title) + (shown > GROUP_ROWS || omitted > 0 ? p.dim(` (top ${Math.min(GROUP_ROWS, shown)} of ${shown + omitted})`) : '');
}

function renderWorkloads(groups: readonly WorkloadGroup[], omitted: number, p: Palette): string[] {
  if (groups.length === 0) return [];
  return [
    titleOf('Workloads', groups.length, omitted, p),
    table(
      [{ header: 'workload', max: WORKLOAD_LABEL_CHARS }, { header: 'identified by' }, { header: 'addrs', ...RIGHT }, ...COUNT_COLUMNS,
        { header: 'used once', ...RIGHT }, ...STATE_COLUMNS],
      groups.slice(0, GROUP_ROWS).map((g) => [g.label, IDENTIFIED_BY_SHORT[g.identifiedBy] ?? g.identifiedBy, g.members,
        g.connections, g.idle, g.usedOnceIdle, ...stateCells(g)]),
    ),
    '',
  ];
}

function renderGroups(title: string, groups: readonly ClientGroup[], omitted: number, p: Palette): string[] {
  if (groups.length === 0) return [];
  return [
    titleOf(title, groups.length, omitted, p),
    table(
      [{ header: 'key', max: 60 }, ...COUNT_COLUMNS, ...STATE_COLUMNS],
      groups.slice(0, GROUP_ROWS).map((g) => [g.key, g.connections, g.idle, ...stateCells(g)]),
    ),
    '',
  ];
}

function fmt(value: number | null): string {
  return value === null ? '?' : String(value);
}

function portOf(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
