// The SNS summary texts: a subject SNS accepts, an email that says what to fix and how long the link
// really works, a Chatbot custom notification that parses, and bounds that hold against any number of
// findings and any client name an application chooses.
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { RECOMMENDATIONS } from '../../lambda/core/findings/recommendations.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { buildNotification, type NotificationInput } from '../../lambda/core/notification-text.js';
import { findingKey } from '../../lambda/core/notify-policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { fleetFinding, workloadGroup } from '../support/builders.js';
import { expectValidReport } from '../support/report-schema.js';

const NOW = Date.parse('2026-11-26T13:10:00Z');
const NODE = '127.0.0.1:6379';
const CONSOLE = 'https://s3.console.aws.amazon.com/s3/object/audit-bucket?region=eu-west-1&prefix=reports/orders-cache/latest.json';
const PRESIGNED = 'https://audit-bucket.s3.eu-west-1.amazonaws.com/reports/orders-cache/latest.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800&X-Amz-Signature=abc';
const INFO = '# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\nconnected_clients:3\r\nmaxclients:10000\r\ntotal_connections_received:5\r\n';

const { report: healthy } = assessAudit({
  target: 'redis://orders-cache:6379',
  samples: [[{ node: NODE, takenAtMs: NOW, infoText: INFO, clientListText: 'id=1 addr=10.0.0.1:5000 name= age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 cmd=get user=default\n',
    config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 } }]],
  failedNodes: [], previousState: null, policy: defaultPolicy, startedAtMs: NOW, nowMs: NOW, toolVersion: '0.1.0',
});
const { report: unreachable } = assessAudit({
  target: 'redis://orders-cache:6379', samples: [], failedNodes: [{ node: NODE, error: 'connect ETIMEDOUT 10.0.0.5:6379', refusedMaxClients: false }],
  previousState: null, policy: defaultPolicy, startedAtMs: NOW, nowMs: NOW, toolVersion: '0.1.0',
});

function leak(sourceIp: string, clientName = 'checkout', severity: Finding['severity'] = 'warning'): Finding {
  return { kind: 'idle-connections', severity, subject: { sourceIp, clientName }, message: `${sourceIp} (${clientName}) holds 30 connections, 30 idle for 5 min or more`,
    evidence: { connections: 30 }, recommendation: RECOMMENDATIONS['idle-connections'] };
}

const growth: Finding = { kind: 'connection-growth', severity: 'critical', subject: { sourceIp: '10.0.0.7' }, message: '10.0.0.7 grew from 100 to 412 connections in 10 min',
  evidence: { growth: 312 }, recommendation: RECOMMENDATIONS['connection-growth'] };

function reportWith(findings: Finding[], base: AuditReport = healthy): AuditReport {
  const leaks = findings.filter((f) => f.severity !== 'info' && f.kind !== 'maxclients-pressure').length;
  const report = { ...base, findings, summary: { ...base.summary, suspectedLeaks: leaks } };
  expectValidReport(report);
  return report;
}

function build(overrides: Partial<NotificationInput> = {}, links: Partial<NotificationInput['links']> = {}) {
  return buildNotification({
    report: reportWith([leak('10.0.0.9'), growth, leak('10.0.0.8', 'billing')]), targetName: 'orders-cache', reason: 'new-finding', newKeys: [findingKey(growth)],
    links: { consoleUrl: CONSOLE, presignedUrl: PRESIGNED, presignedExpiresAt: '2026-11-26T14:05:40Z', nowMs: NOW, ...links },
    ...overrides,
  });
}

const chatbot = (https: string) => JSON.parse(https) as {
  version: string; source: string; id?: string;
  content: { textType: string; title: string; description: string; nextSteps?: string[]; keywords?: string[] };
  metadata: { threadId: string; summary?: string; eventType?: string; relatedResources?: string[]; additionalContext?: Record<string, string> };
};
const envelopeBytes = (m: ReturnType<typeof build>) => Buffer.byteLength(JSON.stringify({ default: m.default, email: m.email, https: m.https }), 'utf8');
const printableAscii = /^[\x20-\x7E]+$/;

