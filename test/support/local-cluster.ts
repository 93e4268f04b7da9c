// A real Redis Cluster on loopback for the integration tests: six redis-server processes (three primaries,
// three replicas) on free ports, created with `redis-cli --cluster create`, plain TCP or TLS (the ElastiCache
// "in-transit encryption" setup: TLS ports only, TLS on the cluster bus and for replication). One probe
// connection per node reads the nodes from outside (it is never the auditor). Everything is bounded in
// time, and stop() ends every connection and process it started and removes its files, even after a
// failed start.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient, type RespValue } from '../../cli/demo/resp-client.js';
import { parseClusterNodes, type ClusterNode } from '../../lambda/core/cluster-nodes.js';
import type { TestCertificates } from './tls-certs.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const NODE_COUNT = 6;
const COMMAND_TIMEOUT_MS = 5000;

export interface LocalClusterOptions {
  /** `cluster-node-timeout`: how long before a silent node is suspected (and soon flagged `fail`). */
  readonly nodeTimeoutMs: number;
  /** TLS only (no plain port), on the cluster bus and for replication too, with these certificates. */
  readonly tls?: TestCertificates;
  /** Listen on ::1 as well as 127.0.0.1 (default false). */
  readonly ipv6?: boolean;
  /** Bound on cluster creation until every node is ready. @default 20000 */
  readonly readyTimeoutMs?: number;
}

export class LocalCluster {
  readonly servers: LocalRedisServer[] = [];
  /** Client ports (TLS ports with `tls`) of the primaries and the replicas, known once started. */
  readonly primaries: number[] = [];
  readonly replicas: number[] = [];
  private readonly probes = new Map<number, RespClient>();
  private readonly connections: RespClient[] = [];
  private readonly ca: Buffer | undefined;
  private stopped = false;

  private constructor(readonly dir: string, private readonly options: LocalClusterOptions) {
    this.ca = options.tls ? readFileSync(options.tls.caFile) : undefined;
  }

  /** Starts six nodes and creates the cluster; on any failure stops what was started and throws. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = new LocalCluster(mkdtempSync(join(tmpdir(), 'rla-local-cluster-')), options);
    try {
      await cluster.create();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Client ports in start order; the first is the seed the tests audit through. */
  get ports(): number[] {
    return this.servers.map((s) => s.port);
  }

  get seed(): number {
    const first = this.servers[0];
    if (first === undefined) throw new Error('the cluster has no nodes');
    return first.port;
  }

  /** `127.0.0.1:port`, as the cluster announces the node by default. */
  address(port: number): string {
    return `127.0.0.1:${port}`;
  }

  server(port: number): LocalRedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (server === undefined) throw new Error(`no node on port ${port}`);
    return server;
  }

  /** A new connection to a node (TLS when the cluster is), closed by stop(). */
  async connect(port: number, localAddress?: string): Promise<RespClient> {
    const connection = await RespClient.connect({ port, ...(localAddress ? { localAddress } : {}), ...(this.ca ? { ca: this.ca } : {}) });
    this.connections.push(connection);
    return connection;
  }

  /** A command on the node's probe connection, bounded: a reply that does not come in 5 s drops the probe. */
  async command(port: number, ...args: Array<string | number>): Promise<RespValue> {
    const probe = this.probes.get(port);
    if (probe === undefined) throw new Error(`no probe connection to port ${port}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        // The reply may still come and would be taken for the next command's: drop the connection.
        void probe.destroy();
        reject(new Error(`no reply to ${String(args[0])} from port ${port} within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([probe.command(...args), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One INFO field of a node, as text ('' when absent). */
  async info(port: number, field: string): Promise<string> {
    const text = String(await this.command(port, 'INFO', 'all'));
    return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  }

  /** The node's CLUSTER NODES, parsed. */
  async nodes(port: number): Promise<readonly ClusterNode[]> {
    return parseClusterNodes(String(await this.command(port, 'CLUSTER', 'NODES'))).nodes;
  }

  /** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
  async waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    await waitFor(check, (held) => held, { what, timeoutMs, intervalMs: 100 });
  }

  /** Every node says cluster_state:ok and lists three replicas, none suspected failing, replicas in sync. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    await this.waitFor('the test cluster is ready', timeoutMs, async () => {
      const ready = await Promise.all(this.ports.map(async (port) => {
        const state = String(await this.command(port, 'CLUSTER', 'INFO'));
        const nodes = await this.nodes(port);
        const role = await this.info(port, 'role');
        return state.includes('cluster_state:ok') && nodes.length === NODE_COUNT && nodes.filter((n) => n.role === 'slave').length === 3
          && nodes.every((n) => !n.flags.includes('fail') && !n.flags.includes('fail?'))
          && (role === 'master' || (await this.info(port, 'master_link_status')) === 'up');
      }));
      return ready.every(Boolean);
    });
  }

  /** Closes every connection, stops every node (SIGTERM, SIGKILL after 3 s) and removes the files. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([...this.connections.splice(0), ...this.probes.values()].map((c) => c.close()));
    this.probes.clear();
    await Promise.allSettled(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async create(): Promise<void> {
    const { tls } = this.options;
    const used = new Set<number>();
    const uniquePort = async (): Promise<number> => {
      for (let i = 0; i < 20; i += 1) {
        const port = await freePort();
        if (!used.has(port)) {
          used.add(port);
          return port;
        }
      }
      throw new Error('no free port found');
    };
    const plan: Array<{ port: number; busPort: number }> = [];
    for (let i = 0; i < NODE_COUNT; i += 1) plan.push({ port: await uniquePort(), busPort: await uniquePort() });
    const tlsArgs = (port: number): string[] => (tls
      ? [
        // startLocalRedis waits on `port`: the TLS port takes it, the plain port is off.
        '--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
        '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no', '--tls-cluster', 'yes', '--tls-replication', 'yes',
      ]
      : []);
    const started = await Promise.allSettled(plan.map(async ({ port, busPort }) => {
      const server = await startLocalRedis({
        port,
        ipv6: this.options.ipv6 === true,
        args: [
          ...tlsArgs(port),
          // The bus port is given too: port + 10000 may be taken, or above 65535.
          '--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', String(this.options.nodeTimeoutMs), '--cluster-port', String(busPort),
        ],
      });
      this.servers.push(server);
    }));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Start order, whatever order they came up in.
    this.servers.sort((a, b) => plan.findIndex((p) => p.port === a.port) - plan.findIndex((p) => p.port === b.port));
    for (const s of this.servers) this.probes.set(s.port, await RespClient.connect({ port: s.port, ...(this.ca ? { ca: this.ca } : {}) }));
    await run('redis-cli', [
      ...(tls ? ['--tls', '--cacert', tls.caFile] : []),
      '--cluster', 'create', ...this.servers.map((s) => this.address(s.port)), '--cluster-replicas', '1', '--cluster-yes',
    ], { timeout: 20_000 });
    await this.waitUntilReady(this.options.readyTimeoutMs ?? 20_000);
    for (const s of this.servers) ((await this.info(s.port, 'role')) === 'master' ? this.primaries : this.replicas).push(s.port);
    if (this.primaries.length !== 3) throw new Error(`expected three primaries, found ${this.primaries.length}`);
  }
}
