// Parses `CLUSTER NODES` into the cluster's members, and tells from INFO whether a node is in cluster mode.
//
// Format (clusterGenNodeDescription in cluster.c; https://redis.io/docs/latest/commands/cluster-nodes/), one
// line per node: `<id> <ip:port@cport[,hostname[,aux=value...]]> <flags> <master> <ping-sent> <pong-recv>
// <config-epoch> <link-state> <slot>...`. Before Redis 4.0 there is no `@cport`; the hostname comes with 7.0,
// the `aux=value` fields (shard-id, tls-port, ...) with 7.2. IPv6 addresses are printed without brackets, so
// the port follows the LAST colon. A node whose address is not known yet prints `:port@cport` (or `:0@0`).
import { MAX_CLUSTER_NODES_LINES } from './cluster-rules.js';
import { parseInfo, readCounters } from './parse-info.js';

export interface ClusterNode {
  readonly id: string;
  /** Announced IP, without brackets; empty when the cluster does not know it (noaddr, early handshake). */
  readonly ip: string;
  readonly port: number;
  /** Cluster bus port; null before Redis 4.0 (no `@cport`). */
  readonly busPort: number | null;
  /** Announced host name (`cluster-announce-hostname`, Redis 7+); null when none. */
  readonly hostname: string | null;
  /** `host:port` as Redis prints addresses (IPv6 in brackets); empty when the IP is unknown. */
  readonly address: string;
  readonly flags: readonly string[];
  readonly role: 'master' | 'slave' | null;
  /** The node that answered CLUSTER NODES. */
  readonly myself: boolean;
  /** The primary's id for a replica; null for a primary (`-`). */
  readonly masterId: string | null;
  /** `connected` or `disconnected`: the cluster bus link from the answering node. */
  readonly linkState: string;
  /** Why the auditor must not try this node, or null when it can: flagged fail, noaddr, handshake, no address. */
  readonly skipReason: string | null;
}

export interface ClusterNodesParse {
  readonly nodes: readonly ClusterNode[];
  readonly malformedLines: number;
  /** The first few malformed lines (truncated), for the report's node errors. */
  readonly malformedExamples: readonly string[];
  /** Non-empty lines after the first `maxLines`: counted, never parsed. */
  readonly unreadLines: number;
}

const MAX_EXAMPLES = 3;

/**
 * Reads at most `maxLines` non-empty lines: a seed may announce any number of nodes, the reply limit bounds
 * only the bytes. The rest is counted without being split into strings.
 */
export function parseClusterNodes(text: string, maxLines = MAX_CLUSTER_NODES_LINES): ClusterNodesParse {
  const nodes: ClusterNode[] = [];
  const malformedExamples: string[] = [];
  let malformedLines = 0;
  let read = 0;
  let unreadLines = 0;
  const all = String(text);
  for (let start = 0; start < all.length;) {
    const newline = all.indexOf('\n', start);
    const end = newline < 0 ? all.length : newline;
    const from = start;
    start = end + 1;
    if (read >= maxLines) {
      if (/\S/.test(all.slice(from, end))) unreadLines += 1;
      continue;
    }
    const line = all.slice(from, end).trim();
    if (line === '') continue;
    read += 1;
    const node = parseLine(line);
    if (node !== null) {
      nodes.push(node);
      continue;
    }
    malformedLines += 1;
    if (malformedExamples.length < MAX_EXAMPLES) malformedExamples.push(line.slice(0, 120));
  }
  return { nodes, malformedLines, malformedExamples, unreadLines };
}

/** True when INFO says the server runs in cluster mode (`redis_mode:cluster`, Valkey's `server_mode`, or `cluster_enabled:1`). */
export function isClusterMode(infoText: string): boolean {
  const info = parseInfo(infoText);
  return readCounters(info).mode === 'cluster' || info.sections.cluster?.cluster_enabled === '1';
}

function parseLine(line: string): ClusterNode | null {
  const fields = line.split(/\s+/);
  const [id, addressField, flagField, master, , , , linkState] = fields;
  if (id === undefined || !/^[0-9a-f]{40}$/i.test(id) || addressField === undefined || flagField === undefined
    || master === undefined || linkState === undefined) {
    return null;
  }
  const endpoint = parseEndpoint(addressField);
  if (endpoint === null) return null;
  const flags = flagField === 'noflags' ? [] : flagField.split(',').filter((f) => f !== '');
  const role = flags.includes('master') ? 'master' : flags.includes('slave') ? 'slave' : null;
  const address = endpoint.ip === '' ? '' : formatAddress(endpoint.ip, endpoint.port);
  return {
    id,
    ...endpoint,
    address,
    flags,
    role,
    myself: flags.includes('myself'),
    masterId: master === '-' ? null : master,
    linkState,
    skipReason: skipReasonOf(flags, endpoint.ip, endpoint.port),
  };
}

function parseEndpoint(field: string): { ip: string; port: number; busPort: number | null; hostname: string | null } | null {
  const [hostPart = '', ...extras] = field.split(',');
  // Extras: the host name first (possibly empty), then `key=value` auxiliary fields (7.2+).
  const hostnameField = extras[0];
  const hostname = hostnameField !== undefined && hostnameField !== '' && !hostnameField.includes('=') ? hostnameField : null;
  const at = hostPart.indexOf('@');
  const ipPort = at < 0 ? hostPart : hostPart.slice(0, at);
  const busText = at < 0 ? null : hostPart.slice(at + 1);
  const colon = ipPort.lastIndexOf(':');
  if (colon < 0) return null;
  const ip = ipPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = ipPort.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || (busText !== null && !/^\d{1,5}$/.test(busText))) return null;
  return { ip, port: Number(portText), busPort: busText === null ? null : Number(busText), hostname };
}

function skipReasonOf(flags: readonly string[], ip: string, port: number): string | null {
  if (flags.includes('fail')) return 'the cluster marks this node as failed (flag fail)';
  if (flags.includes('noaddr')) return 'the cluster knows no address for this node (flag noaddr)';
  if (flags.includes('handshake')) return 'this node is still joining the cluster (flag handshake)';
  if (ip === '' || port === 0) return 'the cluster announces no address for this node';
  return null;
}

/** `host:port` as Redis prints addresses: IPv6 hosts in brackets (`[::1]:6379`). */
function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
