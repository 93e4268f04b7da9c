import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assessAudit, type FailedNode } from '../../lambda/core/audit.js';
import type { ClientGroup } from '../../lambda/core/client-groups.js';
import type { Finding } from '../../lambda/core/findings/index.js';
import { CONTENT_SECURITY_POLICY, escapeHtml, renderHtmlReport } from '../../lambda/core/html-report.js';
import { sha256 } from '../../lambda/core/html/sha256.js';
import { defaultPolicy, type AuditPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { fleetFinding, sample, workloadGroup } from '../support/builders.js';

const HOSTILE = '<img/src=x/onerror=alert(1)>';
const HOSTILE_ESCAPED = '&lt;img/src=x/onerror=alert(1)&gt;';
const NOW = Date.parse('2026-05-01T12:00:00Z');

interface Line { addr: string; name?: string; user?: string; lib?: string; age?: number; idle?: number; flags?: string }

let nextId = 1;
const clientLine = (c: Line) =>
  `id=${nextId++} addr=${c.addr} laddr=127.0.0.1:6379 fd=8 name=${c.name ?? ''} age=${c.age ?? 900} idle=${c.idle ?? 900} `
  + `flags=${c.flags ?? 'N'} db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=get user=${c.user ?? 'default'} lib-name=${c.lib ?? ''} lib-ver=`;

function audit(lines: readonly string[] | null, options: { failedNodes?: FailedNode[]; policy?: Partial<AuditPolicy>; target?: string; timeout?: number } = {}): AuditReport {
  return assessAudit({
    target: options.target ?? 'redis://cache.internal:6379',
    samples: lines === null ? [] : [[{
      node: 'cache.internal:6379', takenAtMs: NOW, infoText: `connected_clients:${lines.length + 1}\r\nmaxclients:10000\r\nrejected_connections:0\r\n`,
      clientListText: lines.join('\n'), config: { timeoutSeconds: options.timeout ?? 300, maxClients: null, tcpKeepaliveSeconds: 300 },
      auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 900, roundTripMs: 1.2 },
    }]],
    failedNodes: options.failedNodes ?? [],
    previousState: null, policy: { ...defaultPolicy, ...options.policy }, startedAtMs: NOW - 50, nowMs: NOW, toolVersion: '9.9.9',
  }).report;
}

const leak = (count: number, source = '10.0.0.7', name = 'orders-api') =>
  Array.from({ length: count }, (_, i) => clientLine({ addr: `${source}:${40000 + i}`, name }));

const group = (key: string, connections: number): ClientGroup => ({
  key, connections, idle: connections, idlePlain: connections, usedOnceIdle: connections, pubsub: 0, idleSubscribers: 0,
  emptySubscribers: 0, blocked: 0, longBlocked: 0, inTransaction: 0, longTransactions: 0, young: 0, fresh: 0, oldestAgeSeconds: 3600,
  maxIdleSeconds: 3500, ageBuckets: { '<1m': 0, '1m-1h': connections, '1h-1d': 0, '>1d': 0 }, names: { 'svc-a': connections },
});

const tagsOf = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map((m) => ({ name: (m[1] ?? '').toLowerCase(), attrs: m[2] ?? '' }));
const ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'h1', 'h2', 'h3', 'div', 'span', 'section',
  'p', 'strong', 'b', 'i', 'a', 'ul', 'li', 'dl', 'dt', 'dd', 'article', 'code', 'br', 'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td',
  'svg', 'rect', 'line', 'polyline', 'circle', 'text', 'title', 'footer']);

