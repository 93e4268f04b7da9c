// The server side and the audit itself: the nodes with their errors, the auditor's own footprint,
// the thresholds used and where the history came from.
import { facts, moreNote, section, table, type PageContext, type Row } from './blocks.js';
import { bytes, count, duration, percent, plural } from './format.js';
import { clip, html, type Html } from './markup.js';

export const NODES_SHOWN = 50;
const ERRORS_PER_NODE = 5;

export function nodesSection(context: PageContext): Html {
  const { report } = context;
  const rows: Row[] = report.nodes.slice(0, NODES_SHOWN).map((n) => {
    const errors = n.errors.slice(0, ERRORS_PER_NODE);
    const more = n.errors.length - errors.length;
    return {
      cls: n.errors.length > 0 ? 'flag' : undefined,
      cells: [
        html`<span class="mono nw">${clip(n.address, 120)}</span>`,
        clip(n.role ?? 'unknown', 20),
        n.version === null ? 'unknown' : `${clip(n.serverName, 20)} ${clip(n.version, 20)}`,
        duration(n.uptimeSeconds),
        n.connectedClients === null ? 'unknown' : `${count(n.connectedClients)} / ${count(n.maxClients)}`,
        n.clientListAvailable ? `yes (${plural(n.samples, 'sample')})` : html`<span class="err">no</span>`,
        errors.length === 0
          ? html`<span class="muted">none</span>`
          : html`${errors.map((e, i) => html`${i > 0 ? html`<br>` : ''}<span class="err mono">${clip(e, 300)}</span>`)}${more > 0 ? html`<br><span class="muted">and ${count(more)} more</span>` : ''}${n.malformedClientListLines > 0 ? html`<br><span class="muted">${count(n.malformedClientListLines)} malformed CLIENT LIST lines</span>` : ''}`,
      ],
    };
  });
  const body = report.nodes.length === 0
    ? html`<p class="muted">No node was reached.</p>`
    : html`${table([
      { label: 'Node' }, { label: 'Role' }, { label: 'Server' }, { label: 'Uptime', numeric: true }, { label: 'Clients / max', numeric: true },
      { label: 'Client list' }, { label: 'Errors' },
    ], rows)}${moreNote(context, 'nodes', Math.min(NODES_SHOWN, report.nodes.length), report.nodes.length)}`;
  return section('nodes', `Nodes (${count(report.nodes.length)})`, body);
}

const METHODS: Readonly<Record<string, string>> = {
  'client-list': 'CLIENT LIST',
  'client-list-by-id': 'CLIENT LIST ID, in bounded batches',
  'info-only': 'INFO only (no client list)',
};

export function auditSection(context: PageContext): Html {
  const { report } = context;
  const a = report.auditor;
  const p = report.policy;
  const h = report.history;
  const footprint = facts([
    ['Method', METHODS[a.method] ?? clip(a.method, 40)],
    ['Connections opened', count(a.connectionsOpened)],
    ['Commands sent', `${count(a.commandsSent)} (${count(a.clientListCommands)} CLIENT LIST)`],
    ['Bytes read', bytes(a.bytesRead)],
    ['Longest CLIENT LIST', `${count(a.longestClientListMs)} ms round trip; about ${count(a.listing.estimatedLongestMs)} ms of server time (budget ${count(a.listing.maxStallMs)} ms)`],
    ['Listing in all', `${count(a.listing.idsLookedUp)} ids looked up, ${count(a.listing.clientsListed)} clients listed, about ${count(a.listing.estimatedServerMs)} ms of server time, ${count(a.listing.wallMs)} ms of wall time`],
    ['Waiting on replies', `${count(a.roundTripMs)} ms of ${count(a.durationMs)} ms`],
    ['Left out of the analysis', `${count(a.excludedConnections)} own connection(s), ${count(a.excludedReplicationLinks)} replication link(s)`],
  ]);
  const policy = facts([
    ['Idle at', duration(p.idleSeconds)],
    ['Smallest suspect source', `${count(p.minGroupConnections)} connections`],
    ['Churn threshold', `${count(p.churnPerMinute)}/min`],
    ['maxclients warning / critical', `${percent(p.maxclientsWarn)} / ${percent(p.maxclientsCritical)}`],
    ['History', h.source === 'none' ? `none (${plural(h.samplesThisRun, 'sample')} this run)` : `${count(h.samplesThisRun)} samples this run, ${count(h.samplesInState)} from earlier runs, over ${duration(h.windowSeconds)}`],
    ...(h.baselineResets > 0 ? [['Baseline resets', `${count(h.baselineResets)} (restart or CONFIG RESETSTAT)`] as const] : []),
  ]);
  const warnings = h.warnings.slice(0, 5).map((w) => html`<p class="err">${clip(w, 300)}</p>`);
  return section('audit', 'The audit itself', html`<div class="grid2"><div><h3>Auditor footprint</h3>${footprint}</div><div><h3>Thresholds and history</h3>${policy}${warnings}</div></div>`);
}
