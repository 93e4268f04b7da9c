// `redis-leak-audit demo` end to end: every leak pattern of the demo is found, the healthy sources are not
// flagged, and nothing is left running.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../lambda/core/report.js';
import { cli } from '../support/run-cli.js';
import { expectValidReport } from '../support/report-schema.js';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('redis-leak-audit demo', () => {
  it('finds each leak pattern of the demo workload and leaves the healthy pools alone', async () => {
    const run = await cli(['demo', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as AuditReport;
    expectValidReport(report);
    const found = new Set(report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.kind} ${f.subject.workload ?? ''}`.trim()));
    // One leak, one finding: the growing per-request leak is reported once, with its idle connections as evidence.
    expect(found).toEqual(new Set([
      'connection-growth checkout-api',
      // Twelve pods, three leaked connections each: below every per-address threshold, one workload.
      'idle-connections orders-api',
      'pubsub-leak notifier',
      'blocked-clients queue-worker',
      'open-transaction billing',
      ...[...found].filter((f) => f.startsWith('connection-churn')),
    ]));
    expect([...found].some((f) => f.startsWith('connection-churn'))).toBe(true);
    const fleet = report.findings.find((f) => f.subject.workload === 'orders-api');
    expect(fleet?.evidence).toMatchObject({ members: 12, connections: 36, usedOnceIdleConnections: 36 });
    expect(report.summary.suspectedLeaks).toBe(5);
    // The checkout-api leak is named by the companion (redis-leak-auditor/track): the finding says which line.
    const checkout = report.findings.find((f) => f.subject.workload === 'checkout-api');
    expect(checkout?.subject.origin).toMatch(/^cli\/demo\/run-demo\.[jt]s:\d+$/);
    expect(fleet?.subject.origin).toBeUndefined(); // plain names: no origin
    expect(run.stderr).toContain('redis-server stopped');
    // The demo writes its HTML page and says where (on stderr with --json).
    const htmlPath = /report written to (\S+\.html)/.exec(run.stderr)?.[1] ?? '';
    expect(readFileSync(htmlPath, 'utf8')).toContain('127.0.0.2');
    expect(await listening(Number(report.target.split(':').pop()))).toBe(false);
  }, 40_000);
});
