// The audited server's side of one audit, on a live redis-server holding thousands of real connections
// from several loopback sources: the longest single CLIENT LIST command and the total CLIENT LIST server
// time (SLOWLOG with a 0 µs threshold, and INFO commandstats), for a plain CLIENT LIST and for the
// project's by-id method, interleaved, several repetitions, medians.
import { startLocalRedis, type LocalRedisServer } from '../cli/demo/local-redis-server.js';
import { RespClient, type RespValue } from '../cli/demo/resp-client.js';
import { DEFAULT_PLAN_OPTIONS, type PlanOptions } from '../lambda/core/collection-plan.js';
import { NodeCollector } from '../lambda/redis/node-collector.js';
import { parseTargetUrl } from '../lambda/redis/target-url.js';

export interface MethodCost {
  /** Longest single CLIENT LIST / CLIENT LIST ID command, server time in µs (median over repetitions). */
  readonly longestCommandUs: number;
  /** All CLIENT LIST server time of one audit, µs (median). */
  readonly totalServerUs: number;
  readonly commands: number;
  /** Wall time of the auditor's sample (INFO + listing), ms (median). */
  readonly sampleMs: number;
}

export interface LiveServerResult {
  readonly connections: number;
  readonly sources: number;
  readonly repetitions: number;
  readonly plain: MethodCost;
  /** By id with the ids of the previous sample: the steady state of a scheduled auditor. */
  readonly byId: MethodCost;
  /** By id with no memory (first run): every id from 1 scanned. */
  readonly byIdFirstRun: MethodCost;
}

const PLAIN: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, plainUpTo: Number.MAX_SAFE_INTEGER };

export async function runLiveServerBench(options: { smoke: boolean }): Promise<LiveServerResult> {
  const connections = options.smoke ? 1500 : 15_000;
  const sources = 10;
  const repetitions = options.smoke ? 1 : 5;
  const server = await startLocalRedis({ ipv6: false, args: ['--maxclients', String(connections + 500)] });
  const clients: RespClient[] = [];
  try {
    const control = await RespClient.connect({ host: server.host, port: server.port });
    clients.push(control);
    await openConnections(server, connections, sources, clients);
    await control.command('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await control.command('CONFIG', 'SET', 'slowlog-max-len', '10000');

    const measure = async (planOptions: PlanOptions, warm: boolean): Promise<{ longest: number; total: number; commands: number; ms: number }> => {
      const collector = await NodeCollector.open(parseTargetUrl(server.url), { connectTimeoutMs: 5000, commandTimeoutMs: 30_000 }, { planOptions });
      try {
        if (warm) await collector.sample(); // the previous run's sample: it leaves the ids
        await control.command('SLOWLOG', 'RESET');
        // Not CONFIG RESETSTAT: it would zero total_connections_received, which the by-id plan relies on.
        const before = await clientListServerUs(control);
        const started = performance.now();
        const sample = await collector.sample();
        const ms = performance.now() - started;
        const durations = await listCommandDurations(control);
        return { longest: Math.max(0, ...durations), total: (await clientListServerUs(control)) - before, commands: sample.collection?.clientListCommands ?? 0, ms };
      } finally {
        await collector.close();
      }
    };
    const runs = { plain: [] as Array<Awaited<ReturnType<typeof measure>>>, byId: [] as Array<Awaited<ReturnType<typeof measure>>>, first: [] as Array<Awaited<ReturnType<typeof measure>>> };
    for (let i = 0; i < repetitions; i += 1) {
      // Interleaved, so that drift of the machine hits each method alike.
      runs.plain.push(await measure(PLAIN, false));
      runs.byId.push(await measure(DEFAULT_PLAN_OPTIONS, true));
      runs.first.push(await measure(DEFAULT_PLAN_OPTIONS, false));
    }
    await control.command('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    return { connections, sources, repetitions, plain: summarise(runs.plain), byId: summarise(runs.byId), byIdFirstRun: summarise(runs.first) };
  } finally {
    await Promise.allSettled(clients.map((c) => c.destroy()));
    await server.stop();
  }
}

async function openConnections(server: LocalRedisServer, count: number, sources: number, into: RespClient[]): Promise<void> {
  const concurrency = 200;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const client = await RespClient.connect({ host: server.host, port: server.port, localAddress: `127.0.0.${61 + (index % sources)}` });
      into.push(client);
      await client.command('GET', `key:${index}`); // one request, then idle: the per-request leak shape
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Server time (µs) of each CLIENT LIST command the auditor sent, from the slow log (threshold 0). */
async function listCommandDurations(control: RespClient): Promise<number[]> {
  const entries = await control.command('SLOWLOG', 'GET', '10000');
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: RespValue) => {
    if (!Array.isArray(entry)) return [];
    const [, , micros, args, , name] = entry;
    const command = Array.isArray(args) ? args.slice(0, 2).map(String).join(' ').toLowerCase() : '';
    return command === 'client list' && name === 'redis-leak-auditor' && typeof micros === 'number' ? [micros] : [];
  });
}

/** Total server time of CLIENT LIST so far, from INFO commandstats. */
async function clientListServerUs(control: RespClient): Promise<number> {
  const text = String(await control.command('INFO', 'commandstats'));
  return Number(/^cmdstat_client\|list:calls=\d+,usec=(\d+)/m.exec(text)?.[1] ?? 0);
}

function summarise(runs: ReadonlyArray<{ longest: number; total: number; commands: number; ms: number }>): MethodCost {
  return {
    longestCommandUs: median(runs.map((r) => r.longest)),
    totalServerUs: median(runs.map((r) => r.total)),
    commands: median(runs.map((r) => r.commands)),
    sampleMs: Math.round(median(runs.map((r) => r.ms)) * 10) / 10,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
