// The AWS resources behind source IPs, resolved before the assessment: clients grouped by them, the
// resources shown beside their addresses, fields only added, the report still valid against the schema.
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { addressesToResolve, annotate, sourcesToResolve } from '../../lambda/core/enrich-report.js';
import type { RawNodeSample } from '../../lambda/core/model.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import type { Workload } from '../../lambda/core/workloads.js';
import { expectValidReport } from '../support/report-schema.js';

const LAMBDA: Workload = { kind: 'lambda', label: 'Lambda function orders-api', id: 'orders-api', details: { networkInterfaceId: 'eni-0aa11bb22cc33dd44' } };
const INSTANCE: Workload = { kind: 'ec2-instance', label: 'EC2 instance web-1 (i-0123456789abcdef0)', id: 'i-0123456789abcdef0' };

function line(id: number, addr: string, fields: Record<string, string> = {}): string {
  const all = { id: String(id), addr, laddr: '10.0.0.5:6379', fd: String(id), name: '', age: '900', idle: '900', flags: 'N', db: '0',
    sub: '0', psub: '0', ssub: '0', multi: '-1', qbuf: '0', 'qbuf-free': '0', 'argv-mem': '0', 'multi-mem': '0', rbs: '1024', rbp: '0',
    obl: '0', oll: '0', omem: '0', 'tot-mem': '1', events: 'r', cmd: 'get', user: 'default', redir: '-1', resp: '2', ...fields };
  return Object.entries(all).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** 25 idle connections from 10.0.1.23 (a leak), 3 from 10.0.1.2, 2 from loopback, 1 from a unix socket. */
const LINES = [
  ...Array.from({ length: 25 }, (_, i) => line(i + 1, `10.0.1.23:${40000 + i}`)),
  ...Array.from({ length: 3 }, (_, i) => line(100 + i, `10.0.1.2:${50000 + i}`, { idle: '1' })),
  ...Array.from({ length: 2 }, (_, i) => line(200 + i, `127.0.0.5:${51000 + i}`, { idle: '1' })),
  line(300, '/tmp/redis.sock:0', { flags: 'U', idle: '1' }),
];

function sampleOf(lines: readonly string[]): RawNodeSample {
  const info = ['# Server', 'redis_version:7.2.4', 'redis_mode:standalone', 'run_id:abc', 'uptime_in_seconds:5000', '# Clients', `connected_clients:${lines.length}`,
    'maxclients:10000', 'blocked_clients:0', '# Stats', 'total_connections_received:100', 'rejected_connections:0', '# Replication', 'role:master'].join('\r\n');
  return {
    node: '10.0.0.5:6379', takenAtMs: 1_700_000_000_000, infoText: `${info}\r\n`, clientListText: `${lines.join('\n')}\n`,
    config: { timeoutSeconds: 0, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [],
    cost: { commandsSent: 3, bytesRead: 9000, roundTripMs: 1 },
  };
}

function report(resolvedSources?: ReadonlyMap<string, Workload>, lines: readonly string[] = LINES): AuditReport {
  return assessAudit({
    target: 'rediss://orders.abc123.euw1.cache.amazonaws.com:6379',
    samples: [[sampleOf(lines)]],
    failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: 1_700_000_000_000, nowMs: 1_700_000_000_050, toolVersion: '0.1.0',
    ...(resolvedSources ? { resolvedSources } : {}),
  }).report;
}

describe('addressesToResolve', () => {
  it('asks for the addresses of the last sample, most connections first, never a unix socket', () => {
    expect(addressesToResolve([sampleOf(LINES)])).toEqual(['10.0.1.23', '10.0.1.2', '127.0.0.5']);
  });

  it('asks for at most the limit, and nothing of a node without a client list', () => {
    expect(addressesToResolve([sampleOf(LINES)], 1)).toEqual(['10.0.1.23']);
    expect(addressesToResolve([{ ...sampleOf(LINES), clientListText: null }])).toEqual([]);
  });
});

describe('sourcesToResolve', () => {
  it('lists a finished report\'s finding subjects first, then the largest sources, never a unix socket', () => {
    expect(sourcesToResolve(report())).toEqual(['10.0.1.23', '10.0.1.2', '127.0.0.5']);
    expect(sourcesToResolve(report(), 1)).toEqual(['10.0.1.23']);
  });
});

describe('an assessment with resolved sources', () => {
  const before = report();
  const after = report(new Map([['10.0.1.23', LAMBDA], ['10.0.1.2', INSTANCE]]));

  it('groups the clients into the resource and names it in the finding, with how it was identified', () => {
    const leak = after.findings.find((f) => f.kind === 'idle-connections');
    expect(leak?.subject).toEqual({ workload: 'Lambda function orders-api', identifiedBy: 'aws-resource', sourceIp: '10.0.1.23' });
    expect(leak?.message).toMatch(/^Lambda function orders-api \(AWS resource behind the addresses, at 10\.0\.1\.23\) holds 25 connections/);
    expect(after.groups.byWorkload[0]).toMatchObject({ key: 'lambda:orders-api', label: 'Lambda function orders-api', identifiedBy: 'aws-resource', members: 1, connections: 25 });
  });

  it('groups a fleet of task addresses of one ECS service into one workload', () => {
    const ips = Array.from({ length: 12 }, (_, i) => `10.0.2.${i + 1}`);
    const lines = ips.flatMap((ip, n) => Array.from({ length: 3 }, (_, i) => line(1000 + n * 10 + i, `${ip}:${40000 + i}`)));
    const service: Workload = { kind: 'ecs-task', label: 'ECS service orders (cluster prod)', details: { service: 'orders', cluster: 'prod' } };
    const fleet = report(new Map(ips.map((ip) => [ip, service])), lines);
    expect(fleet.groups.byWorkload.map((g) => [g.key, g.members, g.connections])).toEqual([['ecs-service:prod/orders', 12, 36]]);
    expect(fleet.findings.filter((f) => f.severity !== 'info').map((f) => [f.subject.workload, f.evidence.members]))
      .toEqual([['ECS service orders (cluster prod)', 12]]);
  });

  it('adds the resource to the resolved source groups and leaves the others untouched', () => {
    const groups = after.groups.bySourceIp;
    expect(groups.find((g) => g.key === '10.0.1.23')?.workload).toEqual(LAMBDA);
    expect(groups.find((g) => g.key === '10.0.1.2')?.workload).toEqual(INSTANCE);
    expect(groups.find((g) => g.key === '127.0.0.5')).toEqual(before.groups.bySourceIp.find((g) => g.key === '127.0.0.5'));
  });

  it('adds the workloads map, and keeps the report valid against the schema', () => {
    expect(after.workloads).toEqual({ '10.0.1.23': LAMBDA, '10.0.1.2': INSTANCE });
    expectValidReport(JSON.parse(JSON.stringify(after)));
    expect(after.schemaVersion).toBe(1);
  });

  it('is the assessment by address when nothing was resolved, or none of the resolved IPs is in it', () => {
    expect(before.workloads).toBeUndefined();
    expect(before.findings.find((f) => f.kind === 'idle-connections')?.subject).toEqual({ workload: '10.0.1.23', identifiedBy: 'source-address', sourceIp: '10.0.1.23' });
    expect(report(new Map([['10.7.7.7', LAMBDA]]))).toEqual(before);
  });
});

describe('annotate', () => {
  it('matches whole addresses only', () => {
    const workloads = new Map([['10.0.0.1', LAMBDA]]);
    expect(annotate('10.0.0.12 and 10.0.0.1: both', workloads)).toBe('10.0.0.12 and 10.0.0.1 (Lambda function orders-api): both');
  });

  it('labels every IP a churn message lists, and does not label twice', () => {
    const workloads = new Map([['10.0.1.23', LAMBDA], ['10.0.1.2', INSTANCE]]);
    const once = annotate('the youngest connections come from 10.0.1.23, 10.0.1.2', workloads);
    expect(once).toBe('the youngest connections come from 10.0.1.23 (Lambda function orders-api), 10.0.1.2 (EC2 instance web-1 (i-0123456789abcdef0))');
    expect(annotate(once, workloads)).toBe(once);
  });
});
