// Runs the Lambda bundle (argv[2]) once, in a child process, with the targets of argv[3] (AUDIT_TARGETS JSON),
// against a fake AWS endpoint on loopback that stores S3 PUTs and accepts CloudWatch. argv[4]: milliseconds the
// fake context says remain. Prints one JSON line `{"result", "stored", "calls"}` once the handler returns; a
// process that dies before (an uncaught exception, out of memory) prints none.
import http from 'node:http';
import { createRequire } from 'node:module';
import process from 'node:process';

const bundle = process.argv[2];
const targets = process.argv[3];
const remainingMs = Number(process.argv[4] ?? 60000);
const calls = [];
const stored = {};
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    if (body.length < 8 * 1024 * 1024) body += c;
  });
  req.on('end', () => {
    if (req.headers['x-amz-target'] || String(req.headers['smithy-protocol'] ?? '').includes('cbor')) {
      calls.push(`cloudwatch ${req.headers['x-amz-target'] ?? req.url}`);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-amz-json-1.0', 'smithy-protocol': req.headers['smithy-protocol'] ?? '' });
      return res.end();
    }
    const path = req.url.split('?')[0];
    calls.push(`s3 ${req.method} ${path}`);
    if (req.method === 'PUT') {
      stored[path] = body;
      res.writeHead(200, { ETag: '"e"' });
      return res.end();
    }
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
  });
});
server.listen(0, '127.0.0.1', async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: `http://127.0.0.1:${server.address().port}`,
    REPORT_BUCKET: 'audit-reports-test', AUDIT_TARGETS: targets, COMMAND_TIMEOUT_MS: '2000', CONNECT_TIMEOUT_MS: '2000', POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  const started = Date.now();
  const { handler } = createRequire(import.meta.url)(bundle);
  const result = await handler({}, { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => remainingMs - (Date.now() - started) });
  // Reports only (the HTML pages are large and not needed here).
  const reports = Object.fromEntries(Object.entries(stored).filter(([key]) => key.endsWith('/latest.json')));
  process.stdout.write(`${JSON.stringify({ result, stored: reports, calls })}\n`);
  server.close();
});
