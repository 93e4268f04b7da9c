// The reclaim section in every output: the e-mail and the chat message lead with its sentence (whatever the
// number of findings), the HTML page shows it with whose connections and which, escaped, and the terminal
// prints the same sentence. Workload names come from the server: a hostile one stays inert everywhere.
import { describe, expect, it } from 'vitest';
import { renderReclaim, SELECTED_ROWS } from '../../cli/reclaim-output.js';
import { assessAudit } from '../../lambda/core/audit.js';
import { RECOMMENDATIONS } from '../../lambda/core/findings/recommendations.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import { RECLAIM_ROWS } from '../../lambda/core/html/reclaim.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { buildNotification, CHATBOT_LIMITS, MESSAGE_MAX_BYTES } from '../../lambda/core/notification-text.js';
import type { NotifyReason } from '../../lambda/core/notify-policy.js';
import { reclaimReport, type ReclaimReport } from '../../lambda/core/reclaim-report.js';
import { SKIP_REASONS, type ReclaimCandidate, type SkipReason } from '../../lambda/core/reclaim-selection.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { md } from '../../lambda/core/text-safety.js';
import { expectValidReport } from '../support/report-schema.js';

const NOW = Date.parse('2026-11-26T03:10:00Z');
const NODE = '10.0.0.5:6379';
const CONSOLE = 'https://s3.console.aws.amazon.com/s3/object/audit-bucket?region=eu-west-1&prefix=reports/orders-cache/latest.html';
const PRESIGNED = 'https://audit-bucket.s3.eu-west-1.amazonaws.com/reports/orders-cache/latest.html?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=abc';
const GOAL = { connectedClients: 9800, maxClients: 10_000, keepAtMost: 8000, needed: 1800 };
const HOSTILE = '<script>alert(1)</script>\n# injected *bold*';

const { report: audited } = assessAudit({
  target: 'redis://orders-cache:6379',
  samples: [[{ node: NODE, takenAtMs: NOW, infoText: 'connected_clients:9800\r\nmaxclients:10000\r\n',
    clientListText: 'id=1 addr=10.0.0.1:5000 name= age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 cmd=get user=default\n',
    config: { timeoutSeconds: 0, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 } }]],
  failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: NOW, nowMs: NOW, toolVersion: '0.1.0',
});

function candidates(n: number, workload = 'orders-api', origin: string | null = 'handlers/user.ts:15', firstId = 1000): ReclaimCandidate[] {
  return Array.from({ length: n }, (_, i) => ({
    id: firstId + i, addr: `10.0.0.7:${40000 + i}`, workload, ageSeconds: 90_000 - i, idleSeconds: 89_990 - i,
    ...(origin === null ? {} : { origin }),
  }));
}

function skipped(overrides: Partial<Record<SkipReason, number>> = {}): Record<SkipReason, number> {
  return { ...Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>, ...overrides };
}

function section(overrides: Partial<Omit<ReclaimReport, 'summary' | 'byWorkload'>> = {}): ReclaimReport {
  return reclaimReport({
    mode: 'break-glass', outcome: 'reclaimed', reason: null, node: NODE, selected: candidates(1000), killed: 1000, spared: 0,
    skipped: skipped({ 'other-workload': 340, 'not-idle-long-enough': 12, 'own-connection': 1 }), capped: 200, minIdleSeconds: 3600, max: 1000,
    goal: GOAL, ...overrides,
  });
}

function leak(i: number, workload = `svc-${i}`): Finding {
  return {
    kind: 'idle-connections', severity: 'critical', subject: { workload, sourceIp: `10.1.${i >> 8}.${i & 255}` },
    message: `${workload} holds 300 connections, 300 idle for 1 h or more ${'*_[]'.repeat(40)}`,
    evidence: { connections: 300 }, recommendation: RECOMMENDATIONS['idle-connections'],
  };
}

