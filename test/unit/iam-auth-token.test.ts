// The ElastiCache IAM token checked against an independent SigV4 computation with node:crypto.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iamAuthToken } from '../../lambda/auth/iam-auth-token.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+1' };
const signingDate = new Date('2026-11-26T09:30:00Z');

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

function expectedSignature(host: string, params: Record<string, string>): string {
  const query = Object.keys(params).sort().map((k) => `${enc(k)}=${enc(params[k] ?? '')}`).join('&');
  const canonical = ['GET', '/', query, `host:${host}`, '', 'host', createHash('sha256').update('').digest('hex')].join('\n');
  const scope = '20261126/eu-west-1/elasticache/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', '20261126T093000Z', scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, '20261126');
  for (const part of ['eu-west-1', 'elasticache', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('iamAuthToken', () => {
  it('presigns connect for the cache and user, valid 15 minutes, without a scheme', async () => {
    const token = await iamAuthToken({ cacheName: 'Orders-Cache', userId: 'auditor', region: 'eu-west-1', serverless: false, credentials, signingDate });
    expect(token.startsWith('orders-cache/?')).toBe(true);
    const params = Object.fromEntries(new URLSearchParams(token.slice('orders-cache/?'.length)));
    expect(params).toMatchObject({
      Action: 'connect', User: 'auditor', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Expires': '900',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261126/eu-west-1/elasticache/aws4_request', 'X-Amz-Date': '20261126T093000Z',
      'X-Amz-SignedHeaders': 'host', 'X-Amz-Security-Token': credentials.sessionToken,
    });
    const { 'X-Amz-Signature': signature, ...signed } = params;
    expect(signature).toBe(expectedSignature('orders-cache', signed));
  });

  it('adds ResourceType=ServerlessCache for serverless caches', async () => {
    const token = await iamAuthToken({ cacheName: 'sessions', userId: 'auditor', region: 'eu-west-1', serverless: true, credentials, signingDate });
    expect(new URLSearchParams(token.split('?')[1]).get('ResourceType')).toBe('ServerlessCache');
  });
});
