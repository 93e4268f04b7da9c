#!/usr/bin/env node
// CDK app entry: configuration -> stack, with cdk-nag's AWS Solutions checks. A bad configuration stops
// synth with one sentence naming the key.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppConfigError, loadAppConfig } from '../lib/app-config.js';
import { RedisLeakAuditorStack } from '../lib/redis-leak-auditor-stack.js';

const app = new App();
try {
  const config = loadAppConfig((key) => app.node.tryGetContext(key));
  const env = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region ?? process.env.CDK_DEFAULT_REGION,
  };
  new RedisLeakAuditorStack(app, config.stackName, { config, env, description: 'redis-leak-auditor: finds Redis/Valkey connection leaks' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (err) {
  if (!(err instanceof AppConfigError)) throw err;
  process.stderr.write(`redis-leak-auditor: ${err.message}\n`);
  process.exit(1);
}
