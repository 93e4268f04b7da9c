// What a server may say and still be believed. A number outside these ranges is treated as unknown, never
// as a fact: `maxclients:0` from a broken proxy must not make 25 idle connections "a quarter of maxclients".
// Text the server chooses (version, role, names) is flattened to one line and bounded before anything
// keeps it. One place for every such bound: the parsers import them.
import type { ServerConfig } from './model.js';
import { plain } from './text-safety.js';

/**
 * Inclusive ranges of believable values. Connections: ElastiCache allows 65,000; a self-managed server cannot hold
 * more than its process's descriptors, 1,048,576 by default on Linux (fs.nr_open).
 */
export const PLAUSIBLE = {
  clients: { min: 0, max: 1_048_576 },
  maxClients: { min: 1, max: 1_048_576 },
  /** Lifetime counters (connections received, rejected): any non-negative safe integer. */
  lifetimeCounter: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** A hundred years. */
  uptimeSeconds: { min: 0, max: 3_155_760_000 },
  /** CONFIG timeout / tcp-keepalive: 0 means off; Redis caps both far below a 32-bit integer. */
  settingSeconds: { min: 0, max: 2_147_483_647 },
} as const;

/** Longest server-chosen text kept in a report field (version, role, run_id, server name). */
export const MAX_SERVER_TEXT_CHARS = 80;
/** Longest client-chosen CLIENT LIST value kept (name, user, library, last command): longer ones are cut. */
export const MAX_CLIENT_FIELD_CHARS = 256;

export function plausible(value: number | null, range: { readonly min: number; readonly max: number }): number | null {
  return value !== null && Number.isFinite(value) && value >= range.min && value <= range.max ? value : null;
}

/** Server-chosen text as one bounded line without control or direction-changing characters; null stays null. */
export function serverText(value: string | null): string | null {
  if (value === null) return null;
  const text = plain(value, MAX_SERVER_TEXT_CHARS);
  return text === '' ? null : text;
}

/** CONFIG GET's answers held to the same ranges: `maxclients 0` is unknown, not a full server. */
export function plausibleConfig(config: ServerConfig): ServerConfig {
  return {
    timeoutSeconds: plausible(config.timeoutSeconds, PLAUSIBLE.settingSeconds),
    maxClients: plausible(config.maxClients, PLAUSIBLE.maxClients),
    tcpKeepaliveSeconds: plausible(config.tcpKeepaliveSeconds, PLAUSIBLE.settingSeconds),
  };
}