function reportWith(reclaim: ReclaimReport | undefined, findings: Finding[] = [leak(0, 'orders-api')]): AuditReport {
  const report: AuditReport = {
    ...audited, findings, summary: { ...audited.summary, suspectedLeaks: findings.length }, ...(reclaim === undefined ? {} : { reclaim }),
  };
  expectValidReport(report);
  return report;
}

function notify(report: AuditReport, reason: NotifyReason = 'reclaimed') {
  return buildNotification({
    report, targetName: 'orders-cache', reason, newKeys: [],
    links: { consoleUrl: CONSOLE, presignedUrl: PRESIGNED, presignedExpiresAt: '2026-11-26T04:05:00Z', nowMs: NOW },
  });
}

const chat = (https: string) => JSON.parse(https) as { content: { title: string; description: string }; metadata: { summary: string } };

const SENTENCE = 'Reclaimed 1,000 idle connections of orders-api opened at handlers/user.ts:15, to keep at most 8,000 of maxclients 10,000 in use; '
  + 'the leak is still there: fix it (see the finding).';

describe('the e-mail', () => {
  it('leads with the break-glass sentence, right after the intro, and the facts behind it', () => {
    const reclaim = section();
    expect(reclaim.summary).toBe(SENTENCE);
    const message = notify(reportWith(reclaim));
    const lines = message.email.split('\n');
    expect(lines[0]).toBe('The break-glass reclaimed connections on orders-cache.');
    expect(lines[2]).toBe(SENTENCE);
    expect(lines[3]).toBe('Node 10.0.0.5:6379; 9,800 of maxclients 10,000 were in use; only connections idle at least 1 hour and used only '
      + 'when opened were closed (at most 1,000 this run); 200 more eligible were left open (the per-run cap).');
    expect(message.email.indexOf(SENTENCE)).toBeLessThan(message.email.indexOf('Findings, most severe first'));
  });

  it('says in the subject and the chat title what was killed and whose', () => {
    const message = notify(reportWith(section()));
    expect(message.subject).toBe('[CRITICAL] redis-leak-auditor: orders-cache: break-glass reclaimed 1,000 connections of orders-api');
    expect(chat(message.https).content.title).toBe('CRITICAL: orders-cache: break-glass reclaimed 1,000 connections of orders-api');
    expect(message.default.split('\n')[1]).toBe(SENTENCE);
  });

  it('keeps the sentence whole with 5,000 findings, and the whole message within the SNS bound', () => {
    const many = Array.from({ length: 5000 }, (_, i) => leak(i));
    const message = notify(reportWith(section(), many));
    expect(message.email.split('\n')[2]).toBe(SENTENCE);
    expect(message.email).toMatch(/\.\.\. and 4\d{3} more findings in the report\./);
    expect(chat(message.https).content.description).toContain(`*${md(SENTENCE, 2000)}*`);
    expect(Buffer.byteLength(JSON.stringify({ default: message.default, email: message.email, https: message.https }), 'utf8')).toBeLessThan(MESSAGE_MAX_BYTES);
  });

  it("leads with a refusal, whatever the run's reason, saying nothing was killed", () => {
    const reason = "The target has no reclaim credential (reclaimSecretArn: a Redis user with the read-only rule plus +client|kill), and the audit's own user is read-only.";
    const refused = section({ outcome: 'refused', reason, killed: 0, capped: 0 });
    const message = notify(reportWith(refused), 'new-finding');
    const lines = message.email.split('\n');
    expect(lines[0]).toBe('redis-leak-auditor found new connection problems on orders-cache.');
    expect(lines[2]).toBe(refused.summary);
    expect(lines[2]).toMatch(/^Break-glass did not act: The target has no reclaim credential .* Nothing was killed\. It would have closed 1,000 idle connections of orders-api/);
    expect(lines[3]).toBe('Node 10.0.0.5:6379; 9,800 of maxclients 10,000 were in use.');
    // Nothing was killed: the subject stays the findings' own.
    expect(message.subject).toBe('[CRITICAL] redis-leak-auditor: orders-cache: 1 suspected leak: orders-api');
    // Even under the 'reclaimed' reason, the intro never says connections were reclaimed when none were.
    expect(notify(reportWith(refused), 'reclaimed').email.split('\n')[0]).toBe('The break-glass on orders-cache did not reclaim connections.');
  });

  it('puts a break-glass that was not needed on one line near the end, and leaves it out of the chat', () => {
    const reason = 'Connections are at 45% of maxclients, below the critical level (95%).';
    const notNeeded = section({ outcome: 'not-needed', reason, selected: [], killed: 0, capped: 0, max: 0, goal: undefined });
    const message = notify(reportWith(notNeeded), 'new-finding');
    const line = `Break-glass: not needed. ${reason}`;
    expect(message.email).toContain(`${line}\n\nReport:`);
    expect(message.email.indexOf(line)).toBeGreaterThan(message.email.indexOf('Findings, most severe first'));
    expect(chat(message.https).content.description).not.toContain('not needed');
    expect(message.default).not.toContain('not needed');
  });

  it('says nothing about reclaiming when the report has no reclaim section', () => {
    const message = notify(reportWith(undefined), 'new-finding');
    expect(message.email).not.toMatch(/reclaim|break-glass/i);
    expect(chat(message.https).content.description).not.toMatch(/reclaim|break-glass/i);
  });
});

