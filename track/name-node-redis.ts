// Names node-redis (@redis/client 5) clients, pools and clusters. node-redis reads `options.name` from the
// client's live options object in the handshake of every connection (HELLO ... SETNAME with RESP3, CLIENT
// SETNAME with RESP2), and `client.options` is that object: setting `name` before connect() names the first
// connection and every reconnect. A pool's members all share the options object given to createClientPool, and
// a cluster merges `defaults` into each node connection's options when it makes one.
import { ignoreFailure, tagClientInfo } from './client-info-tag.js';
import type { NodeRedisClient, NodeRedisCluster, NodeRedisPool } from './client-shapes.js';
import type { NameFailure } from './name-ioredis.js';

/** Told when two clients turn out to share one options object (node-redis keeps it, so also its name). */
export type SharedOptions = (previousName: string) => void;

/** Options object -> the name put in it: node-redis keeps the object the application passed, not a copy. */
const namedOptions = new WeakMap<object, string>();

/** Names the client; when it is connected already, also its current connection (the promise settles then). */
export function nameNodeRedisClient(client: NodeRedisClient, name: string, failed: NameFailure, shared: SharedOptions): Promise<void> {
  const options = client.options;
  if (options === undefined) throw new Error('the node-redis client has no options object');
  const previous = namedOptions.get(options);
  if (previous !== undefined && previous !== name) shared(previous);
  namedOptions.set(options, name);
  options.name = name;
  const libName = tagClientInfo(options, 'node-redis');
  return client.isOpen ? sendName(client, name, libName, failed) : Promise.resolve();
}

/**
 * A pool hides its members and their options until it has some: track() wraps the pool's connect() (called once,
 * not per command) to name the members connect() made, through execute(), and to put the name in the shared
 * options object every later member and reconnect reads; connect() resolves once they are named. Members busy
 * at that moment (commands already running) keep no name until they reconnect.
 */
export function nameNodeRedisPool(
  pool: NodeRedisPool, name: string, failed: NameFailure, shared: SharedOptions, connected: () => void,
): void {
  const connect = pool.connect;
  const nameMembers = async (): Promise<void> => {
    await pool.execute((member) => nameNodeRedisClient(member, name, failed, shared));
    // execute() takes an idle member at once: as many calls as idle members reach each of them.
    await Promise.all(Array.from({ length: pool.idleClients }, () => pool.execute((member) => nameNodeRedisClient(member, name, failed, shared))));
  };
  Object.defineProperty(pool, 'connect', {
    configurable: true,
    writable: true,
    value: async function connectAndName(this: NodeRedisPool, ...args: unknown[]): Promise<unknown> {
      const result = await (connect as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      connected();
      await nameMembers().catch(failed);
      return result;
    },
  });
  if (pool.isOpen) nameMembers().catch(failed);
}

export function nameNodeRedisCluster(cluster: NodeRedisCluster, name: string, failed: NameFailure, shared: SharedOptions): void {
  const options = cluster._options;
  const previous = namedOptions.get(options);
  if (previous !== undefined && previous !== name) shared(previous);
  namedOptions.set(options, name);
  // A new defaults object: the application's own (maybe shared) defaults object is left as it was.
  const defaults = { ...options.defaults, name };
  tagClientInfo(defaults, 'node-redis');
  options.defaults = defaults;
  // Node connections made before track() ran.
  for (const node of [...cluster.masters, ...cluster.replicas, ...(cluster.pubSubNode ? [cluster.pubSubNode] : [])]) {
    if (node.client !== undefined) void nameNodeRedisClient(node.client, name, failed, shared);
  }
}

function sendName(client: NodeRedisClient, name: string, libName: string | null, failed: NameFailure): Promise<void> {
  if (libName !== null) ignoreFailure(client.sendCommand(['CLIENT', 'SETINFO', 'LIB-NAME', libName]));
  // A client closed before the reply came was not refused a name: nothing to tell.
  return client.sendCommand(['CLIENT', 'SETNAME', name]).then(() => undefined, (error: unknown) => {
    if (client.isOpen) failed(error);
  });
}
