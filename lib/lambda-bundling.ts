// How the Lambda is bundled, in one place: the construct (NodejsFunction) and the bundle benchmark use it.
// Everything is bundled, the AWS SDK included (the runtime's SDK may differ from the one we tested with),
// except the EC2, ECS and ElastiCache clients: each would add about 1 MB for a few Describe/List calls, and every
// Node.js Lambda runtime ships the SDK v3 clients, so they are required from the runtime on first use
// (lambda/publish/ec2-sdk.ts, lambda/publish/ecs-sdk.ts, lambda/discovery/elasticache-sdk.ts).
// That lazy require needs import.meta.url, which a CommonJS bundle lacks: it is defined from __filename.
// The source map is shipped but not enabled (no --enable-source-maps): enabling it costs ~60 ms of every cold
// start (bench/README.md), and the logs carry error names and messages, not stacks.
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  externalModules: ['@aws-sdk/client-ec2', '@aws-sdk/client-ecs', '@aws-sdk/client-elasticache'],
  define: { 'import.meta.url': '__rla_import_meta_url' },
  banner: "const __rla_import_meta_url = require('url').pathToFileURL(__filename).href;",
} as const;
