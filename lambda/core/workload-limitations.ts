// What the workload grouping could not use, said in the report instead of shown as a misleading group.
import type { ClientAnalysis } from './analyse-clients.js';
import type { NodeReport } from './report.js';

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
