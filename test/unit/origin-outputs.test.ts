// Every output names the line that leaks, as the on-call engineer reads it: the terminal, the HTML page,
// the e-mail and the chat notification; and none names the healthy shared client beside it. The whole
// text is searched where it lists findings only; elsewhere the findings' part (client names are listed
// in the name tables, healthy ones included).
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/render-report.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import { buildNotification } from '../../lambda/core/notification-text.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { auditClientList, clientLines, fleetWithSharedClient, USED_ONCE } from '../support/origin-client-list.js';

const LEAKING = 'src/handlers/user.ts:42';
const HEALTHY = 'src/redis.ts:3';

function notify(report: AuditReport) {
  return buildNotification({
    report, targetName: 'orders-cache', reason: 'new-finding', newKeys: [],
    links: { consoleUrl: 'https://s3.console.aws.amazon.com/s3/object/audit-bucket?prefix=reports/orders-cache/latest.html', presignedUrl: null, presignedExpiresAt: null, nowMs: 0 },
  });
}

/** The terminal's findings block: from its title to the blank line after it. */
function terminalFindings(report: AuditReport): string {
  const text = renderReport(report, false);
  const start = text.indexOf('Findings (');
  return text.slice(start, text.indexOf('\n\n', start));
}

/** The page's findings section. */
function pageFindings(report: AuditReport): string {
  const page = renderHtmlReport(report);
  const start = page.indexOf('<section id="findings"');
  return page.slice(start, page.indexOf('</section>', start));
}

describe('a fleet leaking at one line beside its shared client', () => {
  const report = auditClientList(fleetWithSharedClient());

  it('prints the line in the terminal: where, how many, the fix', () => {
    const text = terminalFindings(report);
    expect(text).toContain(`WARNING  idle-connections  orders-api (client name, 10 addresses, largest 10.0.1.1): 300 connections opened at ${LEAKING} are never closed (idle since they were opened).`);
    expect(text).toContain(`leaking at: ${LEAKING} (300 of its 300 connections)`);
    expect(text).toContain(`fix: Open ${LEAKING}: a client is created there per call and never closed; create one client at startup and share it`);
    expect(text).not.toContain(HEALTHY);
  });

  it('puts the line in the e-mail, with its numbers and the fix, and nothing about the shared client', () => {
    const { email, subject } = notify(report);
    expect(email).toContain(`1. WARNING: orders-api (client name, 10 addresses, largest 10.0.1.1): 300 connections opened at ${LEAKING} are never closed`);
    expect(email).toContain(`   Leaking at: ${LEAKING} (300 of its 300 connections)\n   Fix: Open ${LEAKING}: a client is created there per call and never closed`);
    expect(email).not.toContain(HEALTHY);
    expect(subject).toContain('orders-api');
  });

  it('puts the line in the chat notification, first in the next steps', () => {
    const chat = JSON.parse(notify(report).https) as { content: { description: string; nextSteps: string[] } };
    expect(chat.content.description).toContain(`opened at ${LEAKING} are never closed`);
    expect(chat.content.description).toContain(`_Leaking at:_ ${LEAKING} (300 of its 300 connections)`);
    expect(chat.content.nextSteps[0]).toMatch(/^Open src\/handlers\/user\.ts:42: a client is created there per call/);
    expect(JSON.stringify(chat)).not.toContain(HEALTHY);
  });

  it('shows the line on the page: in the message, as the subject, with its numbers and in the fix', () => {
    const section = pageFindings(report);
    expect(section).toContain(`<span class="chip"><i>origin</i> <span class="mono">${LEAKING}</span></span>`);
    expect(section).toContain(`Leaking at (connections left open / all from there): <code>${LEAKING}</code> (300 / 300).`);
    expect(section).toContain(`<b>Fix:</b> Open ${LEAKING}: a client is created there per call`);
    expect(section).not.toContain(HEALTHY);
  });
});

describe('a hashed origin in the outputs', () => {
  const report = auditClientList(clientLines(30, { name: 'orders-api@#1a2b3c4d', ...USED_ONCE }));

  it('reads as a hashed origin in the terminal, the e-mail and the page', () => {
    expect(terminalFindings(report)).toContain('leaking at: hashed origin #1a2b3c4d (30 of its 30 connections)');
    expect(notify(report).email).toContain('30 connections opened at hashed origin #1a2b3c4d are never closed');
    expect(pageFindings(report)).toContain('hashed origin <code>#1a2b3c4d</code> (30 / 30)');
  });
});

describe('a workload without origins in the outputs', () => {
  const report = auditClientList(clientLines(30, { name: 'celery@worker-7', ...USED_ONCE }));

  it('has no origin line anywhere', () => {
    expect(terminalFindings(report)).not.toContain('leaking at');
    expect(notify(report).email).not.toContain('Leaking at');
    expect(pageFindings(report)).not.toContain('Leaking at');
    expect(pageFindings(report)).not.toContain('<i>origin</i>');
  });
});
