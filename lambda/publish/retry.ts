// Our one retry loop for every AWS call of the publish adapters. The SDK clients are created with
// `maxAttempts: 1` (aws-clients.ts): left on, the SDK's own standard retries (3 attempts) would multiply
// with these, their delays would not be logged, and the worst-case time of a delivery inside the Lambda
// timeout would be hard to bound. Here the bound is `attempts` calls and a capped, jittered sleep between.
import { AuditError, errorText } from '../core/errors.js';

/** The part of a logger the adapters use; the Powertools Logger fits it. */
export interface WarnLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface RetryInfo {
  readonly what: string;
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

export interface RetryOptions {
  /** Calls in all, the first included. @default 3 */
  readonly attempts?: number;
  /** Backoff base; attempt n sleeps up to base * 2^(n-1), capped. @default 200 */
  readonly baseDelayMs?: number;
  /** Largest single sleep. @default 5000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** 0 <= x < 1; injectable so tests know the jitter. @default Math.random */
  readonly random?: () => number;
  readonly onRetry?: (info: RetryInfo) => void;
}

/** A delivery to AWS failed for good: not retryable, or still failing after the last attempt. */
export class DeliveryError extends AuditError {
  override name = 'DeliveryError';
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly retryable: boolean,
    cause: unknown,
  ) {
    super(`${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorText(cause)}`, { cause });
  }
}

// Error names the SDK gives throttling and transient faults (after @smithy/core's retry classification,
// minus LimitExceededException, which several services use for quotas that no wait will lift).
const THROTTLING = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'SlowDown',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded', 'PriorRequestNotComplete',
]);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
// Node socket errors that a new connection can cure. ENOTFOUND is left out: a wrong endpoint stays wrong.
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Throttling, 5xx, `$retryable` and dropped connections are retried; 4xx (AccessDenied, validation) are not. */
export function isRetryable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: unknown };
  if (e.name === 'AbortError') return false;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  if (THROTTLING.has(name) || THROTTLING.has(code) || TRANSIENT.has(name) || NETWORK_CODES.has(code)) return true;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (status === 429 || status >= 500) return true;
  // Network errors often arrive wrapped (fetch, http2): look a few causes deep.
  return depth < 5 && e.cause !== undefined && isRetryable(e.cause, depth + 1);
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): spreads retries of parallel callers. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, Math.floor(opts.attempts ?? 3));
  const baseDelayMs = opts.baseDelayMs ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 5_000;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const retryable = isRetryable(error);
      if (!retryable || attempt >= attempts) throw new DeliveryError(what, attempt, retryable, error);
      const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      opts.onRetry?.({ what, attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/**
 * Every page of a paginated AWS listing, each page retried on its own (as `<what> page <n>`), at most
 * `maxPages`: `fetch` gets the previous page's token (undefined first) and answers its items and the next token.
 */
export async function collectPages<T>(
  what: string,
  maxPages: number,
  fetch: (token: string | undefined) => Promise<{ readonly items: readonly T[]; readonly next: string | undefined }>,
  opts: RetryOptions,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const answer = await withRetry(`${what} page ${page}`, () => fetch(token), opts);
    items.push(...answer.items);
    token = answer.next;
    if (!token) break;
  }
  return items;
}

/** The onRetry hook the adapters install: one structured warning per retry, no request bodies. */
export function logRetries(logger: WarnLogger | undefined): ((info: RetryInfo) => void) | undefined {
  if (!logger) return undefined;
  return ({ what, attempt, delayMs, error }) => logger.warn('retrying an AWS call', { what, attempt, delayMs, error: errorText(error) });
}

/** Used when no logger is given: one JSON line on stderr, which Lambda sends to CloudWatch Logs. */
export const consoleWarnLogger: WarnLogger = {
  warn: (message, attributes) => console.warn(JSON.stringify({ level: 'WARN', message, ...attributes })),
};
