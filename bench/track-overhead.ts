// What redis-leak-auditor/track costs an application (`npm run bench:track`; a step of `npm run bench`): client
// creation (new client + connect + quit) and a loop of sequential GETs, with and without track(), for ioredis
// and node-redis, side by side against one local redis-server. Plain and tracked runs alternate within each
// repetition, so drift on the machine falls on both; medians of the repetitions. Writes bench/track-results.json
// (with --smoke: tiny sizes, written to the OS temp dir, so the working tree is left alone).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import { startLocalRedis } from '../cli/demo/local-redis-server.js';
import { track } from '../track/index.js';
import { formatTable, median, round } from './bench-util.js';

const smoke = process.argv.includes('--smoke');
const SIZES = smoke ? { creations: 5, gets: 500, repetitions: 2 } : { creations: 200, gets: 20_000, repetitions: 7 };
const OUT = smoke ? join(tmpdir(), 'redis-leak-auditor-bench', 'track-results.smoke.json') : join(dirname(fileURLToPath(import.meta.url)), 'track-results.json');
// High enough that the bench's many clients from one line are no warning: the bench measures, it does not leak.
const TRACK = { service: 'bench', maxClientsPerOrigin: 1_000_000 };

type Library = 'ioredis' | 'node-redis';
type Mode = 'plain' | 'tracked';

interface Client {
  get(key: string): Promise<unknown>;
  close(): Promise<unknown>;
}

async function open(library: Library, mode: Mode, port: number): Promise<Client> {
  if (library === 'ioredis') {
    const raw = new Redis({ port, lazyConnect: true });
    const redis = mode === 'tracked' ? track(raw, TRACK) : raw;
    await redis.connect();
    return { get: (k) => redis.get(k), close: () => redis.quit() };
  }
  const raw = createClient({ socket: { port, host: '127.0.0.1' } });
  const client = mode === 'tracked' ? track(raw, TRACK) : raw;
  await client.connect();
  return { get: (k) => client.get(k), close: () => client.close() };
}

/** Mean milliseconds per client for `creations` of (new + connect + quit), one after another. */
async function creationMs(library: Library, mode: Mode, port: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < SIZES.creations; i += 1) await (await open(library, mode, port)).close();
  return (performance.now() - start) / SIZES.creations;
}

/** GETs per second over `gets` sequential GETs on one connected client. */
async function getsPerSecond(library: Library, mode: Mode, port: number): Promise<number> {
  const client = await open(library, mode, port);
  try {
    for (let i = 0; i < 200; i += 1) await client.get('key'); // warm-up: JIT and the socket
    const start = performance.now();
    for (let i = 0; i < SIZES.gets; i += 1) await client.get('key');
    return SIZES.gets / ((performance.now() - start) / 1000);
  } finally {
    await client.close();
  }
}

/**
 * Microseconds per track() call, on clients made (not connected) beforehand: the stack capture, the name and the
 * registry, all the companion adds to creating a client. CPU only, so steadier than the socket timings.
 */
function trackCallUs(library: Library, port: number): number {
  const count = SIZES.creations * 5;
  const clients = Array.from({ length: count }, () => (library === 'ioredis'
    ? new Redis({ port, lazyConnect: true })
    : createClient({ socket: { port, host: '127.0.0.1' } })));
  const start = performance.now();
  for (const client of clients) track(client, TRACK);
  return ((performance.now() - start) * 1000) / count;
}

const server = await startLocalRedis({ ipv6: false });
const samples: Record<string, { creationMs: number[]; getsPerSecond: number[] }> = {};
const trackCall: Record<Library, number[]> = { ioredis: [], 'node-redis': [] };
try {
  for (let rep = 0; rep < SIZES.repetitions; rep += 1) {
    for (const library of ['ioredis', 'node-redis'] as const) {
      trackCall[library].push(trackCallUs(library, server.port));
      // Alternate which mode goes first, so neither always runs on a warmer process.
      const modes: Mode[] = rep % 2 === 0 ? ['plain', 'tracked'] : ['tracked', 'plain'];
      for (const mode of modes) {
        const key = `${library}/${mode}`;
        samples[key] ??= { creationMs: [], getsPerSecond: [] };
        samples[key].creationMs.push(await creationMs(library, mode, server.port));
        samples[key].getsPerSecond.push(await getsPerSecond(library, mode, server.port));
      }
    }
  }
} finally {
  await server.stop();
}

const rows = (['ioredis', 'node-redis'] as const).map((library) => {
  const plain = samples[`${library}/plain`]!;
  const tracked = samples[`${library}/tracked`]!;
  const createPlain = median(plain.creationMs);
  const createTracked = median(tracked.creationMs);
  const getsPlain = median(plain.getsPerSecond);
  const getsTracked = median(tracked.getsPerSecond);
  return {
    library,
    trackCallUs: round(median(trackCall[library]), 1),
    creationMs: { plain: round(createPlain, 3), tracked: round(createTracked, 3), overheadMs: round(createTracked - createPlain, 3) },
    getsPerSecond: { plain: Math.round(getsPlain), tracked: Math.round(getsTracked), changePercent: round((getsTracked / getsPlain - 1) * 100, 1) },
    samples: { plain, tracked, trackCallUs: trackCall[library] },
  };
});

const results = {
  mode: smoke ? 'smoke' : 'full',
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
  sizes: SIZES,
  libraries: rows,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${formatTable({
  title: `redis-leak-auditor/track overhead (median of ${SIZES.repetitions}; ${SIZES.creations} creations, ${SIZES.gets} sequential GETs)`,
  headers: ['library', 'track() µs', 'create ms plain', 'create ms tracked', 'overhead ms', 'GET/s plain', 'GET/s tracked', 'change %'],
  rows: rows.map((r) => [r.library, r.trackCallUs, r.creationMs.plain, r.creationMs.tracked, r.creationMs.overheadMs, r.getsPerSecond.plain, r.getsPerSecond.tracked, r.getsPerSecond.changePercent]),
  notes: [
    'track() = the call alone, on clients made beforehand; create = new client + connect + quit, one after another;',
    'GETs on one client, one at a time, after 200 warm-up GETs',
  ],
})}`);
console.log(`track results written to ${OUT}`);
