// `reclaim --apply` refuses a Redis Cluster (issue 19: standalone servers only, in the CLI as in the break-glass):
// a real six-node cluster with a leak on one primary, and a lone node started in cluster mode (one node in the
// audit, cluster_enabled:1 in its INFO). Nothing is killed: the same client ids before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { CLUSTER_REFUSAL } from '../../cli/reclaim.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { LocalCluster } from '../support/local-cluster.js';
import { cli } from '../support/run-cli.js';
import { waitForIdle } from '../support/wait.js';

const SOURCE = '127.0.0.57';
const LEAKED = 8;
const FLAGS = ['--apply', '--json', '--fail-on', 'never', '--min-idle', '1', '--idle-seconds', '1', '--min-group-connections', '5'];
const clients: RespClient[] = [];
let cluster: LocalCluster;
let lone: LocalRedisServer;

async function idsOn(port: number): Promise<number[]> {
  const probe = await RespClient.connect({ host: '127.0.0.1', port });
  clients.push(probe);
  const ids = parseClientList(String(await probe.command('CLIENT', 'LIST'))).clients.filter((c) => c.sourceIp === SOURCE).map((c) => c.id);
  return ids.sort((a, b) => a - b);
}

/** The per-request leak, with keyless commands (the demo workload's GET would be MOVED on a cluster). */
async function leakOn(port: number): Promise<void> {
  for (let i = 0; i < LEAKED; i += 1) {
    const client = await RespClient.connect({ host: '127.0.0.1', port, localAddress: SOURCE });
    clients.push(client);
    await client.command('CLIENT', 'SETNAME', 'orders-leaky');
    await client.command('PING');
  }
  const probe = await RespClient.connect({ host: '127.0.0.1', port });
  clients.push(probe);
  await waitForIdle(() => probe.command('CLIENT', 'LIST'), SOURCE, LEAKED, 1);
}

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodeTimeoutMs: 2000 });
  lone = await startLocalRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-lone.conf'] });
  await leakOn(cluster.seed);
  await leakOn(lone.port);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await lone?.stop();
  await cluster?.stop();
});

describe('reclaim --apply on a Redis Cluster', () => {
  it.each([
    ['a six-node cluster, through its seed', () => cluster.seed],
    ['a lone node in cluster mode', () => lone.port],
  ])('refuses %s and kills nothing', async (_, port) => {
    const before = await idsOn(port());
    expect(before).toHaveLength(LEAKED);

    const run = await cli(['reclaim', '--url', `redis://127.0.0.1:${port()}`, ...FLAGS]);

    const reclaim = (JSON.parse(run.stdout) as { reclaim: ReclaimReport }).reclaim;
    expect(reclaim).toMatchObject({ outcome: 'refused', reason: CLUSTER_REFUSAL, selected: [], killed: 0 });
    expect(await idsOn(port())).toEqual(before);
  }, 30_000);
});
