// When a tracked client opens and closes, from its own events (nothing per command): ioredis emits 'end' when a
// client or cluster is done for good (quit(), disconnect(), or retries given up) and 'connect' when it connects
// again; a node-redis client emits 'end' on close(), destroy(), quit() and disconnect(), a node-redis cluster
// 'disconnect'. A node-redis pool emits neither: it is open from its connect() (wrapped by name-node-redis.ts)
// until `isOpen` says otherwise, which the registry reads when it looks. The same check catches a node-redis
// client whose reconnect strategy gave up (no 'end' then), and an ioredis client whose quit() has resolved
// while its socket is still closing (a process that exits right after).
import type { ClientProbe, ClientRegistry, Entry } from './client-registry.js';
import type { NodeRedisClient, NodeRedisCluster, NodeRedisPool, RecognisedClient } from './client-shapes.js';

/** node-redis clients, pools and clusters seen open: closed is `!isOpen` only after having been open. */
const seenOpen = new WeakSet<object>();

export function markSeenOpen(client: object): void {
  seenOpen.add(client);
}

export function probeFor(recognised: RecognisedClient): ClientProbe {
  switch (recognised.library) {
    case 'ioredis':
      return {
        // quit() resolves on the server's OK, before the socket closes and 'end' comes: `manuallyClosing` is
        // ioredis's own mark of a client closing for good (quit() or disconnect(), not a reconnect).
        hasEnded: (client) => {
          const c = client as { status?: string; manuallyClosing?: boolean };
          return c.status === 'end' || c.manuallyClosing === true;
        },
        socketBytes: recognised.kind === 'client' ? ioredisSocketBytes : () => null,
      };
    case 'node-redis': {
      const endedAfterOpen = (client: object): boolean => seenOpen.has(client) && !(client as { isOpen: boolean }).isOpen;
      return recognised.kind === 'pool'
        ? { hasEnded: endedAfterOpen, socketBytes: () => null, connections: (pool) => (pool as NodeRedisPool).totalClients }
        : { hasEnded: endedAfterOpen, socketBytes: () => null };
    }
  }
}

function ioredisSocketBytes(client: object): number | null {
  const stream = (client as { stream?: { bytesRead?: unknown; bytesWritten?: unknown } }).stream;
  if (stream === undefined || typeof stream.bytesRead !== 'number' || typeof stream.bytesWritten !== 'number') return null;
  return stream.bytesRead + stream.bytesWritten;
}

/** Listens for the client's ends and (re)connects; the listeners hold the entry, never the registry's client. */
export function watchLifecycle(recognised: RecognisedClient, registry: ClientRegistry, entry: Entry): void {
  const open = (): void => registry.opened(entry);
  const close = (): void => registry.closed(entry);
  if (recognised.library === 'ioredis') {
    recognised.client.on('end', close);
    recognised.client.on('connect', open);
  } else if (recognised.kind === 'client') {
    watchNodeRedis(recognised.client, 'end', open, close);
  } else if (recognised.kind === 'cluster') {
    watchNodeRedis(recognised.client, 'disconnect', open, close);
  } else if (recognised.client.isOpen) {
    markSeenOpen(recognised.client); // a pool: opened again by the wrapped connect(), see name-node-redis.ts
  }
}

function watchNodeRedis(client: NodeRedisClient | NodeRedisCluster, endEvent: string, open: () => void, close: () => void): void {
  if (client.isOpen) markSeenOpen(client);
  client.on('connect', () => {
    markSeenOpen(client);
    open();
  });
  client.on(endEvent, close);
}
