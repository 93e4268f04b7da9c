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
    const found = new Set(report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.kind} ${f.subject.sourceIp ?? ''}`.trim()));
    expect(found).toEqual(new Set([
      'idle-connections 127.0.0.2',
      'connection-growth 127.0.0.2',
      'pubsub-leak 127.0.0.3',
      'blocked-clients 127.0.0.4',
      'open-transaction 127.0.0.5',
      ...[...found].filter((f) => f.startsWith('connection-churn')),
    ]));
    expect([...found].some((f) => f.startsWith('connection-churn'))).toBe(true);
    expect(run.stderr).toContain('redis-server stopped');
    // The demo writes its HTML page and says where (on stderr with --json).
    const htmlPath = /report written to (\S+\.html)/.exec(run.stderr)?.[1] ?? '';
    expect(readFileSync(htmlPath, 'utf8')).toContain('127.0.0.2');
    expect(await listening(Number(report.target.split(':').pop()))).toBe(false);
  }, 40_000);
});
