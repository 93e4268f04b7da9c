// The sandbox's leaky worker, run for real: the very source the construct inlines (LEAKY_WORKER_SOURCE) is
// written as index.js and invoked in a child process as a warm Lambda environment would invoke it, against a
// local redis-server with a password (its AUTH token comes from a fake Secrets Manager endpoint through the real
// SDK client). After the handler returns, the connections must still be there, named, idle since they were
// opened, and the auditor must name the workload in a finding.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient, type RespConnectOptions } from '../../cli/demo/resp-client.js';
import { LEAKY_CONNECTIONS_PER_RUN, LEAKY_WORKER_NAME } from '../../lib/sandbox-leaky-workload.js';
import { LEAKY_WORKER_SOURCE } from '../../lib/sandbox-leaky-worker-source.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { cli } from '../support/run-cli.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls-certs.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = fileURLToPath(new URL('../support/bundle/leaky-worker-run.mjs', import.meta.url));
// Characters an ElastiCache AUTH token may hold, so that the RESP lengths are checked on more than letters.
const PASSWORD = 'Leaky-Pa$$word!&#^<>-0123456789ab';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sandbox-auth-AbCdEf';

type Result = { opened: number; held: number; failed: string[] } | { error: string };
interface Run { readonly child: ChildProcess; readonly results: Result[]; readonly calls: Array<{ target: string; secretId: string }> }

// Inside node_modules, so that the source's require of the Secrets Manager client finds the installed one,
// as it finds the runtime's in Lambda.
const dir = join(ROOT, 'node_modules', '.cache', `rla-leaky-worker-${process.pid}`);
const file = join(dir, 'index.js');
const children: ChildProcess[] = [];

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
  writeFileSync(file, LEAKY_WORKER_SOURCE);
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the worker process, invokes the handler `runs` times, and resolves once it printed its results; it keeps running. */
function runWorker(runs: number, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, file, String(runs)], {
      env: { PATH: process.env.PATH ?? '', SECRET_ARN, FAKE_SECRET_STRING: JSON.stringify({ username: 'default', password: PASSWORD }), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"results"'));
      if (line) resolve({ child, ...(JSON.parse(line) as Omit<Run, 'child'>) });
    });
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before printing its results:\n${out}\n${err.slice(-2000)}`)));
  });
}

async function workerClients(options: RespConnectOptions): Promise<ClientRecord[]> {
  const observer = await RespClient.connect(options);
  try {
    await observer.command('AUTH', 'default', PASSWORD);
    const list = await observer.command('CLIENT', 'LIST');
    return parseClientList(String(list)).clients.filter((c) => c.name === LEAKY_WORKER_NAME);
  } finally {
    await observer.close();
  }
}

describe('the leaky worker against a local redis-server (plain TCP)', () => {
  let redis: LocalRedisServer;

  beforeAll(async () => {
    redis = await startLocalRedis({ args: ['--requirepass', PASSWORD] });
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('opens its connections per invocation, names them, never closes them, and the auditor names the workload', async () => {
    const run = await runWorker(3, { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), REDIS_TLS: 'false', CONNECTIONS_PER_RUN: '5', MAX_HELD: '12' });

    // One warm environment: 5, then 5 more, then up to the cap; the secret is read once.
    expect(run.results).toEqual([{ opened: 5, held: 5, failed: [] }, { opened: 5, held: 10, failed: [] }, { opened: 2, held: 12, failed: [] }]);
    expect(run.calls).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN }]);
    const first = await workerClients({ host: redis.host, port: redis.port });
    expect(first).toHaveLength(12);
    for (const c of first) expect([c.sourceIp, c.cmd, c.user]).toEqual(['127.0.0.1', 'client|setname', 'default']);

    // Redis measures idle itself: real time passes, no more than until every one is idle 2 s.
    const later = await waitFor(() => workerClients({ host: redis.host, port: redis.port }), (list) => list.length === 12 && list.every((c) => c.idleSeconds >= 2), {
      what: "the worker's 12 connections idle 2 s", timeoutMs: 6000, intervalMs: 100,
    });
    // The same connections, still open after every handler returned, and unused since they were opened.
    expect(later.map((c) => c.id).sort()).toEqual(first.map((c) => c.id).sort());
    for (const c of later) {
      expect(c.idleSeconds).toBeGreaterThanOrEqual(2);
      expect(c.ageSeconds - c.idleSeconds).toBeLessThanOrEqual(1);
    }
    expect(run.child.exitCode).toBeNull();

    // The auditor, with thresholds in seconds (as the demo does), reports them as one workload's leak.
    const url = `redis://default:${encodeURIComponent(PASSWORD)}@${redis.host}:${redis.port}`;
    const audit = await cli(['audit', '--url', url, '--idle-seconds', '2', '--min-group-connections', '10', '--json', '--fail-on', 'never']);
    expect(audit.stderr).toBe('');
    const report = JSON.parse(audit.stdout) as { findings: Array<{ kind: string; subject: { workload: string; identifiedBy: string }; evidence: Record<string, number> }> };
    const leak = report.findings.find((f) => f.subject.workload === LEAKY_WORKER_NAME);
    expect(leak).toMatchObject({ kind: 'idle-connections', subject: { identifiedBy: 'client-name' }, evidence: { connections: 12, usedOnceIdleConnections: 12 } });
  }, 30_000);

  it('fails the invocation, without the password in the error, when the cache refuses the password', async () => {
    const run = await runWorker(1, { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), REDIS_TLS: 'false', FAKE_SECRET_STRING: JSON.stringify({ password: 'not-the-password-0123' }) });

    expect(run.results).toEqual([{ error: expect.stringMatching(/^no connection opened: the cache refused: WRONGPASS/) }]);
    expect(JSON.stringify(run.results)).not.toContain('not-the-password');
    expect(await workerClients({ host: redis.host, port: redis.port })).toEqual([]);
  }, 30_000);
});

describe('the leaky worker over TLS, as deployed', () => {
  let redis: LocalRedisServer;
  let certs: TestCertificates;

  beforeAll(async () => {
    certs = makeTestCertificates();
    const port = await freePort();
    redis = await startLocalRedis({
      port,
      args: ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile,
        '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no', '--requirepass', PASSWORD],
    });
  });

  afterAll(async () => {
    await redis?.stop();
    certs?.remove();
  });

  it('connects with TLS, checking the server name, and leaks the same way', async () => {
    // The CA the way a Lambda trusts ElastiCache's: in the process's trust store, not in the worker's code.
    const run = await runWorker(1, { REDIS_HOST: 'localhost', REDIS_PORT: String(redis.port), REDIS_TLS: 'true', NODE_EXTRA_CA_CERTS: certs.caFile });

    // No CONNECTIONS_PER_RUN given: the source's own default is the construct's number.
    expect(run.results).toEqual([{ opened: LEAKY_CONNECTIONS_PER_RUN, held: LEAKY_CONNECTIONS_PER_RUN, failed: [] }]);
    const clients = await workerClients({ host: '127.0.0.1', port: redis.port, ca: readFileSync(certs.caFile) });
    expect(clients).toHaveLength(LEAKY_CONNECTIONS_PER_RUN);
  }, 30_000);
});
