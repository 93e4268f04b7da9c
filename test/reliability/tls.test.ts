// TLS through the CLI, against a redis-server whose certificate a throwaway CA (made with openssl here)
// signed: the audit works with --tls-ca, and fails with exit 2 and a line naming TLS and the certificate
// without it, or with another CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { cli } from '../support/run-cli.js';
import { reportOf, serverPool } from './server-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'rla-reliability-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA certificate and key: `<name>.crt`, `<name>.key`. */
function makeCa(name: string): void {
  openssl('req', '-x509', ...EC_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

/** A server certificate for localhost and 127.0.0.1, signed by the CA `ca`. */
function makeServerCert(ca: string): void {
  openssl('req', ...EC_KEY, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-CAcreateserial',
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'));
}

const servers = serverPool();
let server: LocalRedisServer;

beforeAll(async () => {
  makeCa('rla-test-ca');
  makeCa('rla-other-ca');
  makeServerCert('rla-test-ca');
  const port = await freePort();
  // startLocalRedis probes the plain port, so TLS takes the port it waits on and the plain port is off.
  server = await servers.start({
    port,
    args: ['--port', '0', '--tls-port', String(port), '--tls-cert-file', file('server.crt'), '--tls-key-file', file('server.key'),
      '--tls-ca-cert-file', file('rla-test-ca.crt'), '--tls-auth-clients', 'no'],
  });
});
afterAll(async () => {
  await servers.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const TIMEOUTS = ['--connect-timeout', '2000', '--command-timeout', '2000'];

describe('an audit over TLS with a self-signed CA', () => {
  it('works with --tls-ca naming the CA that signed the server certificate', async () => {
    const run = await cli(['audit', '--url', `rediss://localhost:${server.port}`, '--tls-ca', file('rla-test-ca.crt'), '--json', ...TIMEOUTS]);

    expect(run.code).toBe(0);
    const report = reportOf(run);
    expect(report.target).toBe(`rediss://localhost:${server.port}`);
    expect(report.auditor.method).toBe('client-list');
    expect(report.nodes[0]?.errors).toEqual([]);
  });

  it('fails with exit 2 and one line naming TLS and the certificate without --tls-ca', async () => {
    const run = await cli(['audit', '--url', `rediss://localhost:${server.port}`, ...TIMEOUTS]);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: TLS handshake .* failed: .*certificate.*; check the CA file/)]);
  });

  it('fails the same way when --tls-ca names another CA', async () => {
    const run = await cli(['audit', '--url', `rediss://127.0.0.1:${server.port}`, '--tls-ca', file('rla-other-ca.crt'), ...TIMEOUTS]);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^redis-leak-audit: TLS handshake .* failed: .*certificate/)]);
  });

  it('fails with exit 2 within its timeouts when a plain redis:// URL points at the TLS port', async () => {
    const run = await cli(['audit', '--url', `redis://127.0.0.1:${server.port}`, '--connect-timeout', '1000', '--command-timeout', '1000']);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