describe('the chat message', () => {
  it('carries the sentence in bold right after the intro, before the target line', () => {
    const { description } = chat(notify(reportWith(section())).https).content;
    const lines = description.split('\n');
    expect(lines[0]).toBe('The break-glass reclaimed connections on orders-cache.');
    expect(lines[1]).toBe(`*${md(SENTENCE, 2000)}*`);
    expect(lines[2]).toMatch(/^_Node 10\.0\.0\.5:6379; 9,800 of maxclients 10,000 were in use;/);
    expect(lines[3]).toMatch(/^\*Target:\*/);
  });

  it('keeps the sentence and stays within the description limit with 5,000 findings', () => {
    const { description } = chat(notify(reportWith(section(), Array.from({ length: 5000 }, (_, i) => leak(i)))).https).content;
    expect(description.length).toBeLessThanOrEqual(CHATBOT_LIMITS.description);
    expect(description.split('\n')[1]).toBe(`*${md(SENTENCE, 2000)}*`);
    expect(description).toMatch(/_… and 4\d{3} more findings in the report\._/);
  });

  it('escapes a hostile workload name in the sentence, in every text, and keeps it on one line', () => {
    const reclaim = section({ selected: candidates(3, HOSTILE), killed: 3, capped: 0 });
    const message = notify(reportWith(reclaim));
    const { content, metadata } = chat(message.https);
    expect(content.description).not.toContain('<script>');
    expect(content.description).toContain('&lt;script&gt;alert(1)&lt;/script&gt; # injected \\*bold\\*');
    expect(content.title).not.toContain('<script>');
    for (const text of [content.description, message.email, message.default, metadata.summary]) {
      expect(text.split('\n').some((line) => line.trimStart().startsWith('# injected'))).toBe(false);
    }
    expect(message.email).toContain('Reclaimed 3 idle connections of <script>alert(1)</script> # injected *bold* opened at handlers/user.ts:15');
    expect(message.subject).toMatch(/^[\x20-\x7E]+$/);
  });
});

