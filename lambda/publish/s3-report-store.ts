// The S3 backend of ReportStore: reports under reports/<target>/, the history between runs under state/.
// Keys follow docs/design.md (Contract: AWS). Every call goes through withRetry; the client has maxAttempts 1.
import { GetObjectCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConfigError, errorText } from '../core/errors.js';
import type { AuditReport } from '../core/report.js';
import type { AuditState } from '../core/state.js';
import { TARGET_NAME, TARGET_NAME_FORM } from '../core/target-rules.js';
import { safeJson } from '../core/text-safety.js';
import type { ReportStore, StoredReport } from './ports.js';
import { consoleWarnLogger, logRetries, withRetry, type RetryOptions, type WarnLogger } from './retry.js';

/** SigV4 query signatures are refused beyond 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** See S3ReportStoreOptions.credentialsExpiry. */
export type CredentialsExpiry = Date | 'never' | undefined;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export interface S3ReportStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Customer managed key for SSE-KMS. @default none: no SSE header, the bucket's default encryption applies */
  readonly kmsKeyArn?: string;
  /** The bucket's region, for the console link. */
  readonly region: string;
  /** Requested lifetime of the presigned report link, 1..604800. */
  readonly presignExpiresSeconds: number;
  /**
   * When the signing credentials expire (a presigned URL dies with them): a date, `'never'` for long-term keys
   * (no session token), undefined for temporary credentials that carry no readable expiry (Lambda's).
   * @default read from the S3 client's own credentials
   */
  readonly credentialsExpiry?: () => Promise<CredentialsExpiry>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default getSignedUrl of @aws-sdk/s3-request-presigner */
  readonly presign?: (command: GetObjectCommand, expiresIn: number) => Promise<string>;
  /** @default attempts 3, base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** Retries and unsigned links are reported here. @default JSON lines on stderr */
  readonly logger?: WarnLogger;
}

export class S3ReportStore implements ReportStore {
  private readonly now: () => number;
  private readonly presign: (command: GetObjectCommand, expiresIn: number) => Promise<string>;
  private readonly credentialsExpiry: () => Promise<CredentialsExpiry>;
  private readonly logger: WarnLogger;
  private readonly retry: RetryOptions;

