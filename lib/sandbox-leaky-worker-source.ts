// The sandbox's leaky worker, as the CommonJS source CloudFormation writes to index.js (Lambda inline code,
// `ZipFile`, at most 4,096 characters): dependency-free (node:net, node:tls, raw RESP) so nothing is bundled;
// the one SDK client it loads, Secrets Manager, is the one the Node.js runtime provides. The tests run this
// very string against a local redis-server (test/integration/sandbox-leaky-worker.test.ts).
//
// The leak: each invocation opens CONNECTIONS_PER_RUN connections, authenticates (AUTH <password>), names them
// `sandbox-leaky-worker` (so the auditor reports the workload by that name), and keeps them in a
// module-level array, never closing them. A warm Lambda environment keeps module state, and the sockets
// in it, between invocations, so they pile up as a real leak does (a client created per request).
// MAX_HELD caps them: a Lambda environment has 1,024 file descriptors, and a sandbox cache should not be
// filled up by its demo. A socket the server closes leaves the array, so the count stays true.
//
// Keepalive, and what keeps the connections on the server: nothing closes them on the client; the cache's
// `timeout` is 0; what can end them is TCP. ElastiCache's tcp-keepalive (300) makes the server probe a connection
// after 300 s without a segment from the client, then every 100 s, and close it after 3 unanswered probes: at
// about 600 s. Between invocations Lambda freezes the environment; whether probes that arrive then are answered
// at the next thaw (a minute later at most, before the next probe) is not documented. If they are, the leak
// lasts as long as the environment; if not, each connection lives about 10 minutes, and 6 a minute still keep
// about 30 idle for 300 s or more (those between 300 and 600 s old) on one address, over the auditor's 20.
// The worker's own TCP keepalive (60 s) makes traffic in both directions on every socket each minute or two,
// so flow tracking on the path (the Hyperplane ENI) never ages a connection out, which would turn the server's
// first probe into a reset at 300 s, before the auditor counts it idle; and a probe to a connection the server
// has closed gets a reset, so the socket leaves `held` and the cap counts live connections only. Keepalive is
// TCP only: the server's `idle` (seconds since the last command) keeps growing, which is the leak's signal. The
// handler waits SETTLE_MS before returning so that the answers to the probes its kernel sends at a thaw arrive
// while it runs (unanswered, the client kernel would repeat them and, after a few, drop the connection itself).
//
// AUTH has one argument, the password: that is the default user on every server, and the only form ElastiCache's
// AUTH token (no RBAC) is documented with; the auditor authenticates the same way (lambda/auth/target-credentials.ts).
// REDIS_TLS=false turns TLS off (the local test); the deployed function always sets it to true.
// No template literal in the source: it is written as String.raw, where `${` interpolates (the name, on purpose).

/** The client name the worker gives every connection: the workload the auditor's finding names. */
export const LEAKY_WORKER_NAME = 'sandbox-leaky-worker';

export const LEAKY_WORKER_SOURCE = String.raw`'use strict';
// redis-leak-auditor sandbox: a deliberate Redis connection leak (see the README).
const net = require('node:net');
const tls = require('node:tls');
const env = process.env;
const NAME = '${LEAKY_WORKER_NAME}';
const PER_RUN = Number(env.CONNECTIONS_PER_RUN || 6);
const MAX_HELD = Number(env.MAX_HELD || 200);
const SETTLE_MS = Number(env.SETTLE_MS || 250);
const held = []; // module scope: kept by a warm environment, never closed
let password;

const resp = (args) => '*' + args.length + '\r\n' + args.map((a) => '$' + Buffer.byteLength(a) + '\r\n' + a + '\r\n').join('');

async function secretPassword() {
  if (password === undefined && env.SECRET_ARN) {
    const sm = require('@aws-sdk/client-secrets-manager');
    const client = new sm.SecretsManagerClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 3000, requestTimeout: 3000 } });
    try {
      const out = await client.send(new sm.GetSecretValueCommand({ SecretId: env.SECRET_ARN }));
      password = JSON.parse(out.SecretString).password;
    } finally {
      client.destroy();
    }
  }
  return password;
}

function open(pass) {
  return new Promise((resolve, reject) => {
    const useTls = env.REDIS_TLS !== 'false';
    const to = { host: env.REDIS_HOST, port: Number(env.REDIS_PORT || 6379) };
    const s = useTls ? tls.connect({ ...to, servername: to.host }) : net.connect(to);
    const commands = (pass ? [['AUTH', pass]] : []).concat([['CLIENT', 'SETNAME', NAME]]);
    let text = '';
    const fail = (err) => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('no answer from ' + to.host + ':' + to.port + ' within 5 s')), 5000);
    s.on('error', fail);
    s.on('close', () => {
      const i = held.indexOf(s);
      if (i >= 0) held.splice(i, 1);
    });
    s.once(useTls ? 'secureConnect' : 'connect', () => {
      s.setKeepAlive(true, 60000);
      s.write(commands.map(resp).join(''));
    });
    s.on('data', (chunk) => {
      text += chunk;
      const lines = text.split('\r\n').slice(0, -1);
      if (lines.length < commands.length) return;
      s.removeAllListeners('data');
      const refused = lines.find((l) => l[0] === '-');
      if (refused) return fail(new Error('the cache refused: ' + refused.slice(1)));
      clearTimeout(timer);
      resolve(s);
    });
  });
}

exports.handler = async () => {
  const pass = await secretPassword();
  const count = Math.max(0, Math.min(PER_RUN, MAX_HELD - held.length));
  const results = await Promise.allSettled(Array.from({ length: count }, () => open(pass)));
  for (const r of results) if (r.status === 'fulfilled') held.push(r.value);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason && r.reason.message));
  const summary = { opened: count - failed.length, held: held.length, failed };
  console.log(JSON.stringify(summary));
  await new Promise((done) => setTimeout(done, SETTLE_MS));
  if (count > 0 && failed.length === count) throw new Error('no connection opened: ' + failed[0]);
  return summary;
};
`;
