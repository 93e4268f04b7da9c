// Small wording helpers shared by the checks, so that every message reads the same way.
import type { NodeView } from './types.js';

export function formatSeconds(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) return `${seconds} s`;
  if (seconds < 3600 || seconds % 3600 !== 0) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}

export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** maxclients of the tightest node, from INFO or CONFIG; null when no node reported it. */
export function smallestMaxClients(nodes: readonly NodeView[]): number | null {
  let smallest: number | null = null;
  for (const view of nodes) {
    const value = maxClientsOf(view);
    if (value !== null && (smallest === null || value < smallest)) smallest = value;
  }
  return smallest;
}

export function maxClientsOf(view: NodeView): number | null {
  return view.counters.maxClients ?? view.config.maxClients;
}