describe('renderHtmlReport', () => {
  it('renders an empty report as a healthy verdict with no sources, and one whole document', () => {
    const html = renderHtmlReport(audit([]));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('Healthy: no connection leak suspected');
    expect(html).toContain('No findings');
    expect(html).not.toContain('Largest sources');
    expect(html).not.toContain('Most idle connections');
  });

  it('says plainly that a failed audit read nothing, with the error, and never calls it healthy', () => {
    const html = renderHtmlReport(audit(null, {
      failedNodes: [{ node: 'cache.internal:6379', error: 'cannot connect to redis://cache.internal:6379: ECONNREFUSED', refusedMaxClients: false }],
    }));
    expect(html).toContain('Audit failed: nothing could be read from the target');
    expect(html).toContain('ECONNREFUSED');
    expect(html).toMatch(/<title>FAILED: /);
    expect(html).not.toContain('Healthy');
    expect(html).not.toContain('No findings:');
  });

  it('puts the verdict first: the leak finding with its subject, evidence and fix, and the source flagged', () => {
    const html = renderHtmlReport(audit(leak(30)));
    const verdict = html.indexOf('id="verdict"');
    expect(verdict).toBeGreaterThan(0);
    expect(verdict).toBeLessThan(html.indexOf('id="findings"'));
    expect(html).toContain('Warning: 1 finding needs attention');
    expect(html).toMatch(/<span class="kind">idle-connections<\/span><span class="subject"><span class="chip"><i>workload<\/i> <span class="mono">orders-api<\/span><\/span>/);
    expect(html).toContain('<span class="chip"><i>identified by</i> <span>client name</span></span><span class="chip"><i>source</i> <span class="mono">10.0.0.7</span></span></span>');
    expect(html).toContain('<dt>used once idle connections</dt><dd>30</dd>');
    expect(html).toContain('<b>Fix:</b> Reuse connections');
    expect(html).toContain('<code>await client.quit()</code>');
    expect(html).toMatch(/<tr class="flag"><td class="k"><span class="mono">10\.0\.0\.7<\/span><br><span class="badge s-warning">idle-connections/);
  });

  it('puts the target and generation time in the title and names the generator', () => {
    const html = renderHtmlReport(audit(leak(30)));
    expect(html).toContain('<title>WARNING: redis://cache.internal:6379, 2026-05-01 12:00:00 UTC</title>');
    expect(html).toContain('<meta name="generator" content="redis-leak-auditor 9.9.9">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  it('keeps a huge report bounded and says how many more rows the JSON holds', () => {
    const base = audit(leak(30));
    const groups = Array.from({ length: 3000 }, (_, i) => group(`10.${i >> 8}.${i & 255}.1`, 3000 - i));
    const workloads = Array.from({ length: 3000 }, (_, i) => workloadGroup(`svc-${i}`, 3000 - i, 1 + (i % 40)));
    const findings: Finding[] = Array.from({ length: 1000 }, (_, i) => ({
      kind: 'idle-connections', severity: i % 3 === 0 ? 'critical' : 'warning', subject: { sourceIp: groups[i]?.key ?? '' },
      message: `${groups[i]?.key} holds many idle connections`, evidence: { connections: 3000 - i, idleShare: 1 },
      recommendation: base.findings[0]?.recommendation ?? 'fix it',
    }));
    const huge: AuditReport = {
      ...base,
      groups: { byWorkload: workloads, bySourceIp: groups, byName: groups, byUser: groups, byLibrary: groups },
      groupsOmitted: { byWorkload: 200, bySourceIp: 500, byName: 0, byUser: 0, byLibrary: 0 },
      findings,
      topIdle: Array.from({ length: 3000 }, (_, i) => ({ ...(base.topIdle[0] ?? ({} as AuditReport['topIdle'][number])), id: i })),
    };
    const html = renderHtmlReport(huge);
    expect(html.length).toBeLessThan(150_000);
    expect(html).toContain('Showing the 60 most severe of 1,000 findings; the other 940 are in the JSON report.');
    expect(html).toContain('Showing 20 of 3,500 sources; 2,980 more are in the JSON report; 500 smaller ones were left out of the report itself');
    expect(html).toContain('Showing 10 of 3,000 names; 2,990 more are in the JSON report.');
    expect(html).toContain('Showing 20 of 3,200 workloads; 2,980 more are in the JSON report; 200 smaller ones were left out of the report itself');
    expect(html).toContain('Showing 15 of 3,000 idle connections');
    expect(html.match(/<article class="finding/g)).toHaveLength(60);
    expect(html.match(/<tr/g)?.length).toBeLessThan(140);
  });

  it('links the JSON report when given a safe href, and ignores any other', () => {
    const report = audit([]);
    expect(renderHtmlReport(report, { links: { json: '2026-05-01T12:00:00.000Z.json' } })).toContain('<a href="./2026-05-01T12:00:00.000Z.json">JSON report</a>');
    expect(renderHtmlReport(report, { links: { json: 'latest.json' } })).toContain('<a href="latest.json">JSON report</a>');
    expect(renderHtmlReport(report, { links: { json: 'https://bucket.s3.amazonaws.com/r.json?X-Amz-Signature=ab&x=1' } }))
      .toContain('href="https://bucket.s3.amazonaws.com/r.json?X-Amz-Signature=ab&amp;x=1"');
    for (const bad of ['javascript:alert(1)', '//evil.example/x.json', 'data:text/html,hi', 'http://plain.example/r.json', 'JavaScript:x', 'a"onmouseover="x']) {
      expect(renderHtmlReport(report, { links: { json: bad } })).not.toContain('href=');
    }
  });
});

describe('workloads', () => {
  const fleet = workloadGroup('orders-api', 360, 30);
  const withFleet = (group = fleet, finding = fleetFinding(group)): AuditReport => {
    const base = audit(leak(30));
    return {
      ...base,
      summary: { ...base.summary, largestWorkload: { key: group.key, label: group.label, identifiedBy: group.identifiedBy, connections: group.connections, members: group.members }, suspectedLeakConnections: group.connections },
      groups: { ...base.groups, byWorkload: [group, ...base.groups.byWorkload] },
      findings: [finding],
    };
  };

  it('lists the workloads before the sources, with how each was identified, its addresses and its states', () => {
    const html = renderHtmlReport(audit(leak(30)));
    expect(html.indexOf('id="workloads"')).toBeGreaterThan(html.indexOf('id="findings"'));
    expect(html.indexOf('id="workloads"')).toBeLessThan(html.indexOf('id="sources"'));
    const head = /<section id="workloads"[\s\S]*?<thead><tr>([\s\S]*?)<\/tr><\/thead>/.exec(html)?.[1] ?? '';
    expect([...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual([
      'Workload', 'Identified by', 'Addresses', 'Conns', 'Idle', 'Used once, idle', 'Pub/sub', 'Blocked', 'In MULTI', 'Oldest', 'Age spread']);
    expect(html).toMatch(/<tr class="flag"><td class="k"><span class="mono">orders-api<\/span><br><span class="badge s-warning">idle-connections<\/span><\/td><td><span class="muted">client name<\/span><\/td><td class="addrs">1<\/td><td class="n">30<\/td>/);
  });

  it("names a fleet's size and largest address in its row, and the largest workload in the verdict", () => {
    const html = renderHtmlReport(withFleet());
    expect(html).toContain('<td class="addrs">30<br><span class="muted small">largest <span class="mono nw">10.0.1.1</span> (12)</span></td>');
    expect(html).toContain('<b><span class="mono">orders-api</span></b><span>largest workload: 360 conns on 30 addresses</span>');
    expect(html).toContain('<span>suspected leaks (360 connections)</span>');
  });

  it("shows a fleet finding's workload, how it was identified and its largest addresses of how many", () => {
    const html = renderHtmlReport(withFleet());
    expect(html).toMatch(/<span class="subject"><span class="chip"><i>workload<\/i> <span class="mono">orders-api<\/span><\/span><span class="chip"><i>identified by<\/i> <span>client name<\/span><\/span><\/span>/);
    expect(html).toContain('<p class="muted">Largest addresses (connections): <span class="mono nw">10.0.1.1</span> (12), <span class="mono nw">10.0.1.2</span> (12), '
      + '<span class="mono nw">10.0.1.3</span> (12), <span class="mono nw">10.0.1.4</span> (12), <span class="mono nw">10.0.1.5</span> (12), and 25 more addresses; 30 addresses in all.</p>');
    expect(html).not.toContain('From:');
  });

  it('escapes a hostile workload label and address in the table, the verdict, the finding and its addresses', () => {
    const group = workloadGroup(`ECS service ${HOSTILE}`, 90, 3, { identifiedBy: 'aws-resource', largestMembers: [{ sourceIp: HOSTILE, connections: 30 }] });
    const html = renderHtmlReport(withFleet(group, fleetFinding(group, { message: `ECS service ${HOSTILE} holds 90 connections` })));
    expect(html).not.toMatch(/<img/i);
    expect(html.split(`ECS service ${HOSTILE_ESCAPED}`).length - 1).toBeGreaterThanOrEqual(5);
    expect(html).toContain(`<span class="mono nw">${HOSTILE_ESCAPED}</span> (30)`);
    expect(html).toContain('<span>AWS resource behind the addresses</span>');
  });
});

describe('the trend chart', () => {
  const history = [0, 1, 2, 3, 4, 5].map((i) => sample(NOW - (5 - i) * 300_000, { runId: 'run-a' }, {
    '10.0.0.1': 10 + i * 8, '10.0.0.2': 30, '10.0.0.3': 20 - i, '10.0.0.4': 5, '10.0.0.5': 4, '10.0.0.6': 3, '10.0.0.7': 1,
  }));

  it('is absent without history, and with a single sample', () => {
    const report = audit(leak(30));
    expect(renderHtmlReport(report)).not.toContain('<svg class="chart"');
    expect(renderHtmlReport(report, { history: history.slice(-1) })).not.toContain('<svg class="chart"');
  });

  it('draws one line per largest source (five at most), one point per sample', () => {
    const html = renderHtmlReport(audit(leak(30)), { history });
    expect(html).toContain('<svg class="chart"');
    const lines = [...html.matchAll(/<polyline class="c\d" points="([^"]*)"><title>([^<]*)<\/title>/g)];
    expect(lines.map((m) => m[2])).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    for (const line of lines) expect(line[1]?.split(' ')).toHaveLength(6);
    expect(html).toContain('Trend over the last 6 samples');
  });
});

describe('safety', () => {
  const hostileReport = () => audit([
    ...leak(6, '10.0.0.9', HOSTILE),
    ...Array.from({ length: 6 }, (_, i) => clientLine({ addr: `/tmp/${HOSTILE}:0`, flags: 'U', name: `svc${i}`, user: HOSTILE, lib: HOSTILE })),
  ], {
    policy: { minGroupConnections: 5, idleSeconds: 60 },
    target: `redis://${HOSTILE}:6379`,
    timeout: 0,
    failedNodes: [{ node: 'replica-2:6379', error: `ERR ${HOSTILE} "quoted' & done`, refusedMaxClients: false }],
  });
  const history = [sample(NOW - 60_000, {}, { [`unix:/tmp/${HOSTILE}`]: 3 }), sample(NOW, {}, { [`unix:/tmp/${HOSTILE}`]: 6 })];

  it('escapes every untrusted field: name, user, library, unix socket source, node error, finding message, history', () => {
    const report = hostileReport();
    expect(report.findings.some((f) => f.message.includes(HOSTILE))).toBe(true);
    const html = renderHtmlReport(report, { history, links: { json: `javascript:alert('${HOSTILE}')` } });
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('javascript:');
    const onerror = [...html.matchAll(/onerror=/g)].map((m) => m.index ?? 0);
    expect(onerror.length).toBeGreaterThan(8);
    const before = HOSTILE_ESCAPED.indexOf('onerror=');
    for (const at of onerror) expect(html.slice(at - before, at - before + HOSTILE_ESCAPED.length)).toBe(HOSTILE_ESCAPED);
    expect(html).toContain(`<span class="mono">unix:/tmp/${HOSTILE_ESCAPED}</span>`);
    expect(html).toContain(`<span class="mono">${HOSTILE_ESCAPED}</span>`);
    expect(html).toContain(`ERR ${HOSTILE_ESCAPED} &quot;quoted&#39; &amp; done`);
    expect(html).toContain(`<title>unix:/tmp/${HOSTILE_ESCAPED}</title>`);
  });

  it('builds only the elements it means to, with no event-handler attribute', () => {
    const html = renderHtmlReport(hostileReport(), { history });
    const tags = tagsOf(html);
    expect(tags.filter((t) => !ELEMENTS.has(t.name)).map((t) => t.name)).toEqual([]);
    expect(tags.filter((t) => /\son[a-z]+\s*=/i.test(t.attrs))).toEqual([]);
    expect(html).not.toMatch(/<script/i);
  });

  it('sets a Content-Security-Policy that allows no script and only its own style sheet', () => {
    const html = renderHtmlReport(audit([]));
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
    const directives = new Map((meta?.[1] ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'none'"]);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(directives.get('style-src')).toEqual([`'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`]);
    expect(meta?.[1]).not.toContain('unsafe');
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('escapes the five HTML characters and neutralises control and bidi-override characters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('ab\u202Ec\u0000d\u001b[2J\tok\n')).toBe('ab\uFFFDc\uFFFDd\uFFFD[2J\tok\n');
  });

  it('hashes like node:crypto, across block boundaries and multi-byte text', () => {
    for (const text of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'é€😀'.repeat(40)]) {
      expect(Buffer.from(sha256(text)).toString('hex')).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });
});
