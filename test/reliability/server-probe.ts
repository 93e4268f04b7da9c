// Helpers for the reliability tests: a control connection that looks at the audited server from outside
// (it is never the auditor) and a timing utility; waiting is test/support/wait.ts's. Loopback only, always bounded.
import { startLocalRedis, type LocalRedisOptions, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import type { AuditReport } from '../../lambda/core/report.js';
import type { CliRun } from '../support/run-cli.js';
import { expectValidReport } from '../support/report-schema.js';

export const AUDITOR_NAME = 'redis-leak-auditor';

/** Starts redis-servers and stops every one of them in `stopAll()` (call it in afterEach / afterAll). */
export function serverPool() {
  const started: LocalRedisServer[] = [];
  return {
    async start(options: LocalRedisOptions = {}): Promise<LocalRedisServer> {
      const server = await startLocalRedis(options);
      started.push(server);
      return server;
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled(started.splice(0).map((server) => server.stop()));
    },
  };
}

/** A raw connection to the server that is not the auditor, optionally authenticated. */
export async function openControl(server: { host: string; port: number }, auth: string[] = []): Promise<RespClient> {
  const control = await RespClient.connect({ host: server.host, port: server.port });
  if (auth.length > 0) await control.command('AUTH', ...auth);
  return control;
}

/** The CLIENT LIST lines of connections named like the auditor. */
export async function auditorLines(control: RespClient): Promise<string[]> {
  const list = String(await control.command('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(`name=${AUDITOR_NAME} `));
}

/** Every connection the server holds, as CLIENT LIST lines. */
export async function clientLines(control: RespClient): Promise<string[]> {
  return String(await control.command('CLIENT', 'LIST')).split('\n').filter((line) => line.trim() !== '');
}

/** One numeric field of INFO (e.g. total_connections_received). */
export async function infoNumber(control: RespClient, field: string): Promise<number> {
  const text = String(await control.command('INFO'));
  const value = new RegExp(`^${field}:(\\d+)`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`INFO has no ${field}`);
  return Number(value);
}

/** Runs work and measures it; rejects after limitMs so that a hang fails the test with a sentence. */
export async function timed<T>(limitMs: number, work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${limitMs} ms: the run hangs`)), limitMs);
  });
  try {
    const value = await Promise.race([work(), hang]);
    return { value, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** The report a `--json` run printed, validated against the schema. */
export function reportOf(run: CliRun): AuditReport {
  const report = JSON.parse(run.stdout) as AuditReport;
  expectValidReport(report);
  return report;
}
