// Runs the Lambda bundle (argv[2]) once with discovery and a configured target, in a child process, as the stack
// deploys it: a fake AWS endpoint on loopback answers ElastiCache in its query/XML protocol, S3 (the target list
// at its pinned version, reports, state) and CloudWatch, so the real SDK serialises and parses the calls; the
// discovered group's primary endpoint and the configured target are a real local redis-server (argv[3]).
// Prints one JSON line.
import http from 'node:http';
import { createRequire } from 'node:module';
import process from 'node:process';

const bundle = process.argv[2];
const redisPort = Number(process.argv[3]);
const seen = [];
const TARGET_LIST_KEY = 'config/audit-targets.json';
const TARGET_LIST_VERSION = 'Wv3pXvZ.kq1hR0c4mA_7Jf2nT8sYb6dE';
const stored = new Map();
const xml = (action, inner) => `<${action}Response xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const action = /Action=([A-Za-z]+)/.exec(body)?.[1];
    if (action) {
      seen.push(action);
      res.writeHead(200, { 'content-type': 'text/xml' });
      if (action === 'DescribeReplicationGroups') {
        return res.end(xml(action, `<ReplicationGroups><ReplicationGroup><ReplicationGroupId>orders</ReplicationGroupId><Status>available</Status><NodeGroups><NodeGroup><NodeGroupId>0001</NodeGroupId><PrimaryEndpoint><Address>127.0.0.1</Address><Port>${redisPort}</Port></PrimaryEndpoint></NodeGroup></NodeGroups><ClusterEnabled>false</ClusterEnabled><TransitEncryptionEnabled>false</TransitEncryptionEnabled><ARN>arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:orders</ARN><Engine>valkey</Engine></ReplicationGroup><ReplicationGroup><ReplicationGroupId>untagged</ReplicationGroupId><Status>available</Status><NodeGroups><NodeGroup><PrimaryEndpoint><Address>127.0.0.1</Address><Port>1</Port></PrimaryEndpoint></NodeGroup></NodeGroups><ARN>arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:untagged</ARN></ReplicationGroup></ReplicationGroups>`));
      }
      if (action === 'ListTagsForResource') {
        const tagged = body.includes('replicationgroup%3Aorders');
        return res.end(xml(action, `<TagList>${tagged ? '<Tag><Key>leak-audit</Key><Value>on</Value></Tag>' : ''}<Tag><Key>team</Key><Value>x</Value></Tag></TagList>`));
      }
      return res.end(xml(action, ''));
    }
    if (req.headers['x-amz-target'] || String(req.headers['smithy-protocol'] ?? '').includes('cbor')) {
      seen.push(`cloudwatch ${req.headers['x-amz-target'] ?? req.url}`);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-amz-json-1.0', 'smithy-protocol': req.headers['smithy-protocol'] ?? '' });
      return res.end();
    }
    // The query is kept for the target list only: its versionId is what the test checks.
    const path = req.url.split('?')[0];
    seen.push(`s3 ${req.method} ${path.endsWith(TARGET_LIST_KEY) ? req.url : path}`);
    if (req.method === 'GET' && req.url.startsWith(`/audit-reports-test/${TARGET_LIST_KEY}?`) && req.url.includes(`versionId=${TARGET_LIST_VERSION}`)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify([{ name: 'orders-configured', url: `redis://127.0.0.1:${redisPort}` }]));
    }
    if (req.method === 'PUT') { stored.set(req.url.split('?')[0], body); res.writeHead(200, { ETag: '"e"' }); return res.end(); }
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
  });
});
server.listen(0, '127.0.0.1', async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: `http://127.0.0.1:${server.address().port}`,
    REPORT_BUCKET: 'audit-reports-test', AUDIT_TARGETS_S3_KEY: TARGET_LIST_KEY, AUDIT_TARGETS_S3_VERSION: TARGET_LIST_VERSION, DISCOVERY: JSON.stringify({ tags: { 'leak-audit': 'on' }, kinds: ['replication-group'] }),
  });
  const { handler } = createRequire(import.meta.url)(bundle);
  const result = await handler({}, { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 60000 });
  const report = JSON.parse(stored.get('/audit-reports-test/reports/orders/latest.json') ?? '{}');
  process.stdout.write(`${JSON.stringify({ result, calls: seen, report })}\n`);
  server.close();
});
