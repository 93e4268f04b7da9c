// The parts of ioredis 5 and node-redis 5 (@redis/client) clients the companion uses, as shapes: it imports
// neither library (an application brings its own), and recognises a client by what it has. Only what is
// named here is touched; everything is read when track() runs or when the registry is looked at, never per command.

type Listener = (...args: unknown[]) => void;
interface Emitter {
  on(event: string, listener: Listener): unknown;
}

/** Options both libraries read on every (re)connect: ioredis `connectionName`, node-redis `name`. */
export interface ClientInfoOptions {
  clientInfoTag?: string | undefined;
  disableClientInfo?: boolean | undefined;
}

export interface IoredisClient extends Emitter {
  readonly isCluster: false;
  readonly status: string;
  readonly options: ClientInfoOptions & { connectionName?: string | null | undefined };
  /** The socket of the current connection, when there is one. */
  readonly stream?: { readonly bytesRead: number; readonly bytesWritten: number } | undefined;
  call(command: string, ...args: string[]): Promise<unknown>;
}

export interface IoredisCluster extends Emitter {
  readonly isCluster: true;
  readonly status: string;
  readonly options: { redisOptions?: IoredisClient['options'] | undefined };
  /** Where ioredis keeps the options it gives each node's connection (a copy per node, when the node is made). */
  readonly connectionPool?: { redisOptions?: IoredisClient['options'] | undefined } | undefined;
  nodes(role?: 'all'): IoredisClient[];
}

export interface NodeRedisClient extends Emitter {
  /** The live options object: node-redis reads `name` from it in every connection's handshake. */
  readonly options: (ClientInfoOptions & { name?: string | undefined }) | undefined;
  readonly isOpen: boolean;
  sendCommand(args: string[]): Promise<unknown>;
}

export interface NodeRedisPool {
  readonly isOpen: boolean;
  readonly idleClients: number;
  readonly totalClients: number;
  execute<T>(fn: (client: NodeRedisClient) => T): Promise<Awaited<T>>;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): unknown;
}

interface NodeRedisClusterNode {
  readonly client?: NodeRedisClient | undefined;
}

export interface NodeRedisCluster extends Emitter {
  /** The options given to createCluster; `defaults` is merged into every node connection's options when made. */
  readonly _options: { defaults?: (ClientInfoOptions & { name?: string | undefined }) | undefined; readonly rootNodes: unknown[] };
  readonly isOpen: boolean;
  readonly masters: readonly NodeRedisClusterNode[];
  readonly replicas: readonly NodeRedisClusterNode[];
  readonly pubSubNode?: NodeRedisClusterNode | undefined;
}

export type RecognisedClient =
  | { readonly library: 'ioredis'; readonly kind: 'client'; readonly client: IoredisClient }
  | { readonly library: 'ioredis'; readonly kind: 'cluster'; readonly client: IoredisCluster }
  | { readonly library: 'node-redis'; readonly kind: 'client'; readonly client: NodeRedisClient }
  | { readonly library: 'node-redis'; readonly kind: 'pool'; readonly client: NodeRedisPool }
  | { readonly library: 'node-redis'; readonly kind: 'cluster'; readonly client: NodeRedisCluster };

export type ClientLibrary = RecognisedClient['library'];
export type ClientKind = RecognisedClient['kind'];

/** Which library and kind `value` is, by its shape; null for anything else. */
export function recogniseClient(value: unknown): RecognisedClient | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const fn = (key: string): boolean => typeof c[key] === 'function';
  if (typeof c.isCluster === 'boolean' && typeof c.status === 'string' && fn('on') && typeof c.options === 'object') {
    if (c.isCluster === true && fn('nodes')) return { library: 'ioredis', kind: 'cluster', client: value as IoredisCluster };
    if (c.isCluster === false && fn('call')) return { library: 'ioredis', kind: 'client', client: value as IoredisClient };
    return null;
  }
  const clusterOptions = c._options as { rootNodes?: unknown } | undefined;
  if (typeof clusterOptions === 'object' && clusterOptions !== null && Array.isArray(clusterOptions.rootNodes) && fn('on')) {
    return { library: 'node-redis', kind: 'cluster', client: value as NodeRedisCluster };
  }
  if (fn('execute') && typeof c.totalClients === 'number' && fn('connect') && fn('close')) {
    return { library: 'node-redis', kind: 'pool', client: value as NodeRedisPool };
  }
  if (fn('sendCommand') && typeof c.isOpen === 'boolean' && typeof c.options === 'object' && fn('on')) {
    return { library: 'node-redis', kind: 'client', client: value as NodeRedisClient };
  }
  return null;
}
