// The Lambda's break-glass (issue 19) through the real handler against a real redis-server at 75% of its
// maxclients (40): a leaking workload (20 connections used once, then idle) beside a healthy pool, a subscriber
// and a blocked client of the leaking workload's own name, and a replica link. The audit signs in as the
// README's read-only user; the break-glass as the separate leak-reclaimer user (+client|kill). AWS is
// aws-sdk-client-mock with an in-memory S3, so the state one invocation writes is read by the next.
// In order: off; armed without a reclaim credential; armed with the read-only user as the reclaim credential;
// armed with a user that may kill but not list; armed with the right one (kills exactly what brings the server down to the warning share); the next run.
import { PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, type GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';
import { blockingPopNoTimeout, idlePool, perRequestLeak, pubsubLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import type { ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { reclaimedIdsOf, type AuditState } from '../../lambda/core/state.js';
import { createHandler, type HandlerResult } from '../../lambda/handler.js';
import { CREDENTIALS, fakeAws, lambdaContext, REGION } from '../support/fake-aws.js';
import { expectValidReport } from '../support/report-schema.js';
import { waitFor, waitForIdle } from '../support/wait.js';

const MAXCLIENTS = 40;
const LEAK = { source: '127.0.0.51', name: 'orders-leaky', count: 20 };
const POOL = { source: '127.0.0.52', name: 'orders-pool', size: 6 };
const SUB = '127.0.0.53';
const BLOCKED = '127.0.0.54';
const WORKLOAD_SOURCES = new Set([LEAK.source, POOL.source, SUB, BLOCKED]);
const AUDITOR_PASSWORD = 'Audit-S3cr-Pq4Zr';
const RECLAIMER_PASSWORD = 'Recl-S3cr-Wm8Tk';
// The README's two rules (section "Least-privilege ACL for the auditor"); this Redis (7.0) has no CLIENT SETINFO,
// so, as the README says for Redis before 7.2, the audit rule leaves out +client|setinfo.
const AUDITOR_RULE = ['on', `>${AUDITOR_PASSWORD}`, 'resetkeys', 'resetchannels', '-@all', '+client|list', '+client|setname', '+info', '+ping', '+cluster|nodes', '+cluster|shards', '+cluster|info'];
const RECLAIMER_RULE = ['on', `>${RECLAIMER_PASSWORD}`, 'resetkeys', 'resetchannels', '-@all', '+client|list', '+client|setname', '+info', '+ping', '+client|kill'];
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:redis-leaks';
// Powertools caches a secret's value per process and ARN (the audit's is read once, by the first invocation):
// every case that reads a reclaim secret has its own ARN.
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}`;
const AUDIT_ARN = arn('leak-auditor-Ab12Cd');
const SECRETS = {
  [AUDIT_ARN]: JSON.stringify({ username: 'leak-auditor', password: AUDITOR_PASSWORD }),
  [arn('read-only-as-reclaimer-Ef34Gh')]: JSON.stringify({ username: 'leak-auditor', password: AUDITOR_PASSWORD }),
  [arn('leak-reclaimer-Ij56Kl')]: JSON.stringify({ username: 'leak-reclaimer', password: RECLAIMER_PASSWORD }),
  [arn('kill-only-Mn78Op')]: JSON.stringify({ username: 'kill-only', password: RECLAIMER_PASSWORD }),
};
// A reclaim user that may kill but not look the selected ids up again: refused before any kill.
const KILL_ONLY_RULE = ['on', `>${RECLAIMER_PASSWORD}`, 'resetkeys', 'resetchannels', '-@all', '+info', '+ping', '+client|setname', '+client|kill'];

type Report = Record<string, unknown> & { reclaim?: ReclaimReport; findings: Array<{ kind: string; subject: { workload?: string } }> };

const workloads: WorkloadHandle[] = [];
let server: LocalRedisServer;
let replica: LocalRedisServer;
let control: RespClient;

/** Every client of the server (the control connection too), by id. */
async function listed(): Promise<Map<number, ClientRecord>> {
  return new Map(parseClientList(String(await control.command('CLIENT', 'LIST'))).clients.map((c) => [c.id, c]));
}
const ofWorkloads = (clients: Map<number, ClientRecord>) => [...clients.values()].filter((c) => WORKLOAD_SOURCES.has(c.sourceIp));
const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

function invoke(aws: ReturnType<typeof fakeAws>, env: Record<string, string>, reclaimSecretArn?: string): Promise<HandlerResult> {
  const handler = createHandler({
    env: {
      AWS_REGION: REGION, REPORT_BUCKET: 'audit-reports-test', TOPIC_ARN,
      IDLE_SECONDS: '1', MIN_GROUP_CONNECTIONS: '10', MAXCLIENTS_WARN: '0.5', MAXCLIENTS_CRITICAL: '0.7',
      CONNECT_TIMEOUT_MS: '1000', COMMAND_TIMEOUT_MS: '2000',
      AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: `redis://127.0.0.1:${server.port}`, authSecretArn: AUDIT_ARN, ...(reclaimSecretArn ? { reclaimSecretArn } : {}) }]),
      ...env,
    },
    clients: aws.clients,
    logger: new Logger({ serviceName: 'redis-leak-auditor-test', logLevel: 'SILENT' }),
    awsCredentials: async () => CREDENTIALS,
  });
  return handler({}, lambdaContext()) as Promise<HandlerResult>;
}

