// Reads the target list the stack wrote to S3 (target-list-object.ts): the exact version the function's
// environment names, bounded in size, retried like every other S3 call. A missing object or version is a
// configuration error (redeploy); anything else may pass and is left to the invocation's retry.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../core/errors.js';
import { MAX_TARGET_LIST_BYTES } from '../target-list-object.js';
import { DeliveryError, logRetries, withRetry, type WarnLogger } from './retry.js';
import { isNotFound } from './s3-report-store.js';

export interface TargetListLocation {
  readonly bucket: string;
  readonly key: string;
  /** The S3 version id; null reads the current version (a hand-made deployment without one). */
  readonly versionId: string | null;
}

/** The list's text, and where it came from for error messages (`s3://bucket/key`). */
export interface TargetListText {
  readonly text: string;
  readonly source: string;
}

export async function readTargetList(s3: S3Client, at: TargetListLocation, logger: WarnLogger): Promise<TargetListText> {
  const source = `s3://${at.bucket}/${at.key}`;
  const version = at.versionId ? ` (version ${at.versionId})` : '';
  let text: string | null;
  try {
    text = await withRetry(`s3 GetObject ${at.key}`, async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key, ...(at.versionId ? { VersionId: at.versionId } : {}) }));
      if (out.ContentLength !== undefined && out.ContentLength > MAX_TARGET_LIST_BYTES) {
        // Not read: drop the body so its socket goes back to the pool.
        (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return null;
      }
      return (await out.Body?.transformToString('utf-8')) ?? '';
    }, { onRetry: logRetries(logger) });
  } catch (error) {
    if (error instanceof DeliveryError && isNotFound(error.cause)) {
      throw new ConfigError(`the target list ${source}${version} is missing: the stack writes it at deploy time; deploy the stack again`);
    }
    throw error;
  }
  // Content-Length is absent on some responses: measure what arrived too.
  if (text === null || Buffer.byteLength(text, 'utf8') > MAX_TARGET_LIST_BYTES) throw new ConfigError(`the target list ${source} is larger than ${MAX_TARGET_LIST_BYTES} bytes`);
  return { text, source };
}
