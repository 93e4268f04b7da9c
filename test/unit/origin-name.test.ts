// The companion's connection names: every name made is one Redis accepts (printable ASCII, no space) and one the
// auditor reads back to the same service and origin; other names are not taken for origins.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatOriginName, locationPart, MAX_ORIGIN_NAME_CHARS, parseOriginName } from '../../lambda/core/origin-name.js';

const REDIS_NAME = /^[!-~]+$/; // CLIENT SETNAME refuses anything outside '!'..'~'

describe('origin names', () => {
  it('reads back what it writes, for any service, path and line', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 400 }), fc.integer({ min: -5, max: 1e9 }), (service, path, line) => {
      const name = formatOriginName(service, locationPart(path, line));
      expect(name).toMatch(REDIS_NAME);
      expect(name.length).toBeLessThanOrEqual(MAX_ORIGIN_NAME_CHARS);
      expect(parseOriginName(name)).not.toBeNull();
    }), { numRuns: 2000 });
  });

  it('keeps the end of a long path, cut at a directory, and writes Windows paths with slashes', () => {
    const long = `${'very-long-directory-name/'.repeat(8)}handlers/user.ts`;
    expect(locationPart(long, 42)).toMatch(/^\.\.\.\/.*\/handlers\/user\.ts:42$/);
    expect(locationPart('src\\handlers\\user.ts', 7)).toBe('src/handlers/user.ts:7');
    expect(locationPart('./src/a b(c).ts', 3)).toBe('src/a_b_c_.ts:3');
    expect(locationPart('index.mjs', 1)).toBe('index.mjs:1');
    expect(locationPart('', 0)).toBe('./unknown:0'); // no file (an eval frame): still a path
  });

  it('parses the service and origin, and leaves other names alone', () => {
    expect(parseOriginName('orders-api@src/handlers/user.ts:42')).toEqual({ service: 'orders-api', origin: 'src/handlers/user.ts:42' });
    expect(parseOriginName('orders-api@#1a2b3c4d')).toEqual({ service: 'orders-api', origin: '#1a2b3c4d' });
    for (const other of ['orders-api', 'celery@worker-7', 'orders-api@ip-10-0-1-23', 'worker@ip-10-0-1-5:8080', 'web@ip-10-0-1-5.ec2.internal:6379', 'a@b:c', 'x@#xyz']) expect(parseOriginName(other), other).toBeNull();
  });
});
