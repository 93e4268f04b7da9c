// What the analysis could not use or keep, said in the report instead of shown as a misleading group: client
// libraries on servers before 7.2, groups past the counters' ceiling, findings past the report's.
import type { ClientAnalysis } from './analyse-clients.js';
import { MAX_GROUPS_PER_COUNTER, OVERFLOW_GROUP_KEY } from './client-groups.js';
import type { NodeReport } from './report.js';
import { MAX_ORIGINS_PER_WORKLOAD, OTHER_ORIGINS } from './workload-origins.js';

/** `lib-name` appears in CLIENT LIST from Redis 7.2 (Valkey reports 7.2.x as its Redis version). */
const LIBRARY_FIELD_SINCE: readonly [number, number] = [7, 2];

/** True when the server's version reports `lib-name`; unknown versions are given the benefit of the doubt. */
export function reportsClientLibrary(version: string | null): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (match === null) return true;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > LIBRARY_FIELD_SINCE[0] || (major === LIBRARY_FIELD_SINCE[0] && minor >= LIBRARY_FIELD_SINCE[1]);
}

/** Listed nodes that cannot report client libraries; empty when every one can (or none was listed). */
export function nodesWithoutLibraries(nodes: readonly NodeReport[]): NodeReport[] {
  return nodes.filter((n) => n.clientListAvailable && !reportsClientLibrary(n.version));
}

export function libraryLimitations(nodes: readonly NodeReport[], analysis: ClientAnalysis | null): string[] {
  const older = nodesWithoutLibraries(nodes);
  // Said only when there were clients to attribute.
  if (analysis === null || analysis.analysedConnections === 0 || older.length === 0) return [];
  const versions = [...new Set(older.map((n) => n.version))].slice(0, 3).join(', ');
  return [
    `Client libraries are not visible: CLIENT LIST reports lib-name from Redis 7.2 (and Valkey), and ${older.length === nodes.length ? 'this server runs' : 'some nodes run'} `
      + `${versions}. Workloads are identified by AWS resource, client name, ACL user and address only.`,
  ];
}

/** Findings a report keeps (most severe, then largest, first); `findingsOmitted` counts the rest. */
export const MAX_FINDINGS = 200;

export function overflowLimitations(analysis: ClientAnalysis | null, findingsOmitted: number): string[] {
  const out: string[] = [];
  if (analysis?.groupsOverflowed === true) {
    out.push(`More distinct sources, names, users, libraries or workloads than the analysis keeps (${MAX_GROUPS_PER_COUNTER} of each): `
      + `the rest were counted together under "${OVERFLOW_GROUP_KEY}", so per-group findings may miss some of them.`);
  }
  if (analysis?.originsOverflowed === true) {
    out.push(`Some workloads' connections were created at more distinct code locations (origins in their connection names) than the analysis keeps `
      + `(${MAX_ORIGINS_PER_WORKLOAD} per workload, or too many origin and address pairs): the rest were counted together under "${OTHER_ORIGINS}", `
      + 'which no finding names: a leak from one of them is reported for its workload without naming its line.');
  }
  if (findingsOmitted > 0) {
    out.push(`${findingsOmitted} more findings than the ${MAX_FINDINGS} kept in this report (the most severe and largest first); the summary counts them all.`);
  }
  return out;
}
