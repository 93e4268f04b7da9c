// Names an ioredis client or cluster. ioredis sends CLIENT SETNAME with `options.connectionName` in the handshake
// of every connection it makes (reconnects included), so setting the option is what keeps the name; a connection
// already up (status connect or ready) is named now with CLIENT SETNAME.
import { ignoreFailure, tagClientInfo } from './client-info-tag.js';
import type { IoredisClient, IoredisCluster } from './client-shapes.js';

/** Told when the server refused a name (SETNAME on a connection already up). */
export type NameFailure = (error: unknown) => void;

const CONNECTED = new Set(['connect', 'ready']);

export function nameIoredisClient(client: IoredisClient, name: string, failed: NameFailure): void {
  client.options.connectionName = name;
  const libName = tagClientInfo(client.options, 'ioredis');
  if (CONNECTED.has(client.status)) sendName(client, name, libName, failed);
}

export function nameIoredisCluster(cluster: IoredisCluster, name: string, failed: NameFailure): void {
  // A node's connection options are `redisOptions` merged when the node is made; the refresher's connection
  // reads `options.redisOptions` too. One new object for both, so an options object the application shares
  // with other clusters is left as it was.
  const pool = cluster.connectionPool;
  const base = cluster.options.redisOptions ?? pool?.redisOptions ?? {};
  const redisOptions = { ...base, connectionName: name };
  tagClientInfo(redisOptions, 'ioredis');
  cluster.options.redisOptions = redisOptions;
  if (pool) pool.redisOptions = redisOptions;
  // Nodes made before track() ran (track is called late, or on a cluster already connected).
  for (const node of cluster.nodes('all')) nameIoredisClient(node, name, failed);
}

function sendName(client: IoredisClient, name: string, libName: string | null, failed: NameFailure): void {
  if (libName !== null) ignoreFailure(client.call('CLIENT', 'SETINFO', 'LIB-NAME', libName));
  // A client closed before the reply came was not refused a name: nothing to tell.
  client.call('CLIENT', 'SETNAME', name).catch((error: unknown) => {
    if (client.status !== 'end' && client.status !== 'close') failed(error);
  });
}
