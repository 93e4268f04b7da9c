// Where a client was created, read from a stack trace: the first application frame (not the companion, not a
// dependency, not Node), relative to the root, and its hashed form.
import { describe, expect, it } from 'vitest';
import { formatOriginName, locationPart, parseOriginName } from '../../lambda/core/origin-name.js';
import { applicationCallSite, directoryOf, parseFrame } from '../../track/call-site.js';
import { hashedLocation, originOf, relativeLocation, UNKNOWN_LOCATION } from '../../track/origin.js';

const SELF = '/srv/app/node_modules/redis-leak-auditor/dist/track';
const stackOf = (...frames: string[]): string => ['Error', `    at callerStack (${SELF}/caller-stack.js:12:13)`, `    at track (${SELF}/index.js:40:5)`, ...frames].join('\n');

describe('reading a frame', () => {
  it.each([
    ['    at Object.handler (/srv/app/src/user.ts:42:7)', { file: '/srv/app/src/user.ts', line: 42 }],
    ['    at /srv/app/src/user.ts:42:7', { file: '/srv/app/src/user.ts', line: 42 }],
    ['    at file:///srv/app/src/user.mjs:3:1', { file: 'file:///srv/app/src/user.mjs', line: 3 }],
    ['    at async run (/srv/my app (copy)/x.js:9:2)', { file: '/srv/my app (copy)/x.js', line: 9 }],
    ['    at new Service (C:\\app\\src\\x.ts:5:3)', { file: 'C:\\app\\src\\x.ts', line: 5 }],
    ['    at eval (eval at <anonymous> (/srv/app/src/dyn.js:3:5), <anonymous>:1:1)', { file: '/srv/app/src/dyn.js', line: 3 }],
    ['    at eval (eval at outer (eval at <anonymous> (/srv/app/a.js:8:1)), <anonymous>:1:1)', { file: '/srv/app/a.js', line: 8 }],
  ])('%s', (frame, site) => {
    expect(parseFrame(frame)).toEqual(site);
  });

  it.each(['Error: boom', '    at async Promise.all (index 0)', '    at <anonymous>', '    at Array.map (native)', ''])('finds no location in %j', (frame) => {
    expect(parseFrame(frame)).toBeNull();
  });
});

describe('the application frame', () => {
  it('skips the companion, dependencies and Node internals', () => {
    const stack = stackOf(
      '    at Factory.create (/srv/app/node_modules/some-framework/index.js:10:3)',
      '    at node:internal/modules/run_main:123:3',
      '    at makeClient (/srv/app/src/redis.ts:7:18)',
      '    at main (/srv/app/src/main.ts:3:1)',
    );
    expect(applicationCallSite(stack, SELF)).toEqual({ file: '/srv/app/src/redis.ts', line: 7 });
  });

  it('skips the companion when its frames are file URLs (ES modules)', () => {
    const stack = ['Error', `    at callerStack (file://${SELF}/caller-stack.js:1:1)`, '    at file:///srv/app/src/main.mjs:4:9'].join('\n');
    expect(directoryOf(`file://${SELF}/caller-stack.js`)).toBe(SELF);
    expect(applicationCallSite(stack, SELF)).toEqual({ file: 'file:///srv/app/src/main.mjs', line: 4 });
  });

  it('is null when every frame is a dependency', () => {
    expect(applicationCallSite(stackOf('    at x (/srv/app/node_modules/a/b.js:1:1)'), SELF)).toBeNull();
  });
});

describe('the origin', () => {
  it('is the path relative to the root and the line', () => {
    expect(relativeLocation({ file: '/srv/app/src/handlers/user.ts', line: 42 }, '/srv/app')).toBe('src/handlers/user.ts:42');
    expect(relativeLocation({ file: 'file:///srv/app/src/a%20b.mjs', line: 1 }, '/srv/app')).toBe('src/a_b.mjs:1');
    expect(relativeLocation({ file: '/srv/shared/lib.js', line: 2 }, '/srv/app')).toBe('../shared/lib.js:2');
    expect(relativeLocation({ file: 'C:\\app\\src\\x.ts', line: 5 }, 'C:\\app')).toBe('src/x.ts:5');
    expect(relativeLocation({ file: 'C:\\app\\src\\x.ts', line: 5 }, '/srv/app')).toBe('C_/app/src/x.ts:5');
  });

  it('says unknown when no application frame is found', () => {
    expect(originOf(stackOf(), { selfDir: SELF, root: '/srv/app', hash: false })).toBe(UNKNOWN_LOCATION);
  });

  it('hashed, is # and the first 8 hex digits of the location\'s SHA-256', () => {
    // sha256("src/handlers/user.ts:42"), computed with `printf %s src/handlers/user.ts:42 | sha256sum`
    expect(hashedLocation('src/handlers/user.ts:42')).toBe('#eb3a1ae1');
    const stack = stackOf('    at h (/srv/app/src/handlers/user.ts:42:1)');
    expect(originOf(stack, { selfDir: SELF, root: '/srv/app', hash: true })).toBe('#eb3a1ae1');
  });

  it('makes names the auditor reads back at every path length (a 78-character path with a one-digit line too)', () => {
    for (let length = 1; length <= 120; length += 1) {
      for (const line of [1, 42, 9_999_999]) {
        const name = formatOriginName('orders-api', locationPart('a'.repeat(length), line));
        expect(parseOriginName(name), name).not.toBeNull();
      }
    }
  });
});
