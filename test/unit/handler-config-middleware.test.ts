// The handler's configuration middleware (lambda/handler-config.ts) in middy: the configuration reaches the
// handler through its context, and only a configuration that could not be loaded is logged by it.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { LambdaConfig } from '../../lambda/config.js';
import { ConfigError } from '../../lambda/core/errors.js';
import { configOf, loadConfiguration } from '../../lambda/handler-config.js';

const config = { reportBucket: 'audit-reports-test' } as LambdaConfig;

function handlerWith(load: () => Promise<LambdaConfig>, body: (context: Context) => unknown = (context) => configOf(context).reportBucket) {
  const logged: Array<{ message: string; attributes: Record<string, unknown> }> = [];
  const logger = { error: (message: string, attributes: Record<string, unknown>) => void logged.push({ message, attributes }) };
  const handler = middy(async (_event: unknown, context: Context) => body(context)).use(loadConfiguration({ load, logger }));
  return { handler, logged };
}

describe('loadConfiguration', () => {
  it('hands the handler the configuration through its context', async () => {
    const { handler, logged } = handlerWith(async () => config);

    expect(await handler({}, {} as Context)).toBe('audit-reports-test');
    expect(logged).toEqual([]);
  });

  it('logs an invalid configuration as such and fails the invocation with its error', async () => {
    const { handler, logged } = handlerWith(() => Promise.reject(new ConfigError("REPORT_BUCKET is not an S3 bucket name: got 'x'")));

    await expect(handler({}, {} as Context)).rejects.toThrow('REPORT_BUCKET is not an S3 bucket name');
    expect(logged).toEqual([{ message: 'configuration is invalid', attributes: { error: "ConfigError: REPORT_BUCKET is not an S3 bucket name: got 'x'" } }]);
  });

  it('logs a configuration that could not be read (S3 unreachable) apart from an invalid one', async () => {
    const { handler, logged } = handlerWith(() => Promise.reject(new Error('s3 GetObject failed after 3 attempts')));

    await expect(handler({}, {} as Context)).rejects.toThrow('s3 GetObject failed after 3 attempts');
    expect(logged.map((l) => l.message)).toEqual(['configuration could not be read']);
  });

  it("leaves the handler's own errors to the handler", async () => {
    const { handler, logged } = handlerWith(async () => config, () => {
      throw new ConfigError('the event names targets that AUDIT_TARGETS does not define: x');
    });

    await expect(handler({}, {} as Context)).rejects.toThrow('does not define: x');
    expect(logged).toEqual([]);
  });

  it('refuses to answer a configuration when the middleware did not run', () => {
    expect(() => configOf({} as Context)).toThrow('loadConfiguration middleware');
  });
});
