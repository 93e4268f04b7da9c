// `redis-leak-audit demo`: a throwaway redis-server, the classic leak patterns each from its own loopback
// "host" beside two healthy ones, then a real audit of it. Short thresholds so it runs in seconds.
import type { SampleSummary } from '../../lambda/core/history.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { defaultPolicy, type AuditPolicy } from '../../lambda/core/model.js';
import { runAudit } from '../../lambda/run-audit.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { fileURLToPath } from 'node:url';
import { connectionName } from '../../track/index.js';
import { startLocalRedis } from './local-redis-server.js';
import { loopbackSourcesAvailable } from './loopback.js';
import {
  blockingPopNoTimeout, busyPool, connectPerRequestChurn, idlePool, openTransaction, perRequestLeak, pubsubLeak,
  type WorkloadHandle, type WorkloadTarget,
} from './workload.js';

/** Origins are named relative to the folder holding cli/ (the repository, or dist/ when built). */
const DEMO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Demo thresholds: seconds instead of minutes, tens instead of hundreds, so the patterns show quickly. */
export const DEMO_POLICY: AuditPolicy = {
  ...defaultPolicy,
  idleSeconds: 2,
  minGroupConnections: 10,
  minPubsubConnections: 5,
  churnPerMinute: 100,
};

export interface DemoOptions {
  readonly progress: (line: string) => void;
  readonly toolVersion: string;
}

type Pattern = (target: WorkloadTarget, source: string) => Promise<WorkloadHandle>;

/** The fleet: pods of one deployment, each on its own address, each leaking below every per-address threshold. */
const FLEET_PODS = 12;
const FLEET_LEAK_PER_POD = 3;
/** Kubernetes names pods `<deployment>-<replicaset hash>-<5 characters>` from this alphabet. */
const POD_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function podName(deployment: string, i: number): string {
  const suffix = Array.from({ length: 5 }, (_, k) => POD_ALPHABET[(i * 7 + k * 3) % POD_ALPHABET.length]).join('');
  return `${deployment}-7f9c8d5b4-${suffix}`;
}

/** One pattern played from `pods` addresses 127.0.1.1..n, stopped together. */
async function fleet(target: WorkloadTarget, pods: number, play: (source: string, i: number) => Promise<WorkloadHandle>): Promise<WorkloadHandle> {
  const handles: WorkloadHandle[] = [];
  try {
    for (let i = 0; i < pods; i += 1) handles.push(await play(`127.0.1.${i + 1}`, i));
  } catch (err) {
    await Promise.allSettled(handles.map((h) => h.stop()));
    throw err;
  }
  return {
    source: `127.0.1.1-${pods}`,
    pattern: handles[0]?.pattern ?? 'fleet',
    connections: () => handles.reduce((sum, h) => sum + h.connections(), 0),
    stop: async () => { await Promise.allSettled(handles.map((h) => h.stop())); },
  };
}

/** Each pattern from its own source, as if from its own host. The last one moves to ::1 when IPv6 works. */
function patterns(ipv6: boolean): Array<{ source: string; label: string; play: Pattern }> {
  return [
    { source: '127.0.0.2', label: 'connection per request, never closed (checkout-api)',
      // Named by the companion (redis-leak-auditor/track) after this line, as an application's client would be:
      // the report then says where the connections are opened.
      play: (t, s) => perRequestLeak(t, s, { count: 40, ratePerSecond: 6, name: connectionName({ service: 'checkout-api', root: DEMO_ROOT }) }) },
    { source: `127.0.1.1-${FLEET_PODS}`, label: `${FLEET_PODS} pods, each leaking ${FLEET_LEAK_PER_POD} connections per request (orders-api-<pod>)`,
      play: (t) => fleet(t, FLEET_PODS, (source, i) => perRequestLeak(t, source, { count: FLEET_LEAK_PER_POD, name: podName('orders-api', i) })) },
    { source: '127.0.0.3', label: 'pub/sub subscribers left open (notifier)',
      play: (t, s) => pubsubLeak(t, s, { count: 12, name: 'notifier' }) },
    { source: '127.0.0.4', label: 'BLPOP with no timeout (queue-worker)',
      play: (t, s) => blockingPopNoTimeout(t, s, { count: 4, name: 'queue-worker' }) },
    { source: '127.0.0.5', label: 'MULTI never followed by EXEC (billing)',
      play: (t, s) => openTransaction(t, s, { count: 3, name: 'billing' }) },
    { source: '127.0.0.6', label: 'connect, PING, quit, 20 times a second (reports)',
      play: (t, s) => connectPerRequestChurn(t, s, { ratePerSecond: 20, durationMs: 15_000, name: 'reports' }) },
    { source: '127.0.0.7', label: 'healthy busy pool of 12 (web)',
      play: (t, s) => busyPool(t, s, { size: 12, name: 'web' }) },
    { source: ipv6 ? '::1' : '127.0.0.8', label: 'healthy small pool of 4 at rest (cron)',
      play: (t, s) => idlePool(t, s, { size: 4, name: 'cron' }) },
  ];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDemo(options: DemoOptions): Promise<{ report: AuditReport; history: readonly SampleSummary[] }> {
  const loopback = await loopbackSourcesAvailable();
  if (!loopback.ipv4) {
    throw new Error('the demo needs to bind 127.0.0.2-127.0.0.8 and 127.0.1.x as client sources (Linux loopback); this machine refuses it');
  }
  const server = await startLocalRedis({ ipv6: loopback.ipv6 });
  const handles: WorkloadHandle[] = [];
  try {
    options.progress(`redis-server started on ${server.url} (throwaway, loopback only)`);
    const target = { host: server.host, port: server.port };
    for (const pattern of patterns(loopback.ipv6)) {
      handles.push(await pattern.play(target, pattern.source));
      options.progress(`${pattern.source.padEnd(12)} ${pattern.label}`);
    }
    options.progress(`letting connections go idle for ${DEMO_POLICY.idleSeconds + 1} s, then auditing: 3 samples, 2 s apart`);
    await sleep((DEMO_POLICY.idleSeconds + 1) * 1000);
    const result = await runAudit({
      target: parseTargetUrl(server.url),
      samples: 3,
      intervalMs: 2000,
      policy: DEMO_POLICY,
      previousState: null,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 5000,
      toolVersion: options.toolVersion,
    });
    if (result.error) throw result.error;
    return { report: result.report, history: result.state.samples };
  } finally {
    await Promise.allSettled(handles.map((handle) => handle.stop()));
    await server.stop();
    options.progress('workload stopped, redis-server stopped');
  }
}
