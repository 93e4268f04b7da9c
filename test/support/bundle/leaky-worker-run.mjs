// Runs the sandbox leaky worker's inline source (argv[2]: it, written as index.js) in a child process the way a
// warm Lambda environment does: argv[3] invocations one after another in one process. Secrets Manager is a fake
// endpoint on loopback, so the real SDK client (the one the Node.js runtime provides) makes the call. Prints one
// JSON line, then stays alive holding whatever the worker holds, until the test kills it.
import http from 'node:http';
import { createRequire } from 'node:module';
import process from 'node:process';

const file = process.argv[2];
const runs = Number(process.argv[3]);
const calls = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    calls.push({ target: req.headers['x-amz-target'], secretId: JSON.parse(body || '{}').SecretId });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ ARN: process.env.SECRET_ARN, Name: 'sandbox-auth', VersionId: 'v1', SecretString: process.env.FAKE_SECRET_STRING }));
  });
});
server.listen(0, '127.0.0.1', async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: `http://127.0.0.1:${server.address().port}`,
  });
  const { handler } = createRequire(import.meta.url)(file);
  const results = [];
  for (let i = 0; i < runs; i += 1) {
    try {
      results.push(await handler({}, {}));
    } catch (err) {
      results.push({ error: err.message });
    }
  }
  server.closeAllConnections();
  server.close();
  process.stdout.write(`${JSON.stringify({ results, calls })}\n`);
});
