import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { renderReport } from '../../cli/render-report.js';
import { enrichReport } from '../../lambda/core/enrich-report.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';

const clientLine = (name: string) =>
  `id=7 addr=10.0.0.1:5000 laddr=127.0.0.1:6379 fd=7 name=${name} age=900 idle=900 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=get user=default`;

function reportWith(name: string, failed = false, listed = true) {
  return assessAudit({
    target: 'redis://127.0.0.1:6379',
    samples: failed ? [] : [[{
      node: '127.0.0.1:6379', takenAtMs: 0, infoText: 'connected_clients:2\r\nmaxclients:10000\r\n',
      clientListText: listed ? clientLine(name) : null, config: { timeoutSeconds: 0, maxClients: null, tcpKeepaliveSeconds: null },
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
    const report = enrichReport(reportWith('billing'), new Map([['10.0.0.1', { kind: 'lambda' as const, label: 'Lambda function <b>orders</b>' }]]));
    expect(renderReport(report, false)).toContain('10.0.0.1 (Lambda function <b>orders</b>)');
    const page = renderHtmlReport(report);
    expect(page).toContain('Lambda function &lt;b&gt;orders&lt;/b&gt;');
    expect(page).not.toContain('<b>orders');
  });
});
