// The ElastiCache Serverless fallback in the pure core: what the cache's CloudWatch series add to an
// INFO-only report (summary, churn and growth findings, the serviceMetrics block) and what the report says
// it could not see. Thresholds are tested at their edges; series come with gaps, disorder and strays.
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/render-report.js';
import { assessAudit, type AuditInput } from '../../lambda/core/audit.js';
import { mergeFindings, runChecks } from '../../lambda/core/findings/index.js';
import { risingConnections } from '../../lambda/core/findings/service-metric-checks.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import { metricsFor } from '../../lambda/core/metrics.js';
import { defaultPolicy, type AuditPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import {
  clientListLimitations,
  withServiceMetrics,
  withServiceMetricsError,
  type MetricPoint,
  type ServiceMetricSeries,
} from '../../lambda/core/service-metrics.js';
import { nodeView } from '../support/builders.js';
import { expectValidReport } from '../support/report-schema.js';

const NODE = 'orders-sls.serverless.euw1.cache.amazonaws.com:6379';
const END = Date.parse('2026-11-26T09:30:00.000Z');
const START = END - 30 * 60_000;
const MINUTE = 60_000;

/** INFO text; a field given as null is left out (Serverless INFO omits some). */
function info(fields: Record<string, string | number | null> = {}): string {
  const base: Record<string, string | number | null> = {
    redis_version: '7.1', redis_mode: 'standalone', run_id: 'abc', uptime_in_seconds: 1000, connected_clients: 40,
    maxclients: 65000, blocked_clients: 0, total_connections_received: 50, rejected_connections: 0, role: 'master', ...fields,
  };
  return '# Server\r\n' + Object.entries(base).filter(([, v]) => v !== null).map(([k, v]) => `${k}:${String(v)}`).join('\r\n') + '\r\n';
}

function raw(overrides: Partial<RawNodeSample> = {}): RawNodeSample {
  return {
    node: NODE, takenAtMs: END + 5_000, infoText: info(), clientListText: null,
    config: { timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null }, auditorAddresses: [],
    errors: ['CLIENT LIST refused (ERR unknown command \'CLIENT|LIST\'); connections are not listed'],
    cost: { commandsSent: 2, bytesRead: 900, roundTripMs: 1.5 }, ...overrides,
  };
}

function infoOnly(overrides: Partial<AuditInput> = {}, sample: Partial<RawNodeSample> = {}): AuditReport {
  const { report } = assessAudit({
    target: `rediss://${NODE}`, samples: [[raw(sample)]], failedNodes: [], previousState: null, policy: defaultPolicy,
    startedAtMs: END, nowMs: END + 6_000, toolVersion: 'test', ...overrides,
  });
  expectValidReport(report);
  return report;
}

/** A Serverless INFO-only report: no connected_clients, no maxclients, so CloudWatch has something to fill. */
const serverlessReport = () => infoOnly({}, { infoText: info({ connected_clients: null, maxclients: null, total_connections_received: null }) });

function minutes(values: readonly number[], from = START): MetricPoint[] {
  return values.map((value, i) => ({ timestampMs: from + i * MINUTE, value }));
}

function series(overrides: Partial<ServiceMetricSeries> = {}): ServiceMetricSeries {
  return { cacheName: 'orders-sls', startMs: START, endMs: END, currConnections: [], newConnections: [], ...overrides };
}

function apply(report: AuditReport, s: Partial<ServiceMetricSeries>, policy: AuditPolicy = defaultPolicy): AuditReport {
  const out = withServiceMetrics(report, series(s), policy);
  expectValidReport(out);
  return out;
}

const kinds = (report: AuditReport) => report.findings.map((f) => `${f.kind}:${f.severity}`);
const rising = (from: number, step: number, count = 30) => Array.from({ length: count }, (_, i) => from + step * i);
const flat = (value: number, count = 30) => Array.from({ length: count }, () => value);

describe('limitations of an audit without CLIENT LIST', () => {
  it('are absent when every node was listed', () => {
    const { report } = assessAudit({
      target: 'redis://127.0.0.1:6379', samples: [[raw({ node: '127.0.0.1:6379', clientListText: '', errors: [] })]], failedNodes: [],
      previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 10, toolVersion: 'test',
    });
    expect(report).not.toHaveProperty('limitations');
  });

  it('say which per-client details were not visible, and where, when CLIENT LIST was refused (any server)', () => {
    const report = infoOnly();
    expect(report.limitations).toEqual([
      `Per-client details (source IPs, client names, users, libraries, idle times, pub/sub, blocked and in-transaction clients) were not visible on ${NODE}: `
        + 'CLIENT LIST was refused or did not answer (see the node errors); the counts there come from INFO only.',
      'Connections by source: growth, churn and idle connections cannot be attributed to an application, and the per-source checks '
        + '(idle connections, pub/sub leaks, blocked clients, open transactions, growth by source) did not run there.',
    ]);
  });

  it('leave out nodes that could not be read at all, and name at most three nodes', () => {
    const node = (address: string, samples: number) => ({ ...infoOnly().nodes[0]!, address, samples });
    expect(clientListLimitations([node('a:1', 0)])).toEqual([]);
    const [first] = clientListLimitations(['a:1', 'b:1', 'c:1', 'd:1'].map((a) => node(a, 1)), { serverless: true });
    expect(first).toContain('were not visible on any node (a:1, b:1, c:1 and 1 more): CLIENT LIST is refused by ElastiCache Serverless;');
  });
});

describe('withServiceMetrics: summary and the serviceMetrics block', () => {
  it('fills connectedClients with the latest CurrConnections and newConnectionsPerMinute with the window average', () => {
    const report = serverlessReport();
    expect(report.summary.connectedClients).toBeNull();
    expect(report.summary.newConnectionsPerMinute).toBeNull();

    const out = apply(report, { currConnections: minutes([40, 41, 39, 42]), newConnections: minutes([10, 20, 30, 60]) });

    expect(out.summary.connectedClients).toBe(42);
    expect(out.summary.newConnectionsPerMinute).toBe(30); // (10 + 20 + 30 + 60) / 4
    expect(out.serviceMetrics).toEqual({
      source: 'cloudwatch',
      namespace: 'AWS/ElastiCache',
      dimensions: { clusterId: 'orders-sls' },
      periodSeconds: 60,
      windowMinutes: 30,
      windowStart: '2026-11-26T09:00:00.000Z',
      windowEnd: '2026-11-26T09:30:00.000Z',
      currConnections: { statistic: 'Maximum', latest: 42, latestAt: '2026-11-26T09:03:00.000Z', first: 40, min: 39, max: 42, datapoints: 4 },
      newConnectionsPerMinute: { statistic: 'Sum', latest: 60, latestAt: '2026-11-26T09:03:00.000Z', average: 30, max: 60, total: 120, datapoints: 4 },
    });
  });

  it('keeps what INFO measured', () => {
    const report = infoOnly();
    expect(report.summary.connectedClients).toBe(40);
    const out = apply(report, { currConnections: minutes([70, 71]), newConnections: minutes([5]) });
    expect(out.summary.connectedClients).toBe(40);
    expect(out.summary.newConnectionsPerMinute).toBe(5);
  });

  it('averages over the minutes CloudWatch returned: a gap is unknown, not zero', () => {
    const gappy = [{ timestampMs: START, value: 90 }, { timestampMs: START + 10 * MINUTE, value: 110 }, { timestampMs: START + 20 * MINUTE, value: 130 }];
    const out = apply(serverlessReport(), { newConnections: gappy });
    expect(out.summary.newConnectionsPerMinute).toBe(110);
    expect(out.serviceMetrics?.newConnectionsPerMinute?.datapoints).toBe(3);
    expect(kinds(out)).toContain('connection-churn:warning');
  });

  it('sorts the series, keeps one point per minute and drops points outside the window or not numbers', () => {
    const out = apply(serverlessReport(), {
      currConnections: [
        { timestampMs: START + 2 * MINUTE, value: 12 }, { timestampMs: START, value: 10 }, { timestampMs: START + MINUTE, value: 11 },
        { timestampMs: START + MINUTE, value: 15 }, { timestampMs: END, value: 999 }, { timestampMs: START - MINUTE, value: 999 },
        { timestampMs: START + 3 * MINUTE, value: Number.NaN },
      ],
    });
    expect(out.serviceMetrics?.currConnections).toMatchObject({ first: 10, latest: 12, min: 10, max: 15, datapoints: 3 });
  });

  it('reports an empty answer as no data, changes no number and says what could not be checked', () => {
    const report = serverlessReport();
    const out = apply(report, {});
    expect(out.serviceMetrics).toMatchObject({ currConnections: null, newConnectionsPerMinute: null });
    expect(out.serviceMetrics).not.toHaveProperty('error');
    expect(out.summary).toEqual(report.summary);
    expect(out.findings).toEqual(report.findings);
    expect(out.limitations).toContain('CloudWatch returned no CurrConnections or NewConnections datapoints for orders-sls in the last 30 min, so '
      + 'connection counts, growth and churn could not be checked from them: check that the cache name is the serverless cache\'s name and that the cache is active.');
  });

  it('rewrites the CLIENT LIST limitation for Serverless and says what CloudWatch cannot tell', () => {
    const out = apply(serverlessReport(), { currConnections: minutes([1, 2]), newConnections: minutes([1, 1, 1]), warnings: ['CurrConnections came back with status PartialData'] });
    const text = (out.limitations ?? []).join('\n');
    expect(text).toContain('CLIENT LIST is refused by ElastiCache Serverless; the counts there come from INFO and CloudWatch only.');
    expect(text).not.toContain('CLIENT LIST was refused or did not answer');
    expect(text).toContain('cache-wide totals per minute only');
    expect(text).toContain('Only 2 one-minute CurrConnections datapoints in the last 30 min: too few to judge growth.');
    expect(text).toContain('CloudWatch: CurrConnections came back with status PartialData');
    expect(new Set(out.limitations).size).toBe(out.limitations?.length);
  });
});

describe('connection-churn from NewConnections', () => {
  const churnOf = (perMinute: readonly number[]) => apply(serverlessReport(), { newConnections: minutes(perMinute) }).findings.filter((f) => f.kind === 'connection-churn');

  it('stays quiet at the threshold and warns just above it', () => {
    expect(churnOf(flat(100))).toEqual([]);
    expect(churnOf(flat(101)).map((f) => f.severity)).toEqual(['warning']);
  });

  it('is critical from ten times the threshold', () => {
    expect(churnOf(flat(999)).map((f) => f.severity)).toEqual(['warning']);
    expect(churnOf(flat(1000)).map((f) => f.severity)).toEqual(['critical']);
  });

  it('judges the average, not one busy minute', () => {
    expect(churnOf([...flat(50, 29), 1500])).toEqual([]); // (29 * 50 + 1500) / 30 = 98.3
  });

  it('is target-wide, with the numbers, and says the sources cannot be named', () => {
    const out = apply(serverlessReport(), { currConnections: minutes(flat(300)), newConnections: minutes([...flat(200, 29), 500]) });
    const [churn] = out.findings.filter((f) => f.kind === 'connection-churn');
    expect(churn?.subject).toEqual({});
    expect(churn?.evidence).toEqual({
      newConnectionsPerMinute: 210, maxNewConnectionsPerMinute: 500, thresholdPerMinute: 100, windowSeconds: 1800, datapoints: 30, connectedClients: 300,
    });
    expect(churn?.message).toBe('210 new connections a minute on average over the last 30 min (CloudWatch NewConnections, peak 500 in one minute; '
      + 'threshold 100) while 300 are open; ElastiCache Serverless does not list clients (CLIENT LIST is refused), so the sources cannot be named');
    expect(churn?.recommendation).toMatch(/not pooling/);
  });

  it('is not added again when INFO history already measured churn', () => {
    const first = raw({ takenAtMs: END - 60_000, infoText: info({ total_connections_received: 1000 }) });
    const second = raw({ takenAtMs: END, infoText: info({ total_connections_received: 1500 }) });
    const report = infoOnly({ samples: [[first], [second]] });
    expect(kinds(report)).toContain('connection-churn:warning');
    const before = report.summary.newConnectionsPerMinute;
    const out = apply(report, { newConnections: minutes(flat(5000)) });
    expect(out.findings.filter((f) => f.kind === 'connection-churn')).toEqual(report.findings.filter((f) => f.kind === 'connection-churn'));
    expect(out.summary.newConnectionsPerMinute).toBe(before);
  });
});

describe('connection-growth from CurrConnections', () => {
  const growthOf = (values: readonly number[], policy: AuditPolicy = defaultPolicy) =>
    apply(serverlessReport(), { currConnections: minutes(values) }, policy).findings.filter((f) => f.kind === 'connection-growth');

  it('finds a steady rise across the window, target-wide, with the numbers', () => {
    const [growth] = growthOf(rising(100, 4));
    expect(growth?.severity).toBe('warning');
    expect(growth?.subject).toEqual({});
    // 100 -> 216 over the 29 minutes between the first and the last datapoint.
    expect(growth?.evidence).toEqual({
      firstConnections: 100, lastConnections: 216, growth: 116, growthPerMinute: 4, samples: 30, windowSeconds: 1740, nonDecreasingShare: 1,
    });
    expect(growth?.message).toMatch(/^Connections to the cache grew from 100 to 216 in 29 min \(4 a minute, rising or flat in 100% of the minutes; CloudWatch CurrConnections\); ElastiCache Serverless does not list clients/);
  });

  it('needs a rise of at least minGrowthConnections', () => {
    expect(growthOf([100, 101, 102, 103, 104])).toEqual([]); // +4
    expect(growthOf([100, 101, 102, 103, 104, 105])).toHaveLength(1); // +5
    expect(growthOf([100, 101, 102, 103, 104, 105], { ...defaultPolicy, minGrowthConnections: 6 })).toEqual([]);
  });

  it('needs at least 80% of the steps non-decreasing', () => {
    expect(growthOf([100, 110, 120, 119, 129, 139, 138, 148, 158, 168, 178])).toHaveLength(1); // 8 of 10 steps
    expect(growthOf([100, 110, 109, 119, 129, 128, 138, 148, 147, 157, 167])).toEqual([]); // 7 of 10 steps
  });

  it('ignores a one-off jump (more than half of the rise in one step), but not two equal ones', () => {
    expect(growthOf([100, 100, 100, 100, 100, 140, 140])).toEqual([]);
    expect(growthOf([100, 100, 120, 120, 140])).toHaveLength(1);
    expect(growthOf([100, 100, 119, 140])).toEqual([]); // 21 of a rise of 40
  });

  it('ignores a rise that has already gone back down, and a series too short to judge', () => {
    expect(growthOf([100, 110, 120, 130, 140, 150, 149])).toEqual([]);
    expect(growthOf([100, 200])).toEqual([]);
    expect(growthOf([])).toEqual([]);
  });

  it('is critical when INFO gave maxclients and the rise reaches it within the hour', () => {
    const report = infoOnly({}, { infoText: info({ connected_clients: null, maxclients: 300 }) });
    const out = apply(report, { currConnections: minutes(rising(100, 4)) });
    const [growth] = out.findings.filter((f) => f.kind === 'connection-growth');
    expect(growth?.severity).toBe('critical');
    expect(growth?.evidence.minutesToMaxclients).toBe(21); // (300 - 216) / 4
  });

  it('reads the rule from risingConnections alone', () => {
    expect(risingConnections(minutes([5, 6, 7]), 2)).toEqual({ first: 5, last: 7, rise: 2, datapoints: 3, minutes: 2, perMinute: 1, nonDecreasingShare: 1 });
  });
});

describe('findings and counts after the fallback', () => {
  it('orders the new findings like the checks do and recounts suspected leaks and severities', () => {
    const report = serverlessReport();
    expect(kinds(report)).toEqual(['client-list-unavailable:info']);
    const out = apply(report, { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(1200)) });
    expect(kinds(out)).toEqual(['connection-churn:critical', 'connection-growth:warning', 'client-list-unavailable:info']);
    expect(out.summary.suspectedLeaks).toBe(1); // growth is a leak kind, churn is not
    expect(out.summary.findingsBySeverity).toEqual({ info: 1, warning: 1, critical: 1 });
  });

  it('puts growth before churn at the same severity, as runChecks would', () => {
    const out = apply(serverlessReport(), { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(200)) });
    expect(kinds(out)).toEqual(['connection-growth:warning', 'connection-churn:warning', 'client-list-unavailable:info']);
  });

  it('mergeFindings leaves the order of runChecks as it is', () => {
    const findings = runChecks({
      policy: { ...defaultPolicy, maxclientsWarn: 0.5 },
      analysis: null,
      nodes: [
        nodeView({ node: 'a:1', counters: { connectedClients: 9000, rejectedConnections: 3 }, clientListAvailable: false, config: { timeoutSeconds: 0, maxClients: 10000, tcpKeepaliveSeconds: 0 } }),
        nodeView({ node: 'b:1', counters: { connectedClients: 6000 }, clientListAvailable: false }),
      ],
      window: { newConnectionsPerMinute: 500, rejectedInWindow: 2, windowSeconds: 60, baselineResets: 0 },
      growth: [],
    });
    expect(findings.length).toBeGreaterThanOrEqual(6);
    expect(mergeFindings(findings, [])).toEqual(findings);
  });

  it('publishes ConnectedClients, NewConnectionsPerMinute and the leak count from CloudWatch, and still nothing per source', () => {
    const out = apply(serverlessReport(), { currConnections: minutes([40, 45, 52]), newConnections: minutes([150, 160, 170]) });
    const data = Object.fromEntries(metricsFor(out, 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data).toMatchObject({ ConnectedClients: 52, NewConnectionsPerMinute: 160, AuditSucceeded: 1, SuspectedLeaks: 0 });
    for (const unknown of ['IdleClients', 'LargestSourceConnections']) expect(data).not.toHaveProperty(unknown);
  });

  it('publishes SuspectedLeaks 1 when the CloudWatch series show a growing connection count, so the leak alarm works on Serverless', () => {
    const out = apply(serverlessReport(), { currConnections: minutes([100, 110, 120, 130, 140, 150]), newConnections: minutes([1, 1, 1, 1, 1, 1]) });
    expect(out.findings.some((f) => f.kind === 'connection-growth')).toBe(true);
    const data = Object.fromEntries(metricsFor(out, 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data.SuspectedLeaks).toBe(1);
  });

  it('publishes neither number when CloudWatch had none, rather than a zero', () => {
    const data = Object.fromEntries(metricsFor(apply(serverlessReport(), {}), 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data).not.toHaveProperty('ConnectedClients');
    expect(data).not.toHaveProperty('NewConnectionsPerMinute');
    expect(data).not.toHaveProperty('SuspectedLeaks');
  });
});

describe('withServiceMetricsError', () => {
  it('records a one-line error and what it leaves unchecked, and changes nothing else', () => {
    const report = serverlessReport();
    const out = withServiceMetricsError(report, {
      cacheName: 'orders-sls', windowMinutes: 30, endMs: END + 42_000,
      error: 'DeliveryError: cloudwatch GetMetricData failed after 1 attempt: AccessDenied: not authorized\n    at stack frame',
    });
    expectValidReport(out);
    expect(out.serviceMetrics).toEqual({
      source: 'cloudwatch', namespace: 'AWS/ElastiCache', dimensions: { clusterId: 'orders-sls' }, periodSeconds: 60, windowMinutes: 30,
      windowStart: '2026-11-26T09:00:00.000Z', windowEnd: '2026-11-26T09:30:00.000Z', currConnections: null, newConnectionsPerMinute: null,
      error: 'DeliveryError: cloudwatch GetMetricData failed after 1 attempt: AccessDenied: not authorized at stack frame',
    });
    expect(out.limitations?.at(-1)).toMatch(/^CloudWatch connection metrics \(AWS\/ElastiCache CurrConnections, NewConnections\) for orders-sls could not be read \(DeliveryError: .*AccessDenied.*\): connection growth and churn were not checked from them\.$/);
    expect(out.summary).toEqual(report.summary);
    expect(out.findings).toEqual(report.findings);
  });
});

describe('rendering', () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const withHostile = () => ({
    ...apply(serverlessReport(), { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(150)) }),
    limitations: [`CloudWatch: ${hostile}`],
  });

  it('shows the service metrics and the limitations in the HTML page, escaped', () => {
    const html = renderHtmlReport(withHostile());
    expect(html).toContain('<h2 id="service-metrics-h">Service metrics (CloudWatch)</h2>');
    expect(html).toContain('<h2 id="limitations-h">What this audit could not see</h2>');
    expect(html).toContain('150 on average, peak 150, latest 150 (4,500 in 30 minutes)');
    expect(html).not.toContain(hostile);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('leaves both sections out of reports without them', () => {
    const { report } = assessAudit({
      target: 'redis://127.0.0.1:6379', samples: [[raw({ node: '127.0.0.1:6379', clientListText: '', errors: [] })]], failedNodes: [],
      previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 10, toolVersion: 'test',
    });
    const html = renderHtmlReport(report);
    expect(html).not.toContain('id="service-metrics"');
    expect(html).not.toContain('id="limitations"');
  });

  it('prints them in the terminal', () => {
    const text = renderReport(withHostile(), false);
    expect(text).toContain('Service metrics (CloudWatch AWS/ElastiCache, clusterId orders-sls, last 30 min)');
    expect(text).toContain('  open connections 216 (from 100, min 100, max 216, 30 minutes)');
    expect(text).toContain(`Not visible in this audit\n  - CloudWatch: ${hostile}`);
  });
});
