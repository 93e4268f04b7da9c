import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { renderReport } from '../../cli/render-report.js';
import { withResolvedSources } from '../../lambda/core/enrich-report.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { fleetFinding, workloadGroup } from '../support/builders.js';

const clientLine = (name: string) =>
  `id=7 addr=10.0.0.1:5000 laddr=127.0.0.1:6379 fd=7 name=${name} age=900 idle=900 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=get user=default`;

function reportWith(name: string, failed = false, listed = true, lines = [clientLine(name)]) {
  return assessAudit({
    target: 'redis://127.0.0.1:6379',
    samples: failed ? [] : [[{
      node: '127.0.0.1:6379', takenAtMs: 0, infoText: `connected_clients:${lines.length + 1}\r\nmaxclients:10000\r\n`,
      clientListText: listed ? lines.join('\n') : null, config: { timeoutSeconds: 0, maxClients: null, tcpKeepaliveSeconds: null },
      auditorAddresses: [], errors: [], cost: { commandsSent: 2, bytesRead: 10, roundTripMs: 1 },
    }]],
    failedNodes: failed ? [{ node: '127.0.0.1:6379', error: 'cannot connect to redis://127.0.0.1:6379: ECONNREFUSED', refusedMaxClients: false }] : [],
    previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 10, toolVersion: 'test',
  }).report;
}

describe('renderReport', () => {
  it('shows the findings, the sources and the most idle connections', () => {
    const text = renderReport(reportWith('billing'), false);
    expect(text).toContain('info     no-idle-timeout');
    expect(text).toMatch(/Sources \(by client IP\)\n\s+key\s+conns/);
    expect(text).toMatch(/10\.0\.0\.1:5000\s+billing\s+900\s+900/);
  });

  it('shows the idle and in-MULTI counts as unknown, not zero, when CLIENT LIST was not read', () => {
    expect(renderReport(reportWith('a'), false)).toMatch(/idle 1 .* in MULTI 0/);
    const text = renderReport(reportWith('a', false, false), false);
    expect(text).toMatch(/idle \? .* in MULTI \?/);
    expect(text).toContain('Not visible in this audit');
  });

  it('uses colour only when asked', () => {
    expect(renderReport(reportWith('a'), false)).not.toContain('\u001b[');
    expect(renderReport(reportWith('a'), true)).toContain('\u001b[');
  });

  it('never lets a client name drive the terminal', () => {
    const text = renderReport(reportWith('evil\u001b[2J\u0007'), false);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('evil?[2J?');
  });

  it('says plainly that a failed audit audited nothing', () => {
    const text = renderReport(reportWith('x', true), false);
    expect(text).toContain('ECONNREFUSED');
    expect(text).toContain('The target could not be audited');
    expect(text).not.toContain('No findings');
  });

  it('names the workload behind a source IP, in the terminal and in the HTML page (escaped)', () => {
    const report = withResolvedSources(reportWith('billing'), new Map([['10.0.0.1', { kind: 'lambda' as const, label: 'Lambda function <b>orders</b>' }]]));
    expect(renderReport(report, false)).toContain('10.0.0.1 (Lambda function <b>orders</b>)');
    const page = renderHtmlReport(report);
    expect(page).toContain('Lambda function &lt;b&gt;orders&lt;/b&gt;');
    expect(page).not.toContain('<b>orders');
  });

  it('shows the workloads first among the group tables, with how each was identified and on how many addresses', () => {
    const text = renderReport(fleetReport(), false);
    expect(text).toMatch(/Workloads\n\s+workload\s+identified by\s+addrs\s+conns\s+idle\s+used once\s+pubsub\s+blocked\s+multi\s+oldest\s+<1m/);
    expect(text).toMatch(/\n {2}orders-api\s+client name\s+30\s+360\s+360\s+360\s+0\s+0\s+0\s+15m\s+0\s+360\s+0\s+0\n/);
    expect(text.indexOf('Workloads')).toBeLessThan(text.indexOf('Sources (by client IP)'));
  });

  it('names the largest workload and the connections of the suspected leaks in the summary', () => {
    const text = renderReport(fleetReport(), false);
    expect(text).toContain('suspected leaks 1 (360 connections)');
    expect(text).toContain('largest workload orders-api 360 conns on 30 addresses (client name)');
    expect(renderReport(reportWith('billing'), false)).toContain('largest workload billing 1 conns on 1 address (client name)');
  });

  it("lists a fleet finding's largest addresses under it, and how many it has", () => {
    const lines = renderReport(fleetReport(), false).split('\n');
    const at = lines.findIndex((line) => line.includes('idle-connections  orders-api (client name, 30 addresses'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('           addresses: 10.0.1.1 (12), 10.0.1.2 (12), 10.0.1.3 (12), 10.0.1.4 (12), 10.0.1.5 (12), ... of 30');
    expect(lines[at + 2]).toMatch(/^ {11}fix: /);
  });

  it('adds no address line under a finding about one address', () => {
    const text = renderReport(reportWith('billing', false, true, Array.from({ length: 25 }, () => clientLine('billing'))), false);
    expect(text).toContain('idle-connections  billing (client name, at 10.0.0.1)');
    expect(text).not.toContain('addresses:');
  });

  it('never lets a workload label or an address drive the terminal, in the table, the summary or the finding', () => {
    const evil = 'orders\u001b[2J\u0007api';
    const group = workloadGroup(evil, 40, 8, { largestMembers: [{ sourceIp: 'unix:/tmp/\u001b[31mred', connections: 5 }] });
    const base = fleetReport();
    const report: AuditReport = {
      ...base,
      summary: { ...base.summary, largestWorkload: { key: group.key, label: evil, identifiedBy: 'client-name', connections: 40, members: 8 } },
      groups: { ...base.groups, byWorkload: [group] },
      findings: [fleetFinding(group)],
    };
    const text = renderReport(report, false);
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('largest workload orders?[2J?api 40 conns on 8 addresses');
    expect(text).toMatch(/\n {2}orders\?\[2J\?api\s+client name\s+8\s+40/);
    expect(text).toContain('addresses: unix:/tmp/?[31mred (5), ... of 8');
  });
});

/** orders-api on 30 addresses (10.0.1.1 to 10.0.1.30), 12 connections each, each used once and idle: one leak. */
function fleetReport() {
  let id = 1;
  const lines = Array.from({ length: 30 }, (_, a) => Array.from({ length: 12 }, () =>
    `id=${id++} addr=10.0.1.${a + 1}:${40000 + id} laddr=127.0.0.1:6379 fd=8 name=orders-api age=900 idle=900 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=get user=default`)).flat();
  return reportWith('orders-api', false, true, lines);
}
