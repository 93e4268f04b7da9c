import { describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, collectPages, DeliveryError, isRetryable, withRetry, type RetryInfo } from '../../../lambda/publish/retry.js';

/** An SDK-shaped service error. */
function awsError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $metadata: { httpStatusCode }, ...extra });
}

/** Fails with the given errors in turn, then answers 'ok'. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const fn = vi.fn(async () => {
    const error = errors[calls++];
    if (error !== undefined) throw error;
    return 'ok';
  });
  return fn;
}

const noSleep = { sleep: vi.fn(async () => {}), random: () => 0.5 };

describe('withRetry', () => {
  it('retries a throttled call and returns its later answer', async () => {
    const fn = failing(awsError('ThrottlingException', 400));
    await expect(withRetry('put', fn, noSleep)).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('fails at once on AccessDenied, keeping the SDK error as the cause', async () => {
    const denied = awsError('AccessDenied', 403);
    const fn = failing(denied);
    const error = await withRetry('s3 PutObject k', fn, noSleep).catch((e: unknown) => e);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ name: 'DeliveryError', what: 's3 PutObject k', attempts: 1, retryable: false, cause: denied });
    expect((error as Error).message).toBe('s3 PutObject k failed after 1 attempt: AccessDenied: AccessDenied from the service');
  });

  it('stops after the given number of attempts', async () => {
    const fn = failing(...Array.from({ length: 10 }, () => awsError('InternalError', 500)));
    const error = await withRetry('publish', fn, { ...noSleep, attempts: 4 }).catch((e: unknown) => e);
    expect(fn).toHaveBeenCalledTimes(4);
    expect(error).toMatchObject({ attempts: 4, retryable: true });
  });

  it('makes three attempts by default', async () => {
    const fn = failing(...Array.from({ length: 10 }, () => awsError('SlowDown', 503)));
    await expect(withRetry('put', fn, noSleep)).rejects.toThrow(/after 3 attempts/);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('reports each retry to onRetry with the attempt, the delay and the error', async () => {
    const first = awsError('Throttling', 400);
    const second = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const seen: RetryInfo[] = [];
    const sleep = vi.fn(async () => {});
    await withRetry('metrics', failing(first, second), { sleep, random: () => 0.5, baseDelayMs: 100, onRetry: (info) => seen.push(info) });
    expect(seen).toEqual([
      { what: 'metrics', attempt: 1, delayMs: 50, error: first },
      { what: 'metrics', attempt: 2, delayMs: 100, error: second },
    ]);
    expect(sleep.mock.calls).toEqual([[50], [100]]);
  });
});

describe('isRetryable', () => {
  it.each([
    ['ThrottlingException', awsError('ThrottlingException', 400)],
    ['Throttling (query protocol)', awsError('Throttling', 400)],
    ['ThrottledException (SNS)', awsError('ThrottledException', 400)],
    ['TooManyRequestsException', awsError('TooManyRequestsException', 429)],
    ['SlowDown (S3)', awsError('SlowDown', 503)],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', 400)],
    ['any 5xx', awsError('Whatever', 502)],
    ['$retryable', awsError('Odd', 400, { $retryable: {} })],
    ['ECONNRESET', Object.assign(new Error('reset'), { code: 'ECONNRESET' })],
    ['ETIMEDOUT', Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })],
    ['TimeoutError', Object.assign(new Error('request timed out'), { name: 'TimeoutError' })],
    ['a wrapped network error', new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })],
  ])('retries %s', (_label, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['AccessDenied', awsError('AccessDenied', 403)],
    ['a validation error', awsError('InvalidParameterValue', 400)],
    ['NoSuchBucket', awsError('NoSuchBucket', 404)],
    ['an AbortError', Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ECONNRESET' })],
    ['a programming error', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
  ])('does not retry %s', (_label, error) => {
    expect(isRetryable(error)).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt, jitters below it and caps it', () => {
    const top = () => 0.999_999;
    expect(backoffDelayMs(1, 200, 5_000, top)).toBe(199);
    expect(backoffDelayMs(3, 200, 5_000, top)).toBe(799);
    expect(backoffDelayMs(10, 200, 5_000, top)).toBe(4_999);
    expect(backoffDelayMs(3, 200, 5_000, () => 0)).toBe(0);
  });
});

describe('collectPages', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

  it('follows the tokens to the last page, retrying each page on its own', async () => {
    const pages: Record<string, { items: number[]; next: string | undefined }> = { first: { items: [1, 2], next: 't2' }, t2: { items: [3], next: undefined } };
    let failedOnce = false;
    const asked: Array<string | undefined> = [];
    const items = await collectPages('test listing', 10, async (token) => {
      asked.push(token);
      if (token === 't2' && !failedOnce) {
        failedOnce = true;
        throw throttled();
      }
      return pages[token ?? 'first'] ?? { items: [], next: undefined };
    }, { sleep: async () => undefined });
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 't2', 't2']);
  });

  it('stops after maxPages even when the API offers more', async () => {
    let calls = 0;
    const items = await collectPages('endless listing', 3, async () => ({ items: [++calls], next: 'more' }), {});
    expect(items).toEqual([1, 2, 3]);
  });

  it('names the page that failed for good', async () => {
    await expect(collectPages('test listing', 5, async () => Promise.reject(Object.assign(new Error('no'), { name: 'AccessDenied' })), {}))
      .rejects.toThrow('test listing page 1 failed after 1 attempt: AccessDenied: no');
  });
});
