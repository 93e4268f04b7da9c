// The handler's configuration: the environment, plus the target list the stack wrote to S3 when the environment
// names one (target-list-object.ts). Loaded once per execution environment: the list's version is pinned in the
// environment, so what was read stays true until the next deploy, which replaces the environment. A configuration
// error is kept for the same reason; any other failure (S3 unreachable) is not, so the next invocation tries again.
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, reportBucketOf, type LambdaConfig } from './config.js';
import { ConfigError } from './core/errors.js';
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
