// A throwaway CA and a server certificate signed by it, made with openssl in a temporary directory (the
// approach of test/reliability/tls.test.ts). EC P-256 keys, valid two days; remove() deletes everything.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The temporary directory that holds every file below (absolute: redis-server changes directory). */
  readonly dir: string;
  /** PEM certificate of the CA: what `--tls-ca` and `--tls-ca-cert-file` name. */
  readonly caFile: string;
  /** PEM server certificate signed by the CA, valid for `altNames`. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Deletes the directory and every file in it. */
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A CA and one server certificate for `altNames` (openssl subjectAltName syntax), by default localhost and
 * 127.0.0.1, in a new temporary directory. Throws (after removing the directory) when openssl fails.
 */
export function makeTestCertificates(altNames = 'DNS:localhost,IP:127.0.0.1'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'rla-certs-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 20_000 });
  try {
    openssl('req', '-x509', ...EC_KEY, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=rla-test-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', ...EC_KEY, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
    writeFileSync(file('server.ext'), `subjectAltName=${altNames}\n`);
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
