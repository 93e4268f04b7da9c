import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { assessAudit } from '../../../lambda/core/audit.js';
import { defaultPolicy } from '../../../lambda/core/model.js';
import { S3ReportStore, type S3ReportStoreOptions } from '../../../lambda/publish/s3-report-store.js';

const s3Mock = mockClient(S3Client);
const NOW = Date.parse('2026-11-26T09:05:01.000Z');
const KMS = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

// A real (if unlucky) report and state from the core: one node that could not be read.
const { report, state } = assessAudit({
  target: 'redis://cache.internal:6379', samples: [], failedNodes: [{ node: 'cache.internal:6379', error: 'ECONNREFUSED', refusedMaxClients: false }],
  previousState: null, policy: defaultPolicy, startedAtMs: NOW - 50, nowMs: NOW, toolVersion: '0.1.0',
});
const at = (iso: string) => ({ ...report, generatedAt: iso });

function store(overrides: Partial<S3ReportStoreOptions> = {}) {
  const logger = { warn: vi.fn() };
  const presign = vi.fn(async (_command: GetObjectCommand, expiresIn: number) => `https://signed.example/?X-Amz-Expires=${expiresIn}`);
  const instance = new S3ReportStore({
    s3: new S3Client({ region: 'eu-west-1' }), bucket: 'audit-reports', region: 'eu-west-1', presignExpiresSeconds: 3_600,
    credentialsExpiry: async () => 'never', now: () => NOW, presign, logger, retry: { sleep: async () => {} }, ...overrides,
  });
  return { instance, presign, logger };
}

const puts = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
const bodyOf = (input: { Body?: unknown }) => JSON.parse(String(input.Body)) as unknown;

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('S3ReportStore.saveReport', () => {
  it('writes the dated report and latest.json under the UTC date of generatedAt', async () => {
    const stored = await store().instance.saveReport('orders-cache', at('2026-11-26T09:05:00.123Z'));
    expect(puts().map((p) => p.Key)).toEqual([
      'reports/orders-cache/2026/11/26/2026-11-26T09-05-00.123Z.json',
      'reports/orders-cache/latest.json',
    ]);
    expect(stored.key).toBe('reports/orders-cache/2026/11/26/2026-11-26T09-05-00.123Z.json');
    expect(stored.latestKey).toBe('reports/orders-cache/latest.json');
  });

  it('takes the date parts in UTC, whatever offset generatedAt was written with', async () => {
    const stored = await store().instance.saveReport('t', at('2026-12-31T23:30:00-02:00'));
    expect(stored.key).toBe('reports/t/2027/01/01/2027-01-01T01-30-00.000Z.json');
  });

  it('sends JSON bodies that parse back to the report, with no-cache only on latest.json', async () => {
    const r = at('2026-11-26T09:05:00.123Z');
    await store().instance.saveReport('orders-cache', r);
    const [dated, latest] = puts();
    expect(dated).toEqual({ Bucket: 'audit-reports', Key: 'reports/orders-cache/2026/11/26/2026-11-26T09-05-00.123Z.json', Body: expect.any(String), ContentType: 'application/json; charset=utf-8' });
    expect(latest).toEqual({ Bucket: 'audit-reports', Key: 'reports/orders-cache/latest.json', Body: expect.any(String), ContentType: 'application/json; charset=utf-8', CacheControl: 'no-cache' });
    expect(bodyOf(dated!)).toEqual(r);
    expect(bodyOf(latest!)).toEqual(r);
  });

  it('asks for SSE-KMS with the given key on every object', async () => {
    await store({ kmsKeyArn: KMS }).instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    for (const input of puts()) expect(input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS });
  });

  it('sends no SSE header without a key, leaving the bucket default to apply', async () => {
    await store().instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    for (const input of puts()) {
      expect(input).not.toHaveProperty('ServerSideEncryption');
      expect(input).not.toHaveProperty('SSEKMSKeyId');
    }
  });

  it('does not overwrite latest.json when the dated report could not be stored', async () => {
    s3Mock.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    await expect(store().instance.saveReport('t', at('2026-11-26T09:05:00.123Z'))).rejects.toThrow(/AccessDenied/);
    expect(puts()).toHaveLength(1);
  });

  it('links the object in the S3 console', async () => {
    const stored = await store().instance.saveReport('orders-cache', at('2026-11-26T09:05:00.123Z'));
    expect(stored.consoleUrl).toBe('https://eu-west-1.console.aws.amazon.com/s3/object/audit-reports?region=eu-west-1&bucketType=general'
      + '&prefix=reports%2Forders-cache%2F2026%2F11%2F26%2F2026-11-26T09-05-00.123Z.json');
  });

  it('presigns the dated object for the requested lifetime when the credentials outlive it', async () => {
    const { instance, presign } = store({ credentialsExpiry: async () => new Date(NOW + 6 * 3_600_000) });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(presign).toHaveBeenCalledTimes(1);
    expect(presign.mock.calls[0]?.[0].input).toEqual({ Bucket: 'audit-reports', Key: stored.key });
    expect(presign.mock.calls[0]?.[1]).toBe(3_600);
    expect(stored.presignedUrl).toBe('https://signed.example/?X-Amz-Expires=3600');
    expect(stored.presignedExpiresAt).toBe(new Date(NOW + 3_600_000).toISOString());
  });

  it('states the credentials expiry, and signs for it, when the credentials die first', async () => {
    const { instance, presign } = store({ presignExpiresSeconds: 604_800, credentialsExpiry: async () => new Date(NOW + 20 * 60_000) });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(presign.mock.calls[0]?.[1]).toBe(1_200);
    expect(stored.presignedExpiresAt).toBe(new Date(NOW + 20 * 60_000).toISOString());
  });

  it('signs with the real presigner and the client credentials expiry by default', async () => {
    const s3 = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(NOW + 15 * 60_000) },
    });
    const { instance } = store({ s3, presign: undefined, credentialsExpiry: undefined, presignExpiresSeconds: 86_400 });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    const url = new URL(stored.presignedUrl ?? '');
    expect(url.hostname).toBe('audit-reports.s3.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(stored.presignedExpiresAt).toBe(new Date(NOW + 15 * 60_000).toISOString());
  });

  it('claims no definite end when temporary credentials carry no readable expiry, as in Lambda', async () => {
    const { instance, presign } = store({ credentialsExpiry: async () => undefined });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(presign.mock.calls[0]?.[1]).toBe(3_600); // the upper bound, carried by the URL's X-Amz-Expires
    expect(stored.presignedUrl).toBe('https://signed.example/?X-Amz-Expires=3600');
    expect(stored.presignedExpiresAt).toBeNull();
  });

  it("reads the default expiry from the client's credentials: none with a session token, none needed without", async () => {
    const lambdaLike = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' } });
    const temporary = await store({ s3: lambdaLike, presign: undefined, credentialsExpiry: undefined }).instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(new URL(temporary.presignedUrl ?? '').searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(temporary.presignedExpiresAt).toBeNull();

    const longTerm = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } });
    const stored = await store({ s3: longTerm, presign: undefined, credentialsExpiry: undefined }).instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(stored.presignedExpiresAt).toBe(new Date(NOW + 3_600_000).toISOString());
  });

  it('returns a null link, not an error, when presigning fails', async () => {
    const { instance, logger } = store({ presign: async () => { throw new Error('no credentials'); } });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(stored).toMatchObject({ presignedUrl: null, presignedExpiresAt: null });
    expect(logger.warn).toHaveBeenCalledWith('report link not presigned', { key: stored.key, error: 'Error: no credentials' });
  });

  it('returns a null link when the credentials have already expired', async () => {
    const { instance, presign } = store({ credentialsExpiry: async () => new Date(NOW - 1_000) });
    const stored = await instance.saveReport('t', at('2026-11-26T09:05:00.123Z'));
    expect(presign).not.toHaveBeenCalled();
    expect(stored).toMatchObject({ presignedUrl: null, presignedExpiresAt: null });
  });
});

