// The workloads: the services behind the connections, each summed over its addresses and nodes, largest
// first, flagged with their findings. A fleet leaking a few connections per pod is one row here and
// thirty small rows in the sources table, so this table comes first. Also what a finding card says about
// its workload: how it was identified and, for a fleet, its largest addresses.
import type { Finding } from '../findings/index.js';
import type { WorkloadGroup } from '../workload-groups.js';
import { IDENTIFIED_BY_TEXT, type IdentifiedBy } from '../workload-identity.js';
import { findingsBy, flagClass, moreNote, section, table, type PageContext, type Row } from './blocks.js';
import { ageBar, barLegend, idleCell } from './connections.js';
import { count, duration, plural } from './format.js';
import { clip, html, type Fragment, type Html } from './markup.js';

export const WORKLOADS_SHOWN = 20;
const LABEL_MAX = 120;

/** The words for how a workload was identified; an unknown value (a newer report) is shown as it is, escaped. */
export function identifiedByText(how: IdentifiedBy | undefined): string {
  if (how === undefined) return '';
  return Object.prototype.hasOwnProperty.call(IDENTIFIED_BY_TEXT, how) ? IDENTIFIED_BY_TEXT[how] : clip(String(how), 40);
}

type Members = ReadonlyArray<{ readonly sourceIp: string; readonly connections: number }>;

/** `10.0.1.7 (14), 10.0.1.9 (13)`: addresses with their connections. */
function addressList(members: Members, shown: number): Html {
  return html`${members.slice(0, shown).map((m, i) => html`${i > 0 ? ', ' : ''}<span class="mono nw">${clip(m.sourceIp, 80)}</span> (${count(m.connections)})`)}`;
}

/** How many addresses, and the largest when there are several (the finding card lists five). */
function addressesCell(g: WorkloadGroup): Fragment {
  if (g.members <= 1) return count(g.members);
  return html`${count(g.members)}<br><span class="muted small">largest ${addressList(g.largestMembers, 1)}</span>`;
}

export function workloadsSection(context: PageContext): Html | '' {
  const { report } = context;
  const groups = report.groups.byWorkload;
  if (groups.length === 0) return '';
  const flags = findingsBy(report, (f) => f.subject.workload);
  const rows: Row[] = groups.slice(0, WORKLOADS_SHOWN).map((g) => {
    const flagged = flags.get(g.label) ?? [];
    return {
      cls: flagClass(flagged),
      cells: [
        html`<span class="mono">${clip(g.label, LABEL_MAX)}</span>${flagged.slice(0, 4).map((f) => html`<br><span class="badge s-${f.severity}">${f.kind}</span>`)}`,
        html`<span class="muted">${identifiedByText(g.identifiedBy)}</span>`,
        addressesCell(g), count(g.connections), idleCell(g), count(g.usedOnceIdle), count(g.pubsub), count(g.blocked),
        count(g.inTransaction), duration(g.oldestAgeSeconds), ageBar(g),
      ],
    };
  });
  const list = table([
    { label: 'Workload' }, { label: 'Identified by' }, { label: 'Addresses', cls: 'addrs' }, { label: 'Conns', numeric: true },
    { label: 'Idle', cls: 'bars' }, { label: 'Used once, idle', numeric: true }, { label: 'Pub/sub', numeric: true },
    { label: 'Blocked', numeric: true }, { label: 'In MULTI', numeric: true }, { label: 'Oldest', numeric: true }, { label: 'Age spread', cls: 'bars' },
  ], rows);
  const intro = html`<p class="muted">The service behind the connections, summed over its addresses and nodes: its AWS resource where the address was resolved, else its client name, ACL user, client library or address.</p>`;
  return section('workloads', 'Workloads', [intro, list, barLegend(context), moreNote(context, 'workloads', Math.min(WORKLOADS_SHOWN, groups.length), groups.length, report.groupsOmitted.byWorkload)]);
}

/** Under a finding about a fleet: its largest addresses and how many it has; null for one address. */
export function fleetAddresses(f: Finding): Html | null {
  const related = f.relatedSources ?? [];
  const members = f.evidence.members ?? 0;
  if (related.length === 0 || members <= 1) return null;
  const rest = members - related.length;
  return html`<p class="muted">Largest addresses (connections): ${addressList(related, related.length)}${rest > 0 ? html`, and ${plural(rest, 'more address', 'more addresses')}` : ''}; ${plural(members, 'address', 'addresses')} in all.</p>`;
}

/** Under a finding whose workload's connection names carry origins: where in the code its connections are left open. */
export function leakingOriginsNote(f: Finding): Html | '' {
  const origins = f.leakingOrigins ?? [];
  if (origins.length === 0) return '';
  const more = (f.evidence.leakingOrigins ?? origins.length) - origins.length;
  return html`<p>Leaking at (connections left open / all from there): ${origins.map((o, i) => html`${i > 0 ? ', ' : ''}${o.hashed ? 'hashed origin ' : ''}<code>${clip(o.origin, 120)}</code> (${count(o.leakingConnections)} / ${count(o.connections)})`)}${more > 0 ? html`, and ${plural(more, 'more origin')}` : ''}.</p>`;
}