const reclaimSectionOf = (page: string) => /<section id="reclaim"[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';

describe('the HTML page', () => {
  it('shows the sentence, the workloads, the goal and what was left alone, right after the verdict', () => {
    const page = renderHtmlReport(reportWith(section()));
    const block = reclaimSectionOf(page);
    expect(block).toContain('<h2 id="reclaim-h">Break-glass reclaim</h2>');
    expect(block).toContain(`<strong>${SENTENCE}</strong>`);
    expect(block).toContain('keep at most 8,000 of maxclients 10,000 in use; 9,800 were in use, 1,800 connections over');
    expect(block).toContain('<strong>1,000</strong> of 1,000 selected');
    expect(block).toContain('1 the auditor&#39;s own, 340 other workloads, 12 not idle long enough');
    expect(block).toMatch(/<td class="k"><span class="mono">orders-api<\/span><\/td><td><code>handlers\/user\.ts:15<\/code><\/td><td class="n">1,000<\/td>/);
    const order = ['id="verdict"', 'id="reclaim"', 'id="findings"'].map((marker) => page.indexOf(marker));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it(`lists the first ${RECLAIM_ROWS} selected connections, oldest first, and counts the rest`, () => {
    const block = reclaimSectionOf(renderHtmlReport(reportWith(section())));
    const selectedTable = block.slice(block.indexOf('Selected connections (1,000)'));
    expect(selectedTable.match(/<tr>/g)?.length).toBe(RECLAIM_ROWS + 1); // the header row and the connections
    expect(selectedTable).toContain('<td class="k"><span class="mono">1000</span></td><td><span class="mono nw">10.0.0.7:40000</span></td>');
    expect(selectedTable).toContain('<span class="mono">1049</span>');
    expect(selectedTable).not.toContain('<span class="mono">1050</span>');
    expect(selectedTable).toContain(`… and ${(1000 - RECLAIM_ROWS).toLocaleString('en-US')} more`);
  });

  it('escapes a hostile workload name and origin everywhere in the block', () => {
    const reclaim = section({ selected: candidates(3, HOSTILE, '"><img src=x onerror=alert(1)>'), killed: 3, capped: 0 });
    const page = renderHtmlReport(reportWith(reclaim));
    const block = reclaimSectionOf(page);
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(block).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(block).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('puts a break-glass that was not needed near the end, and has no block without a reclaim section', () => {
    const notNeeded = section({ outcome: 'not-needed', reason: 'Below the critical level.', selected: [], killed: 0, capped: 0, max: 0, goal: undefined });
    const page = renderHtmlReport(reportWith(notNeeded));
    expect(reclaimSectionOf(page)).toContain('Break-glass: not needed. Below the critical level.');
    expect(reclaimSectionOf(page)).not.toContain('Selected connections');
    expect(page.indexOf('id="reclaim"')).toBeGreaterThan(page.indexOf('id="findings"'));
    expect(page.indexOf('id="reclaim"')).toBeLessThan(page.indexOf('id="nodes"'));
    expect(renderHtmlReport(reportWith(undefined))).not.toContain('id="reclaim"');
  });

  it('shows why killing stopped early and how many were spared', () => {
    const block = reclaimSectionOf(renderHtmlReport(reportWith(section({ killed: 900, spared: 60, stoppedBy: 'the run reached its <deadline>' }))));
    expect(block).toContain('<strong>900</strong> of 1,000 selected; 60 were gone or used again when checked, and left alone');
    expect(block).toContain('<span class="err">the run reached its &lt;deadline&gt;</span>');
    expect(block).toContain('the server closed 900, 60 gone or used again were left alone');
  });

  it('says one subscriber, two subscribers; and why eligible connections stayed open: the cap or the goal', () => {
    const one = reclaimSectionOf(renderHtmlReport(reportWith(section({ skipped: skipped({ subscriber: 1, 'replication-link': 1 }) }))));
    const two = reclaimSectionOf(renderHtmlReport(reportWith(section({ skipped: skipped({ subscriber: 2, 'replication-link': 2 }) }))));
    expect(one).toContain('1 replication link, 1 subscriber<');
    expect(two).toContain('2 replication links, 2 subscribers<');
    // max 1,000 < 1,800 needed: the cap held it; max 900 = needed: the goal did.
    expect(one).toContain('at most 1,000 this run; 200 more left open (the per-run cap)');
    const goal = { ...GOAL, keepAtMost: 8900, needed: 900 };
    const goalMet = reclaimSectionOf(renderHtmlReport(reportWith(section({ goal, max: 900, selected: candidates(900), killed: 900 }))));
    expect(goalMet).toContain('at most 900 this run; 200 more left open (closing 900 was enough to get down to 8,900)');
    const cli = reclaimSectionOf(renderHtmlReport(reportWith(section({ mode: 'cli', goal: undefined }))));
    expect(cli).toContain('at most 1,000 per run; 200 more left open (the per-run cap)');
  });
});

describe('the terminal', () => {
  it('prints the sentence, the workloads, the selected connections and the skip counts', () => {
    const text = renderReclaim(section({ mode: 'cli', killed: 990, spared: 10, goal: undefined, stoppedBy: 'CLIENT KILL failed: NOPERM' }));
    const lines = text.split('\n');
    expect(lines[1]).toBe('Reclaim (--apply):');
    expect(lines[2]).toBe('  Reclaimed 990 idle connections of orders-api opened at handlers/user.ts:15 (990 of 1,000 selected; 10 were gone or used '
      + 'again when checked); the leak is still there: fix it (see the finding). Stopped early: CLIENT KILL failed: NOPERM.');
    expect(text).toContain('  node: 10.0.0.5:6379\n');
    expect(text).toContain('  killed: 990 of 1,000 selected (10 gone or used again when checked, left alone)\n');
    expect(text).toMatch(/ {4}workload\s+opened at\s+selected\n {4}orders-api\s+handlers\/user\.ts:15\s+1,000\n/);
    expect(text).toMatch(/ {4}id\s+address\s+workload\s+age\s+idle\s+opened at\n {4}1000\s+10\.0\.0\.7:40000\s+orders-api\s+1d\s+1d\s+handlers\/user\.ts:15\n/);
    expect(lines.filter((l) => /^ {4}\d+ /.test(l))).toHaveLength(SELECTED_ROWS);
    expect(text).toContain(`    ... and ${(1000 - SELECTED_ROWS).toLocaleString('en-US')} more (--json lists them all)\n`);
    expect(text).toContain('  skipped: own-connection 1, other-workload 340, not-idle-long-enough 12\n');
    expect(text).toContain('  stopped early: CLIENT KILL failed: NOPERM\n');
  });

  it('prints a dry run, a refusal and a not-needed break-glass with their own sentence', () => {
    const dry = section({ mode: 'cli', outcome: 'dry-run', selected: candidates(2), killed: 0, capped: 0, goal: undefined });
    expect(renderReclaim(dry)).toContain('Reclaim (dry run; nothing was killed, --apply kills):\n  Reclaim (dry run): would close 2 idle connections');
    expect(renderReclaim(dry)).not.toContain('killed:');
    const refused = section({ mode: 'cli', outcome: 'refused', reason: 'The node is a replica: reclaiming acts only on a primary.', selected: [], killed: 0, capped: 0, max: 0, goal: undefined });
    expect(renderReclaim(refused)).toContain('Reclaim (refused):\n  Reclaim did not act: The node is a replica: reclaiming acts only on a primary. Nothing was killed.\n');
    expect(renderReclaim(refused)).not.toContain('reason:');
    const notNeeded = section({ outcome: 'not-needed', reason: 'Below the critical level.', selected: [], killed: 0, capped: 0, max: 0, goal: undefined });
    expect(renderReclaim(notNeeded)).toBe('\nBreak-glass (not needed):\n  Break-glass: not needed. Below the critical level.\n  node: 10.0.0.5:6379\n');
  });

  it('keeps control characters from the server out of the terminal', () => {
    const text = renderReclaim(section({ selected: candidates(2, 'evil\u001b[31m\u202eapi', 'a.ts:1\r\nforged line'), killed: 2, capped: 0 }));
    for (const ch of ['\u001b', '\u202e', '\r']) expect(text).not.toContain(ch);
    expect(text).toContain('evil?[31m?api');
    expect(text.split('\n').some((l) => l.startsWith('forged line'))).toBe(false);
  });
});
