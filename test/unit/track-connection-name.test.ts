// connectionName(): the name track() would give a client created on the calling line, for clients the companion
// does not know (the demo's own RESP connections use it).
import { describe, expect, it } from 'vitest';
import { parseOriginName } from '../../lambda/core/origin-name.js';
import { connectionName } from '../../track/index.js';

describe('connectionName', () => {
  it('names the calling line, relative to the root, and the auditor reads it back', () => {
    const line = Number(new Error().stack?.split('\n')[1]?.match(/:(\d+):\d+\)?$/)?.[1]) + 1;
    const name = connectionName({ service: 'checkout api', root: process.cwd() });

    expect(name).toBe(`checkout-api@test/unit/track-connection-name.test.ts:${line}`);
    expect(parseOriginName(name)).toEqual({ service: 'checkout-api', origin: `test/unit/track-connection-name.test.ts:${line}` });
  });

  it('hashes the location when asked', () => {
    expect(connectionName({ service: 'checkout-api', hashOrigin: true })).toMatch(/^checkout-api@#[0-9a-f]{8}$/);
  });
});
