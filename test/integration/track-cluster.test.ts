// A cluster client names every node connection it makes, on a real Redis Cluster (six nodes on loopback):
// ioredis Cluster through redisOptions.connectionName, node-redis createCluster through its `defaults`.
import { createCluster } from '@redis/client';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { track, trackedClient } from '../../track/index.js';
import { LocalCluster } from '../support/local-cluster.js';
import { closeAll, originOfMarker, type Closable } from '../support/track-clients.js';
import { waitFor } from '../support/wait.js';

let cluster: LocalCluster;
const opened: Closable[] = [];

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodeTimeoutMs: 5000 });
}, 60_000);
afterEach(() => closeAll(opened));
afterAll(async () => {
  await cluster?.stop();
});

/** Connections named `name` on each primary, read through the cluster's own probe connections. */
async function namedOnPrimaries(name: string): Promise<number[]> {
  return Promise.all(cluster.primaries.map(async (port) => {
    const { clients } = parseClientList(String(await cluster.command(port, 'CLIENT', 'LIST')));
    return clients.filter((c) => c.name === name).length;
  }));
}

describe('cluster clients', () => {
  it('ioredis Cluster names its connection to every primary it uses', async () => {
    const redis = track(new Cluster([{ host: '127.0.0.1', port: cluster.seed }]), { service: 'orders-api' }); // origin: ioredis-cluster
    opened.push(redis);
    // Keys in each primary's slots: ioredis connects to a node when it first sends it a command.
    await Promise.all(Array.from({ length: 30 }, (_, i) => redis.set(`k${i}`, '1')));
    const name = `orders-api@${originOfMarker(import.meta.url, 'ioredis-cluster')}`;
    await waitFor(() => namedOnPrimaries(name), (counts) => counts.every((n) => n >= 1), { what: `connections named ${name} on every primary` });
    expect(trackedClient(redis)).toMatchObject({ library: 'ioredis', kind: 'cluster', state: 'open' });
  });

  it('node-redis createCluster names its connection to every primary', async () => {
    const redis = track(createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.seed}` }] }), { service: 'orders-api' }); // origin: node-redis-cluster
    opened.push(redis);
    await redis.connect();
    const name = `orders-api@${originOfMarker(import.meta.url, 'node-redis-cluster')}`;
    await waitFor(() => namedOnPrimaries(name), (counts) => counts.every((n) => n >= 1), { what: `connections named ${name} on every primary` });
    await redis.close();
    expect(trackedClient(redis)?.state).toBe('closed');
  });
});
