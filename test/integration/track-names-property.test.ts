// Names made from any stack a program can produce are names a real server accepts (CLIENT SETNAME refuses
// spaces and anything outside printable ASCII) and names the auditor reads back: long paths, spaces, unicode,
// Windows paths, file URLs, anonymous and eval frames.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { formatOriginName, parseOriginName } from '../../lambda/core/origin-name.js';
import { originOf } from '../../track/origin.js';

let server: LocalRedisServer;
let control: RespClient;
beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false });
  control = await RespClient.connect({ port: server.port });
});
afterAll(async () => {
  await control?.close();
  await server?.stop();
});

const SELF = '/srv/app/node_modules/redis-leak-auditor/dist/track';
const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom('my app', 'src (copy)', 'ünïcødé', '日本語', 'a:b', 'with%20space', '..', '.'),
).map((s) => s.replace(/[/\\\n\r]/g, '_') || 'x');
const path = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 25 }), fc.constantFrom('', '/srv/app/', 'C:\\app\\', 'file:///srv/app/', 'file:///C:/app/'))
  .map(([parts, prefix]) => prefix + parts.join(prefix.includes('\\') ? '\\' : '/'));
const frame = fc.tuple(path, fc.nat({ max: 99_999_999 }), fc.nat({ max: 500 }), fc.constantFrom('named', 'anonymous', 'eval', 'async', 'new'))
  .map(([file, line, column, kind]) => {
    const at = `${file}:${line}:${column}`;
    switch (kind) {
      case 'named': return `    at Object.handler (${at})`;
      case 'anonymous': return `    at ${at}`;
      case 'eval': return `    at eval (eval at <anonymous> (${at}), <anonymous>:1:1)`;
      case 'async': return `    at async Promise.all (index 0)\n    at async run (${at})`;
      default: return `    at new Service (${at})`;
    }
  });

describe('names from odd stacks', () => {
  it('are accepted by CLIENT SETNAME and read back by the auditor', async () => {
    await fc.assert(fc.asyncProperty(frame, fc.string({ maxLength: 60 }), fc.boolean(), async (caller, service, hash) => {
      const stack = ['Error', `    at callerStack (${SELF}/caller-stack.js:12:13)`, `    at track (${SELF}/index.js:40:5)`, caller].join('\n');
      const name = formatOriginName(service, originOf(stack, { selfDir: SELF, root: '/srv/app', hash }));
      expect(await control.command('CLIENT', 'SETNAME', name)).toBe('OK');
      expect(parseOriginName(name)).not.toBeNull();
    }), { numRuns: 1000 });
  });
});
