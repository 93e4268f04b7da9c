// reportOpenAtExit: a process that exits with a tracked client still open says so on stderr, by origin; the
// client it closed is not listed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { originOfMarker } from '../support/track-clients.js';

const run = promisify(execFile);
const CHILD = new URL('../support/track-exit-child.ts', import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let server: LocalRedisServer;
beforeAll(async () => {
  server = await startLocalRedis({ ipv6: false });
});
afterAll(async () => {
  await server?.stop();
});

describe('the exit report', () => {
  it('lists the clients still open at exit, grouped by origin, on stderr', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(CHILD), String(server.port)],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(stdout).toBe('ready\n');
    const open = `exit-report@${originOfMarker(CHILD.href, 'open-client')}`;
    const closed = `exit-report@${originOfMarker(CHILD.href, 'closed-client')}`;
    expect(stderr).toContain('redis-leak-auditor/track: 1 Redis client still open at exit, by origin');
    expect(stderr).toContain(`  1  ${open} (ioredis client)`);
    expect(stderr).not.toContain(closed);
  });
});
