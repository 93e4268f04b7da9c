// redis-leak-auditor/track: names every Redis connection an application opens after the line of code that
// created its client (`orders-api@src/handlers/user.ts:42`), so the auditor's report (and CLIENT LIST) points at
// the code that leaks; and keeps an in-process list of the clients, for a health endpoint and an exit report.
//
//   const redis = track(new Redis(url), { service: 'orders-api' });
//   const client = track(createClient({ url }), { service: 'orders-api' }); await client.connect();
//
// No dependency: it recognises ioredis 5 and node-redis 5 clients by their shape, and does nothing per command.
// A name that cannot be set never breaks a client: the failure is told once (onWarning) and the client works.
import { formatOriginName, serviceNamePart } from '../lambda/core/origin-name.js';
import { callerStack } from './caller-stack.js';
import { ClientRegistry, type TrackedClient } from './client-registry.js';
import { markSeenOpen, probeFor, watchLifecycle } from './client-lifecycle.js';
import { recogniseClient, type RecognisedClient } from './client-shapes.js';
import { reportOpenAtExit } from './exit-report.js';
import { nameIoredisClient, nameIoredisCluster } from './name-ioredis.js';
import { nameNodeRedisClient, nameNodeRedisCluster, nameNodeRedisPool } from './name-node-redis.js';
import { originOf } from './origin.js';
import { resolveTrackOptions, TrackWarning, warnOnce, type ResolvedTrackOptions, type TrackOptions } from './track-options.js';

export { formatOriginName, parseOriginName, ORIGIN_NAME } from '../lambda/core/origin-name.js';
export { CLIENT_INFO_TAG } from './client-info-tag.js';
export type { ClientKind, ClientLibrary } from './client-shapes.js';
export type { TrackedClient } from './client-registry.js';
export { DEFAULT_MAX_CLIENTS_PER_ORIGIN, TrackWarning, type TrackOptions, type TrackWarningCode } from './track-options.js';

const registry = new ClientRegistry();

/**
 * Names `client` (ioredis Redis or Cluster; node-redis client, pool or cluster) `service@origin`, origin being the
 * line that called track(), and registers it. Call it right where the client is created. Returns the same client.
 */
export function track<T extends object>(client: T, options: TrackOptions): T {
  const resolved = resolveTrackOptions(options);
  const { stack, selfDir } = callerStack();
  const origin = originOf(stack, { selfDir, root: resolved.root, hash: resolved.hashOrigin });
  const name = formatOriginName(resolved.service, origin);
  const recognised = recogniseClient(client);
  if (recognised === null) {
    warnOnce(resolved, new TrackWarning('RLA_TRACK_UNKNOWN_CLIENT',
      `track() was given something that is no ioredis or node-redis client; it is returned untouched (would have been named ${name})`));
    return client;
  }
  const entry = registry.add(client, {
    service: serviceNamePart(resolved.service), origin, name, library: recognised.library, kind: recognised.kind,
    maxClientsPerOrigin: resolved.maxClientsPerOrigin, warn: resolved.warn, reportOpenAtExit: resolved.reportOpenAtExit,
    probe: probeFor(recognised),
  });
  try {
    watchLifecycle(recognised, registry, entry);
    applyName(recognised, name, resolved, () => {
      markSeenOpen(client);
      registry.opened(entry);
    });
  } catch (error) {
    nameFailed(resolved, name, error);
  }
  if (resolved.reportOpenAtExit) reportOpenAtExit(registry);
  return client;
}

/**
 * The name track() gives a client created where this is called, for a client the companion does not know (another
 * library, a raw socket): name its connections with it yourself (the library's name option, or CLIENT SETNAME).
 */
export function connectionName(options: TrackOptions): string {
  const resolved = resolveTrackOptions(options);
  const { stack, selfDir } = callerStack();
  return formatOriginName(resolved.service, originOf(stack, { selfDir, root: resolved.root, hash: resolved.hashOrigin }));
}

/** The clients tracked and still open, oldest first: plain objects, for a health endpoint. */
export function openClients(): TrackedClient[] {
  return registry.openClients();
}

/** What the companion knows of one client (open or closed), or undefined if it was never tracked. */
export function trackedClient(client: object): TrackedClient | undefined {
  return registry.lookUp(client);
}

function applyName(recognised: RecognisedClient, name: string, options: ResolvedTrackOptions, poolConnected: () => void): void {
  const failed = (error: unknown): void => nameFailed(options, name, error);
  const shared = (previous: string): void => warnOnce(options, new TrackWarning('RLA_TRACK_SHARED_OPTIONS',
    `two node-redis clients were created from one options object, and node-redis reads the connection name from it: `
    + `${previous} is now named ${name} too; pass each createClient() its own options object`));
  if (recognised.library === 'ioredis') {
    if (recognised.kind === 'client') nameIoredisClient(recognised.client, name, failed);
    else nameIoredisCluster(recognised.client, name, failed);
  } else if (recognised.kind === 'client') void nameNodeRedisClient(recognised.client, name, failed, shared);
  else if (recognised.kind === 'pool') nameNodeRedisPool(recognised.client, name, failed, shared, poolConnected);
  else nameNodeRedisCluster(recognised.client, name, failed, shared);
}

function nameFailed(options: ResolvedTrackOptions, name: string, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  warnOnce(options, new TrackWarning('RLA_TRACK_NAME_FAILED',
    `could not name a Redis connection ${name} (${reason}); the client works, without the name`, { cause: error }));
}