describe('subject', () => {
  it('names the severity, the target and the count of suspected leaks', () => {
    expect(build().subject).toBe('[CRITICAL] redis-leak-auditor: orders-cache: 3 suspected leaks');
  });

  it('says "still open" on a reminder and "could not be audited" when the target is unreachable', () => {
    expect(build({ reason: 'reminder', newKeys: [] }).subject).toBe('[CRITICAL] redis-leak-auditor: orders-cache: 3 suspected leaks still open');
    expect(build({ report: unreachable, reason: 'unreachable', newKeys: [] }).subject).toBe('[FAILED] redis-leak-auditor: orders-cache: could not be audited');
  });

  it('stays under 100 printable ASCII characters without line breaks whatever the target name', () => {
    const subject = build({ targetName: `orders\r\n-cache-ümlaut-${'x'.repeat(300)}\u0007` }).subject;
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(printableAscii);
    expect(subject).toMatch(/^\[CRITICAL\] redis-leak-auditor: orders -cache-mlaut-x+\.\.\.: 3 suspected leaks$/);
  });
});

describe('email', () => {
  it('lists each finding with its fix, most severe first, and marks the new ones', () => {
    const { email } = build();
    const lines = email.split('\n');
    expect(lines).toContain('1. CRITICAL, NEW: 10.0.0.7 grew from 100 to 412 connections in 10 min');
    expect(lines).toContain('2. WARNING: 10.0.0.9 (checkout) holds 30 connections, 30 idle for 5 min or more');
    expect(email).toContain(`Fix: ${RECOMMENDATIONS['connection-growth']}`);
    expect(email).toContain(`Fix: ${RECOMMENDATIONS['idle-connections']}`);
    // The same fix twice is written once.
    expect(lines).toContain('   Fix: as above.');
    expect(email).toContain('Where:   orders-cache (redis://orders-cache:6379)');
  });

  it("states the presigned link's real lifetime, rounded down, and never promises days it does not have", () => {
    const { email } = build();
    expect(email).toContain(`- Direct download: ${PRESIGNED}`);
    expect(email).toContain('This link is valid until 2026-11-26 14:05 UTC, about 55 minutes. After that, use the S3 console link.');
    expect(email).not.toMatch(/7 days/);
    expect(email).toContain(`S3 console (needs an AWS console login with read access): ${CONSOLE}`);
  });

  it('says when no direct link could be signed and points to the console', () => {
    const { email } = build({}, { presignedUrl: null, presignedExpiresAt: null });
    expect(email).toContain('No direct download link could be signed; open the report from the S3 console link above.');
    expect(email).toContain(CONSOLE);
  });

  it('says when the link has already expired or its lifetime is unknown', () => {
    expect(build({}, { presignedExpiresAt: '2026-11-26T13:00:00Z' }).email).toContain('This link is already expired.');
    const unsigned = 'https://audit-bucket.s3.eu-west-1.amazonaws.com/reports/orders-cache/latest.json?X-Amz-Signature=abc';
    expect(build({}, { presignedUrl: unsigned, presignedExpiresAt: null }).email).toContain('valid for an unknown time');
  });

  it("states only an upper bound when the signing credentials' expiry is unknown, never a definite end", () => {
    // Lambda's role credentials carry no readable expiry: the link dies with the session, maybe before X-Amz-Expires.
    const signed = `${PRESIGNED.split('?')[0]}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261126T130930Z&X-Amz-Expires=3600&X-Amz-Security-Token=tok&X-Amz-Signature=abc`;
    const message = build({}, { presignedUrl: signed, presignedExpiresAt: null });
    const bound = "valid for at most 59 minutes, possibly less: it stops when the auditor's temporary credentials expire";
    expect(message.email).toContain(`This link is ${bound}. After that, use the S3 console link.`);
    expect(chatbot(message.https).content.description).toContain(`*Download* (${bound}): <${signed}>`);
    expect(message.email).not.toContain('valid until');
    expect(message.https).not.toContain('valid until');
  });

  it('keeps the definite end, the earlier of link and credentials, when the credentials expiry is known', () => {
    const message = build({}, { presignedExpiresAt: '2026-11-26T13:30:59Z' });
    expect(message.email).toContain('This link is valid until 2026-11-26 13:30 UTC, about 20 minutes. After that, use the S3 console link.');
    expect(chatbot(message.https).content.description).toContain('*Download* (valid until 2026-11-26 13:30 UTC, about 20 minutes)');
    expect(message.email).not.toContain('at most');
  });

  it('explains an unreachable target with the node error and what to check', () => {
    const { email } = build({ report: unreachable, reason: 'unreachable', newKeys: [] });
    expect(email).toContain('- 127.0.0.1:6379: connect ETIMEDOUT 10.0.0.5:6379');
    expect(email).toContain('Check the network path');
    expect(email).toContain('Status:  failed: no node could be read');
  });
});