const ARMED = { RECLAIM_BREAK_GLASS: 'true', RECLAIM_MIN_IDLE_SECONDS: '1' };

function latest(aws: ReturnType<typeof fakeAws>): Report {
  const report = JSON.parse(aws.objects.get('reports/orders-cache/latest.json') ?? '{}') as Report;
  expectValidReport(report);
  return report;
}
const secretsRead = (aws: ReturnType<typeof fakeAws>) => aws.secretsMock.commandCalls(GetSecretValueCommand).map((c) => (c.args[0].input as GetSecretValueCommandInput).SecretId);
const reclaimedMetric = (aws: ReturnType<typeof fakeAws>) => aws.cloudwatchMock.commandCalls(PutMetricDataCommand)
  .flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? [])
  .filter((d) => d.MetricName === 'ConnectionsReclaimed')
  .map((d) => ({ value: d.Value, unit: d.Unit, dimensions: d.Dimensions }));
const emails = (aws: ReturnType<typeof fakeAws>) => aws.snsMock.commandCalls(PublishCommand)
  .map((c) => (JSON.parse((c.args[0].input as PublishCommandInput).Message ?? '{}') as { email: string }).email);

beforeAll(async () => {
  server = await startLocalRedis({ args: ['--maxclients', String(MAXCLIENTS), '--user', 'leak-auditor', ...AUDITOR_RULE, '--user', 'leak-reclaimer', ...RECLAIMER_RULE, '--user', 'kill-only', ...KILL_ONLY_RULE] });
  const target = { host: server.host, port: server.port };
  control = await RespClient.connect(target);
  workloads.push(await idlePool(target, POOL.source, { size: POOL.size, name: POOL.name }));
  workloads.push(await perRequestLeak(target, LEAK.source, { count: LEAK.count, name: LEAK.name }));
  workloads.push(await pubsubLeak(target, SUB, { count: 1, name: LEAK.name }));
  workloads.push(await blockingPopNoTimeout(target, BLOCKED, { count: 1, name: LEAK.name }));
  replica = await startLocalRedis({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
  await waitFor(listed, (clients) => [...clients.values()].some((c) => c.flags.includes('S')), { what: "the replica's link on the primary" });
  await waitForIdle(() => control.command('CLIENT', 'LIST'), LEAK.source, LEAK.count, 1);
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(workloads.map((w) => w.stop()));
  control?.destroy();
  await replica?.stop();
  await server?.stop();
});

describe('the break-glass through the Lambda handler', () => {
  let replicaLinkId: number;
  let leakedIds: number[];

  it('off (the default): audits, reads only the audit secret, kills nothing, no reclaim section, no metric', async () => {
    const before = await listed();
    replicaLinkId = [...before.values()].find((c) => c.flags.includes('S'))?.id ?? -1;
    leakedIds = sorted(ofWorkloads(before).filter((c) => c.sourceIp === LEAK.source).map((c) => c.id));
    expect(leakedIds).toHaveLength(LEAK.count);
    // 20 leaked + 6 pool + subscriber + blocked + replica link + control = 30 of 40: 75%, above the critical 70%.
    expect(before.size).toBe(30);
    const aws = fakeAws(SECRETS);

    const result = await invoke(aws, { RECLAIM_MIN_IDLE_SECONDS: '1' }, arn('leak-reclaimer-Ij56Kl'));

    expect(result.targets[0]).toMatchObject({ status: 'ok', deliveryFailures: [] });
    const report = latest(aws);
    expect(report.reclaim).toBeUndefined();
    expect(report.findings.some((f) => f.kind === 'idle-connections' && f.subject.workload === LEAK.name)).toBe(true);
    expect(secretsRead(aws)).not.toContain(arn('leak-reclaimer-Ij56Kl'));
    expect(reclaimedMetric(aws)).toEqual([]);
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
    aws.restore();
  }, 30_000);

  it('armed without a reclaim credential: kills nothing and says why, listing what it would close', async () => {
    const before = await listed();
    const aws = fakeAws(SECRETS);

    await invoke(aws, ARMED);

    const reclaim = latest(aws).reclaim;
    expect(reclaim).toMatchObject({ mode: 'break-glass', outcome: 'refused', killed: 0 });
    expect(reclaim?.reason).toContain('no reclaim credential (reclaimSecretArn');
    // The goal: from 30 connected down to 50% of 40; the would-be selection is the oldest leaked ids.
    expect(reclaim?.goal).toEqual({ connectedClients: 30, maxClients: MAXCLIENTS, keepAtMost: 20, needed: 10 });
    expect(reclaim?.selected.map((c) => c.id)).toEqual(leakedIds.slice(0, 10));
    expect(secretsRead(aws).filter((id) => id !== AUDIT_ARN)).toEqual([]);
    expect(reclaimedMetric(aws)).toEqual([{ value: 0, unit: 'Count', dimensions: [{ Name: 'Target', Value: 'orders-cache' }] }]);
    expect(emails(aws)[0]).toContain('Break-glass did not act');
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
    aws.restore();
  }, 30_000);

  it('armed with the read-only user as the reclaim credential: the server refuses the kill, nothing is killed', async () => {
    const before = await listed();
    const aws = fakeAws(SECRETS);

    await invoke(aws, ARMED, arn('read-only-as-reclaimer-Ef34Gh'));

    const reclaim = latest(aws).reclaim;
    expect(reclaim).toMatchObject({ mode: 'break-glass', outcome: 'refused', killed: 0 });
    expect(reclaim?.reason).toMatch(/^CLIENT KILL ID \d+ failed after 0 kills \(NOPERM .*; the reclaim user needs \+client\|kill\)\.$/);
    expect(secretsRead(aws).filter((id) => id !== AUDIT_ARN)).toEqual([arn('read-only-as-reclaimer-Ef34Gh')]);
    expect(reclaimedMetric(aws)[0]?.value).toBe(0);
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
    expect(JSON.stringify([...aws.objects.values()])).not.toContain(AUDITOR_PASSWORD);
    aws.restore();
  }, 30_000);

  it('armed with a reclaim user that may not run CLIENT LIST: nothing is killed, and the report names the missing rule', async () => {
    const before = await listed();
    const aws = fakeAws(SECRETS);

    await invoke(aws, ARMED, arn('kill-only-Mn78Op'));

    const reclaim = latest(aws).reclaim;
    expect(reclaim).toMatchObject({ mode: 'break-glass', outcome: 'refused', killed: 0 });
    expect(reclaim?.reason).toMatch(/^The selected connections could not be looked up again just before the kill \(.*NOPERM.*; the reclaim user needs \+client\|list\)\.$/);
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
    aws.restore();
  }, 30_000);

  let aws: ReturnType<typeof fakeAws>;

  it('armed with the reclaim credential: kills the oldest leaked connections down to the warning share, and only those', async () => {
    const before = await listed();
    aws = fakeAws(SECRETS);

    const result = await invoke(aws, ARMED, arn('leak-reclaimer-Ij56Kl'));

    expect(result.targets[0]).toMatchObject({ status: 'ok', deliveryFailures: [] });
    const reclaim = latest(aws).reclaim;
    expect(reclaim).toMatchObject({ mode: 'break-glass', outcome: 'reclaimed', reason: null, killed: 10, spared: 0 });
    const killed = leakedIds.slice(0, 10);
    expect(sorted(reclaim?.selected.map((c) => c.id) ?? [])).toEqual(killed);
    const after = await listed();
    // 30 -> 20: exactly the 10 oldest leaked ids went; the pool, the subscriber, the blocked client, the replica
    // link and the 10 younger leaked connections are still there.
    expect(before.size).toBe(30);
    expect(after.size).toBe(20);
    expect(sorted(after.keys())).toEqual(sorted([...before.keys()].filter((id) => !killed.includes(id))));
    expect(after.get(replicaLinkId)?.flags).toContain('S');
    expect(ofWorkloads(after).filter((c) => c.sourceIp === POOL.source)).toHaveLength(POOL.size);
    expect(ofWorkloads(after).filter((c) => c.sourceIp === SUB || c.sourceIp === BLOCKED).map((c) => c.flags).sort()).toEqual(['P', 'b']);

    expect(reclaimedMetric(aws)).toEqual([{ value: 10, unit: 'Count', dimensions: [{ Name: 'Target', Value: 'orders-cache' }] }]);
    expect(emails(aws)).toHaveLength(1);
    expect(emails(aws)[0]).toContain(`Reclaimed 10 idle connections of ${LEAK.name}`);
    expect(emails(aws)[0]).toContain('the leak is still there');
    expect(emails(aws)[0]).toContain('(at most 10 this run); 10 more eligible were left open (closing 10 was enough to get down to 20).');
    const state = JSON.parse(aws.objects.get('state/orders-cache.json') ?? '{}') as AuditState;
    const [node, memory] = Object.entries(state.reclaimed ?? {})[0] ?? ['', { runId: '' }];
    expect(reclaimedIdsOf(state, node, memory.runId)).toEqual(killed);
    const everything = [...aws.objects.values(), ...emails(aws)].join('\n');
    expect(everything).not.toContain(RECLAIMER_PASSWORD);
    expect(everything).not.toContain(AUDITOR_PASSWORD);
  }, 30_000);

  it('the next run, below the critical share now, reclaims nothing', async () => {
    const before = await listed();

    await invoke(aws, ARMED, arn('leak-reclaimer-Ij56Kl'));

    const reclaim = latest(aws).reclaim;
    expect(reclaim).toMatchObject({ mode: 'break-glass', outcome: 'not-needed', killed: 0, selected: [] });
    expect(reclaim?.reason).toContain('below the critical level (70%)');
    expect(sorted((await listed()).keys())).toEqual(sorted(before.keys()));
    aws.restore();
  }, 30_000);
});