describe('S3ReportStore state', () => {
  it('reads state/<target>.json as text', async () => {
    const text = JSON.stringify(state);
    s3Mock.on(GetObjectCommand, { Bucket: 'audit-reports', Key: 'state/orders-cache.json' })
      .resolves({ Body: { transformToString: async () => text } as never });
    await expect(store().instance.loadState('orders-cache')).resolves.toBe(text);
  });

  it('answers null when there is no state yet (NoSuchKey)', async () => {
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }));
    await expect(store().instance.loadState('orders-cache')).resolves.toBeNull();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('fails on AccessDenied rather than starting history afresh', async () => {
    s3Mock.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    await expect(store().instance.loadState('orders-cache')).rejects.toThrow(/s3 GetObject state\/orders-cache.json failed after 1 attempt/);
  });

  it('writes the state as JSON with the same encryption rule', async () => {
    await store({ kmsKeyArn: KMS }).instance.saveState('orders-cache', state);
    expect(puts()).toEqual([{
      Bucket: 'audit-reports', Key: 'state/orders-cache.json', Body: JSON.stringify(state),
      ContentType: 'application/json; charset=utf-8', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS,
    }]);
  });
});

describe('S3ReportStore target names', () => {
  it.each(['', '..', '.', 'a/b', '../state/x', 'name with space', 'x'.repeat(65), 'café'])('refuses %j before any call', async (bad) => {
    const { instance } = store();
    await expect(instance.loadState(bad)).rejects.toThrow(/target name/);
    await expect(instance.saveState(bad, state)).rejects.toThrow(/target name/);
    await expect(instance.saveReport(bad, report)).rejects.toThrow(/target name/);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('refuses a presign lifetime S3 would not honour', () => {
    expect(() => store({ presignExpiresSeconds: 604_801 })).toThrow(/presignExpiresSeconds/);
    expect(() => store({ presignExpiresSeconds: 0 })).toThrow(/presignExpiresSeconds/);
  });
});