describe('chatbot custom notification', () => {
  it('follows the custom notification schema with a thread per target', () => {
    const message = chatbot(build().https);
    expect(message).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(message.content.title).toBe('CRITICAL: orders-cache: 3 suspected leaks');
    expect(message.content.description).toContain('*CRITICAL* *NEW* 10.0.0.7 grew from 100 to 412 connections in 10 min');
    expect(message.content.description).toContain(`<${PRESIGNED}>`);
    expect(message.metadata.threadId).toBe(chatbot(build({ reason: 'reminder' }).https).metadata.threadId);
    expect(message.metadata.threadId).not.toBe(chatbot(build({ targetName: 'sessions-cache' }).https).metadata.threadId);
    expect(message.metadata.threadId).toMatch(/^redis-leak-auditor-orders-cache-[0-9a-f]{8}$/);
    expect(Object.values(message.metadata.additionalContext ?? {}).every((v) => typeof v === 'string')).toBe(true);
  });

  it('keeps within the documented field limits', () => {
    const { content } = chatbot(build({ report: reportWith(Array.from({ length: 300 }, (_, i) => leak(`10.1.${i >> 8}.${i & 255}`, 'n'.repeat(2000)))) }).https);
    expect(content.title.length).toBeLessThanOrEqual(250);
    expect(content.description.length).toBeLessThanOrEqual(8000);
    for (const step of content.nextSteps ?? []) expect(step.length).toBeLessThanOrEqual(350);
    for (const keyword of content.keywords ?? []) expect(keyword.length).toBeLessThanOrEqual(75);
  });
  it('leaves a link out of the chat rather than cutting it when the links are very long', () => {
    const long = (host: string) => `https://${host}/${'a'.repeat(3500)}`;
    const { content } = chatbot(build({}, { consoleUrl: long('console'), presignedUrl: long('bucket') }).https);
    expect(content.description).toContain(`<${long('console')}>`);
    expect(content.description).not.toContain('https://bucket');
    expect(content.description).toContain('10.0.0.7 grew from 100 to 412 connections');
  });
});

describe('bounds and hostile input', () => {
  it('keeps the whole SNS message under 32 KB with 5,000 findings and says how many were left out', () => {
    const many = Array.from({ length: 5000 }, (_, i) => leak(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `svc-${i}-${'"\\*'.repeat(300)}`));
    const message = build({ report: reportWith(many), newKeys: many.map(findingKey) });
    expect(envelopeBytes(message)).toBeLessThan(32 * 1024);
    expect(message.email).toMatch(/\.\.\. and 4\d{3} more findings in the report\./);
    expect(chatbot(message.https).content.description).toMatch(/_… and 4\d{3} more findings in the report\._/);
  });

  it('escapes HTML and markdown in client names for the chat, and keeps them on one line', () => {
    const hostile = [leak('10.0.0.1', '<img src=x onerror=alert(1)>'), leak('10.0.0.2', '*_[]()'), leak('10.0.0.3', 'evil\n# injected\r\n<!channel>')];
    const message = build({ report: reportWith(hostile), newKeys: [] });
    const { content } = chatbot(message.https);
    expect(content.description).not.toContain('<img');
    expect(content.description).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(content.description).toContain('\\*\\_\\[\\]()');
    expect(content.description).not.toContain('<!channel>');
    for (const text of [content.description, message.email, message.default]) {
      expect(text.split('\n').some((line) => line.trimStart().startsWith('# injected'))).toBe(false);
    }
    expect(message.subject).not.toMatch(/[\r\n]/);
  });

  it('keeps a plain default text for the other protocols', () => {
    const { default: text } = build();
    expect(text.split('\n')[0]).toBe('[CRITICAL] redis-leak-auditor: orders-cache: 3 suspected leaks');
    expect(text).toContain(CONSOLE);
    expect(text.length).toBeLessThan(1000);
  });
});

