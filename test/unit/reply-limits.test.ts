// The limits each reply is read with, derived from what INFO said, and the rules that tell a clean CLIENT
// LIST or INFO reply from a nil, swapped or implausibly short one.
import { describe, expect, it } from 'vitest';
import {
  CLIENT_LIST_CEILING_BYTES,
  CLIENT_LIST_FLOOR_BYTES,
  clientListByIdLimits,
  clientListLimits,
  formatBytes,
  INFO_LIMITS,
  isFarFewer,
  looksLikeInfo,
  plainListingProblem,
} from '../../lambda/core/reply-limits.js';

const MIB = 1024 * 1024;

describe('the limit of a plain CLIENT LIST', () => {
  it.each([
    ['a few clients: the floor', 29, CLIENT_LIST_FLOOR_BYTES],
    ['15,000 clients: a quarter more, 1 KiB each', 15_000, 18_750 * 1024],
    ['200,000 clients: the ceiling', 200_000, CLIENT_LIST_CEILING_BYTES],
    ['unknown: 10,000 clients assumed', null, 12_500 * 1024],
    ['absurd (99,999,999,999): 10,000 assumed', 99_999_999_999, 12_500 * 1024],
    ['negative: 10,000 assumed', -5, 12_500 * 1024],
  ])('%s', (_, connected, bytes) => {
    const limits = clientListLimits(connected);

    expect(limits.maxReplyBytes).toBe(bytes);
    expect(limits.maxBulkBytes).toBe(bytes);
    expect(limits.maxDepth).toBe(1);
  });

  it('never exceeds 96 MiB, whatever INFO says', () => {
    for (const connected of [0, 1, 1000, 77_000, 78_643, 1_000_000, Number.MAX_SAFE_INTEGER, Number.NaN]) {
      expect(clientListLimits(connected).maxReplyBytes).toBeLessThanOrEqual(96 * MIB);
    }
  });
});

describe('the limit of a CLIENT LIST ID batch', () => {
  it.each([
    [500, 500 * 1024],
    [10, 64 * 1024],
    [1_000_000, CLIENT_LIST_CEILING_BYTES],
  ])('%i ids: %i bytes', (ids, bytes) => {
    expect(clientListByIdLimits(ids).maxReplyBytes).toBe(bytes);
  });
});

describe('a listing far below INFO', () => {
  it.each([
    [4, 10, true],
    [5, 10, false],
    [0, 9, false],
    [0, 29, true],
    [14, 29, true],
    [15, 29, false],
    [0, null, false],
  ])('%i listed of %s counted: %s', (listed, connected, far) => {
    expect(isFarFewer(listed, connected)).toBe(far);
  });
});

describe('a plain CLIENT LIST that is not a clean sample', () => {
  const self = '127.0.0.1:5000';
  const line = (id: number, addr: string) => `id=${id} addr=${addr} laddr=127.0.0.1:6379 fd=8 name= age=1 idle=0 cmd=client|list\n`;
  const listing = (clients: number) => line(1, self) + Array.from({ length: clients - 1 }, (_, i) => line(i + 2, `10.0.0.1:${i + 1}`)).join('');

  it.each([
    ['nil', null, 3, /answered nil or not a bulk string/],
    ['empty', '', 3, /no client line/],
    ['INFO in its place', '# Server\r\nredis_version:7.2.4\r\nconnected_clients:29\r\n', 29, /no client line/],
    ['without the auditor', line(1, '10.0.0.9:1'), 1, /does not list the auditor's own connection/],
    ['far below INFO', listing(3), 29, /listed 3 clients where INFO counted 29/],
  ])('%s', (_, text, connected, problem) => {
    expect(plainListingProblem(text, connected, self)).toMatch(problem);
  });

  it('passes a complete listing, a little below INFO as clients come and go', () => {
    expect(plainListingProblem(listing(25), 29, self)).toBeNull();
    expect(plainListingProblem(listing(1), null, self)).toBeNull();
  });
});

describe('an INFO reply', () => {
  it.each([
    ['# Server\r\nredis_version:7.2.4\r\n', true],
    ['redis_version:6.0.0\r\n', true],
    ['id=1 addr=127.0.0.1:5000 fd=8\n', false],
    ['', false],
  ])('%j looks like INFO: %s', (text, expected) => {
    expect(looksLikeInfo(text)).toBe(expected);
  });

  it('is read with a 1 MiB limit', () => {
    expect(INFO_LIMITS.maxReplyBytes).toBe(MIB);
    expect(formatBytes(INFO_LIMITS.maxReplyBytes)).toBe('1 MiB');
  });
});
