// The handler's configuration: the environment, plus the target list the stack wrote to S3 when the environment
// names one (target-list-object.ts). Loaded once per execution environment: the list's version is pinned in the
// environment, so what was read stays true until the next deploy, which replaces the environment. A configuration
// error is kept for the same reason; any other failure (S3 unreachable) is not, so the next invocation tries again.
// The handler gets it from the `loadConfiguration` middleware, through its context.
import type { S3Client } from '@aws-sdk/client-s3';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig, reportBucketOf, type LambdaConfig } from './config.js';
import { AuditError, ConfigError, errorText } from './core/errors.js';
import { readTargetList } from './publish/s3-target-list.js';
import type { WarnLogger } from './publish/retry.js';
import { TARGET_LIST_ENV } from './target-list-object.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigSource {
  readonly env: Env;
  /** The S3 client the list is read with (only called when the environment names a list). */
  readonly s3: () => S3Client;
  readonly logger: WarnLogger;
}

/** A loader that reads the configuration on first call and answers the same from then on (see above). */
export function configLoader(source: ConfigSource): () => Promise<LambdaConfig> {
  let loaded: Promise<LambdaConfig> | undefined;
  return () => {
    loaded ??= load(source).catch((error: unknown) => {
      if (!(error instanceof ConfigError)) loaded = undefined;
      throw error;
    });
    return loaded;
  };
}

async function load({ env, s3, logger }: ConfigSource): Promise<LambdaConfig> {
  const key = env[TARGET_LIST_ENV.key]?.trim();
  if (!key) return loadConfig(env);
  const bucket = reportBucketOf(env);
  const versionId = env[TARGET_LIST_ENV.version]?.trim() || null;
  const list = await readTargetList(s3(), { bucket, key, versionId }, logger);
  return loadConfig(env, list);
}

export interface LoadConfigurationOptions {
  /** Reads the configuration: a configLoader, so that warm invocations answer from memory. */
  readonly load: () => Promise<LambdaConfig>;
  /** Where a configuration that could not be loaded is logged. */
  readonly logger: { error(message: string, attributes: Record<string, unknown>): void };
}

/** An invocation's context once `loadConfiguration` ran: middy's way to hand a handler what a middleware read. */
export interface ConfiguredContext extends Context {
  readonly config: LambdaConfig;
}

/**
 * A middy middleware: `before` puts the configuration on the invocation's context (read it with configOf);
 * `onError` logs why it could not be loaded (its text names the variable or the object, never a secret's value),
 * and leaves every other error as it is. The error is thrown on, so the invocation fails.
 */
export function loadConfiguration(options: LoadConfigurationOptions): MiddlewareObj<unknown, unknown, Error, Context> {
  const failed = new WeakSet<object>();
  return {
    before: async (request) => {
      try {
        Object.assign(request.context, { config: await options.load() });
      } catch (error) {
        failed.add(request);
        throw error;
      }
    },
    onError: (request) => {
      if (!failed.has(request)) return;
      const { error } = request;
      options.logger.error(error instanceof ConfigError ? 'configuration is invalid' : 'configuration could not be read', { error: errorText(error) });
    },
  };
}

/** The configuration `loadConfiguration` put on this invocation's context. */
export function configOf(context: Context): LambdaConfig {
  const { config } = context as Partial<ConfiguredContext>;
  if (config === undefined) throw new AuditError('no configuration on the context: the handler runs behind the loadConfiguration middleware');
  return config;
}