describe('workloads', () => {
  const fleet = workloadGroup('orders-api', 360, 30);
  const fleetReport = (finding = fleetFinding(fleet), others: Finding[] = []) => {
    const report = reportWith([finding, ...others]);
    return { ...report, summary: { ...report.summary, largestWorkload: { key: fleet.key, label: fleet.label, identifiedBy: fleet.identifiedBy, connections: 360, members: 30 } } };
  };

  it("adds a fleet's largest addresses and its total under the finding in the email", () => {
    const lines = build({ report: fleetReport(), newKeys: [] }).email.split('\n');
    const at = lines.findIndex((line) => line.startsWith('1. WARNING: orders-api (client name, 30 addresses'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('   Addresses: 10.0.1.1 (12 connections), 10.0.1.2 (12), 10.0.1.3 (12), 10.0.1.4 (12), 10.0.1.5 (12) and 25 more (30 in all)');
    expect(lines[at + 2]).toMatch(/^ {3}Fix: /);
  });

  it('adds no address line to a finding about one address', () => {
    expect(build().email).not.toContain('Addresses:');
  });

  it('names the largest workload, how it was identified and on how many addresses, in the email', () => {
    expect(build({ report: fleetReport(), newKeys: [] }).email.split('\n')).toContain('Largest workload: orders-api (client name), 360 connections on 30 addresses');
  });

  it('lists the three largest addresses and the total under the finding in the chat', () => {
    const { description } = chatbot(build({ report: fleetReport(), newKeys: [] }).https).content;
    expect(description).toContain('• *WARNING* orders-api (client name, 30 addresses, largest 10.0.1.1) holds 360 connections');
    expect(description).toContain('\n   _Addresses:_ 10.0.1.1 (12 connections), 10.0.1.2 (12), 10.0.1.3 (12) and 27 more (30 in all)');
  });

  it("names the most severe finding's workload in the subject, the chat title and the summary", () => {
    const one = build({ report: fleetReport(), newKeys: [] });
    expect(one.subject).toBe('[WARNING] redis-leak-auditor: orders-cache: 1 suspected leak: orders-api');
    expect(chatbot(one.https).content.title).toBe('WARNING: orders-cache: 1 suspected leak: orders-api');
    const critical = fleetFinding(workloadGroup('billing-worker', 500, 10), { severity: 'critical' });
    const two = build({ report: fleetReport(fleetFinding(fleet), [critical]), reason: 'reminder', newKeys: [] });
    expect(two.subject).toBe('[CRITICAL] redis-leak-auditor: orders-cache: 2 suspected leaks still open, worst: billing-worker');
    expect(chatbot(two.https).metadata.summary).toBe('orders-cache: 2 suspected leaks still open, worst: billing-worker');
    const onlyInfo = fleetFinding(fleet, { severity: 'info' });
    expect(build({ report: reportWith([onlyInfo]), newKeys: [] }).subject).toBe('[INFO] redis-leak-auditor: orders-cache: 1 finding');
  });

  it('keeps a hostile workload label on one line, escaped, in every text', () => {
    const evil = workloadGroup('evil\n# injected *bold* _x_ [link](https://x) <!channel> <img src=x>\u0007', 90, 3, {
      largestMembers: [{ sourceIp: '10.0.0.1\n# injected <b>', connections: 30 }],
    });
    const message = build({ report: reportWith([fleetFinding(evil)]), newKeys: [] });
    const { content, metadata } = chatbot(message.https);
    expect(message.subject).toMatch(printableAscii);
    expect(message.subject.length).toBeLessThan(100);
    expect(message.subject).toContain('1 suspected leak: evil # injected *bold* _x_');
    expect(content.title).toBe('WARNING: orders-cache: 1 suspected leak: evil # injected \\*bold\\* \\_x\\_ \\[link\\](https://x) &lt;!chan…');
    expect(content.description).toContain('evil # injected \\*bold\\* \\_x\\_ \\[link\\](https://x) &lt;!channel&gt; &lt;img src=x&gt;');
    for (const text of [content.title, content.description]) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<img');
      expect(text).not.toContain('*bold*');
    }
    expect(content.description).toContain('_Addresses:_ 10.0.0.1 # injected &lt;b&gt; (30 connections) and 2 more (3 in all)');
    expect(message.email).toContain('   Addresses: 10.0.0.1 # injected <b> (30 connections) and 2 more (3 in all)');
    expect(metadata.summary).not.toMatch(/[\r\n]/);
    expect(metadata.summary).not.toContain('\u0007');
    for (const text of [content.description, message.email, message.default]) {
      expect(text.split('\n').some((line) => line.trimStart().startsWith('# injected'))).toBe(false);
    }
  });

  it('keeps the whole SNS message under 32 KB and the chat within its limits with 2,000 fleet findings', () => {
    const many = Array.from({ length: 2000 }, (_, i) => fleetFinding(workloadGroup(`svc-${i}-${'*_'.repeat(100)}`, 400, 40)));
    const message = build({ report: reportWith(many), newKeys: many.map(findingKey) });
    expect(envelopeBytes(message)).toBeLessThan(32 * 1024);
    const { content } = chatbot(message.https);
    expect(content.title.length).toBeLessThanOrEqual(250);
    expect(content.description.length).toBeLessThanOrEqual(8000);
    expect(content.description).toMatch(/_… and 19\d\d more findings in the report\._/);
  });
});
