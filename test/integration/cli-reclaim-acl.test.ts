// `reclaim --apply` as the README's separate ACL user (the read-only rule plus +client|kill): the audit and the
// kill both work with exactly those permissions, and without --max at most a tenth of the leak is closed a run,
// the oldest first; --state-file keeps the ids closed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import { reclaimedIdsOf, type AuditState } from '../../lambda/core/state.js';
import { cli } from '../support/run-cli.js';
import { waitForIdle } from '../support/wait.js';

const SOURCE = '127.0.0.41';
const LEAKED = 20;
// The README's rule for the reclaiming user (section "Least-privilege ACL for the auditor").
const RECLAIMER_RULE = ['on', '>s3cret-pw', 'resetkeys', 'resetchannels', '-@all', '+client|list', '+client|setname', '+info', '+ping', '+client|kill'];

let server: LocalRedisServer;
let control: RespClient;
let leak: WorkloadHandle;

async function leakedIds(): Promise<number[]> {
  return parseClientList(String(await control.command('CLIENT', 'LIST'))).clients.filter((c) => c.sourceIp === SOURCE).map((c) => c.id).sort((a, b) => a - b);
}

beforeAll(async () => {
  server = await startLocalRedis();
  control = await RespClient.connect({ host: server.host, port: server.port });
  await control.command('ACL', 'SETUSER', 'leak-reclaimer', ...RECLAIMER_RULE);
  leak = await perRequestLeak({ host: server.host, port: server.port }, SOURCE, { count: LEAKED, name: 'orders-leaky' });
  await waitForIdle(() => control.command('CLIENT', 'LIST'), SOURCE, LEAKED, 2);
}, 30_000);

afterAll(async () => {
  await leak?.stop();
  control?.destroy();
  await server?.stop();
});

describe('reclaim --apply as the separate ACL user', () => {
  it('kills the oldest tenth of the leak, one CLIENT KILL ID each, with no permission beyond the rule', async () => {
    const before = await leakedIds();
    expect(before).toHaveLength(LEAKED);

    const stateFile = join(mkdtempSync(join(tmpdir(), 'rla-reclaim-state-')), 'state.json');
    const run = await cli(['reclaim', '--url', `redis://leak-reclaimer:s3cret-pw@${server.host}:${server.port}`, '--apply', '--json', '--fail-on', 'never',
      '--min-idle', '1', '--idle-seconds', '1', '--min-group-connections', '5', '--state-file', stateFile]);

    expect(run.stderr).toBe('');
    const { reclaim, nodes } = JSON.parse(run.stdout) as { reclaim: ReclaimReport; nodes: Array<{ run_id: string | null }> };
    expect(reclaim.reason).toBeNull();
    expect(reclaim.killed).toBe(LEAKED / 10);
    expect(reclaim.capped).toBe(LEAKED - LEAKED / 10);
    const after = await leakedIds();
    expect(after).toHaveLength(LEAKED - LEAKED / 10);
    // The oldest connections (lowest ids: opened first) went; the credentials never show in the output.
    expect(before.filter((id) => !after.includes(id))).toEqual(reclaim.selected.map((c) => c.id).sort((a, b) => a - b));
    expect(run.stdout).not.toContain('s3cret-pw');
    // --state-file keeps the ids closed, for this server run: a later run never selects them again.
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as AuditState;
    expect(reclaimedIdsOf(state, reclaim.node ?? '', nodes[0]?.run_id ?? null)).toEqual(reclaim.selected.map((c) => c.id).sort((a, b) => a - b));
  });
});
