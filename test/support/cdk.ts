// Synthesizes the app's stack for a config as `cdk synth` would: cdk.json's feature flags, offline.
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../lib/app-config.js';
import { RedisLeakAuditorStack } from '../../lib/redis-leak-auditor-stack.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
export const EXAMPLE_EXISTING = JSON.parse(readFileSync(new URL('../../examples/existing.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export interface SynthOptions {
  /** Context given as with -c (strings) or as cdk.json objects. */
  readonly context?: Record<string, unknown>;
  /** Bundle the Lambda with esbuild (slower); otherwise a placeholder asset. */
  readonly bundle?: boolean;
  /** The stack's environment. @default account 123456789012, region eu-west-1 */
  readonly env?: { readonly account: string; readonly region: string };
}

export function appFor(options: SynthOptions = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'rla-cdk-')),
    context: {
      ...cdkJson.context,
      '@aws-cdk/core:validationReportJson': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

export function buildStack(options: SynthOptions = {}): { app: App; stack: RedisLeakAuditorStack } {
  const app = appFor(options);
  const config = loadAppConfig((key) => app.node.tryGetContext(key));
  const stack = new RedisLeakAuditorStack(app, config.stackName, { config, env: options.env ?? { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack };
}

export function templateFor(options: SynthOptions = {}): Template {
  return Template.fromStack(buildStack(options).stack);
}

/** cdk-nag's AWS Solutions findings left unacknowledged after synth, as `rule path` lines. */
export function nagFindings(app: App): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (err) {
    if (!String(err).includes('Validation')) throw err;
  }
  const report = JSON.parse(readFileSync(join(app.outdir, 'policy-validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; violatingResources: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((r) => r.violations.flatMap((v) => v.violatingResources.map((res) => `${v.ruleName} ${res.constructPath}`)));
}