  constructor(private readonly options: S3ReportStoreOptions) {
    const seconds = options.presignExpiresSeconds;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
      throw new ConfigError(`presignExpiresSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS} (7 days), not ${seconds}`);
    }
    if (options.bucket === '') throw new ConfigError('the report bucket name is empty');
    this.now = options.now ?? Date.now;
    this.presign = options.presign ?? ((command, expiresIn) => getSignedUrl(options.s3, command, { expiresIn }));
    // Reading the client's own provider also refreshes credentials close to expiry, so the presigner
    // that runs right after signs with the very credentials whose expiration we state.
    this.credentialsExpiry = options.credentialsExpiry ?? (async () => expiryOf(await options.s3.config.credentials()));
    this.logger = options.logger ?? consoleWarnLogger;
    this.retry = { ...options.retry, onRetry: logRetries(this.logger) };
  }

  async loadState(target: string): Promise<string | null> {
    const key = stateKey(target);
    return withRetry(`s3 GetObject ${key}`, async () => {
      try {
        const out = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
        return (await out.Body?.transformToString('utf-8')) ?? '';
      } catch (error) {
        // The first run has no state yet. (S3 answers 403, not 404, when the role lacks s3:ListBucket.)
        if (isNotFound(error)) return null;
        throw error;
      }
    }, this.retry);
  }

  async saveState(target: string, state: AuditState): Promise<void> {
    await this.put(stateKey(target), JSON.stringify(state), {});
  }

  async saveReport(target: string, report: AuditReport, html?: string): Promise<StoredReport> {
    const key = reportKey(target, report.generatedAt);
    const latestKey = `reports/${checkTarget(target)}/latest.json`;
    const body = safeJson(report, 2);
    // Dated object first: if it fails, latest.json still points at the last report that was stored whole.
    await this.put(key, body, {});
    await this.put(latestKey, body, { CacheControl: 'no-cache' });
    const jsonConsoleUrl = consoleUrl(this.options.bucket, this.options.region, key);
    if (html === undefined) {
      return { key, latestKey, htmlKey: null, consoleUrl: jsonConsoleUrl, jsonConsoleUrl, ...(await this.presignedLink(key)) };
    }
    // The page people open from the alert: beside the JSON, same name, and as latest.html.
    const htmlKey = key.replace(/\.json$/, '.html');
    await this.put(htmlKey, html, { ContentType: HTML_CONTENT_TYPE });
    await this.put(`reports/${checkTarget(target)}/latest.html`, html, { ContentType: HTML_CONTENT_TYPE, CacheControl: 'no-cache' });
    return {
      key, latestKey, htmlKey, jsonConsoleUrl,
      consoleUrl: consoleUrl(this.options.bucket, this.options.region, htmlKey),
      ...(await this.presignedLink(htmlKey)),
    };
  }

  private async put(key: string, body: string, extra: Partial<PutObjectCommandInput>): Promise<void> {
    const input: PutObjectCommandInput = {
      Bucket: this.options.bucket,
      Key: key,
      Body: body,
      ContentType: JSON_CONTENT_TYPE,
      ...extra,
      ...(this.options.kmsKeyArn ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyArn } : {}),
    };
    await withRetry(`s3 PutObject ${key}`, () => this.options.s3.send(new PutObjectCommand(input)), this.retry);
  }

  /**
   * A link that works without a console login, with its true lifetime; nulls rather than a failed delivery.
   * When the credentials' expiry is unknown, so is the link's end: `presignedExpiresAt` is then null, and the
   * URL's own X-Amz-Date + X-Amz-Expires is only an upper bound (S3 refuses the link once the session expires).
   */
  private async presignedLink(key: string): Promise<Pick<StoredReport, 'presignedUrl' | 'presignedExpiresAt'>> {
    const none = { presignedUrl: null, presignedExpiresAt: null };
    try {
      const nowMs = this.now();
      const expiry = await this.credentialsExpiry();
      const credentialSeconds = expiry instanceof Date ? Math.floor((expiry.getTime() - nowMs) / 1000) : Infinity;
      const seconds = Math.min(this.options.presignExpiresSeconds, credentialSeconds);
      if (!(seconds >= 1)) {
        this.logger.warn('report link not presigned: the signing credentials expire now', { key });
        return none;
      }
      // Signing for the shorter lifetime makes X-Amz-Expires tell the truth too.
      const url = await this.presign(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), seconds);
      return { presignedUrl: url, presignedExpiresAt: expiry === undefined ? null : new Date(nowMs + seconds * 1000).toISOString() };
    } catch (error) {
      this.logger.warn('report link not presigned', { key, error: errorText(error) });
      return none;
    }
  }
}

/** Temporary credentials always carry a session token; without one they are long-term keys, which do not expire. */
function expiryOf(credentials: { sessionToken?: string; expiration?: Date }): CredentialsExpiry {
  if (credentials.expiration !== undefined) return credentials.expiration;
  return credentials.sessionToken ? undefined : 'never';
}

/** Target names become key segments: refuse anything that could escape or confuse the prefix. */
export function checkTarget(target: string): string {
  if (!TARGET_NAME.test(target) || target === '.' || target === '..') {
    throw new ConfigError(`target name ${JSON.stringify(target.slice(0, 80))} is not ${TARGET_NAME_FORM} (and not . or ..)`);
  }
  return target;
}

export function stateKey(target: string): string {
  return `state/${checkTarget(target)}.json`;
}

/** `reports/<target>/<yyyy>/<mm>/<dd>/<iso>.json`, UTC, ':' replaced so the key is safe in URLs and file names. */
export function reportKey(target: string, generatedAt: string): string {
  const at = new Date(generatedAt);
  if (Number.isNaN(at.getTime())) throw new Error(`report.generatedAt is not a date: ${JSON.stringify(generatedAt)}`);
  const iso = at.toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  return `reports/${checkTarget(target)}/${yyyy}/${mm}/${dd}/${iso.replaceAll(':', '-')}.json`;
}

/**
 * The console's current object page form (regional host, `bucketType=general` since directory buckets).
 * China and GovCloud have consoles of their own; the page path there is assumed to be the same.
 */
export function consoleUrl(bucket: string, region: string, key: string): string {
  const host = region.startsWith('cn-') ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-') ? 'console.amazonaws-us-gov.com'
      : `${region}.console.aws.amazon.com`;
  const query = `region=${encodeURIComponent(region)}&bucketType=general&prefix=${encodeURIComponent(key)}`;
  return `https://${host}/s3/object/${encodeURIComponent(bucket)}?${query}`;
}

/** S3's answer for an object (or, when read by version, a version) that is not there. */
export function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'NoSuchKey' || e.name === 'NoSuchVersion' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
