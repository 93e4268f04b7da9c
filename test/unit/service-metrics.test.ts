// The ElastiCache Serverless fallback in the pure core: the cache's CloudWatch series (or a failed read of
// them) are one input of the assessment, which decides with them once: the summary numbers INFO did not
// give, the serviceMetrics section, and what the report says it could not see. The findings the series
// decide are in service-metrics-findings.test.ts.
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/render-report.js';
import { assessAudit } from '../../lambda/core/audit.js';
import { clientListLimitations } from '../../lambda/core/client-list-limitations.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import {
  assess, END, flat, infoOnlyInput, kinds, minutes, MINUTE, NODE, raw, rising, serverlessInput, START, withFailure, withSeries,
} from '../support/serverless-assessment.js';

describe('limitations of an audit without CLIENT LIST', () => {
  it('are absent when every node was listed', () => {
    const { report } = assessAudit({
      target: 'redis://127.0.0.1:6379', samples: [[raw({ node: '127.0.0.1:6379', clientListText: '', errors: [] })]], failedNodes: [],
      previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 10, toolVersion: 'test',
    });
    expect(report).not.toHaveProperty('limitations');
  });

  it('say which per-client details were not visible, and where, when CLIENT LIST was refused (any server)', () => {
    const report = assess(infoOnlyInput());
    expect(report.limitations).toEqual([
      `Per-client details (source IPs, client names, users, libraries, idle times, pub/sub, blocked and in-transaction clients) were not visible on ${NODE}: `
        + 'CLIENT LIST was refused or did not answer (see the node errors); the counts there come from INFO only.',
      'Connections by source: growth, churn and idle connections cannot be attributed to an application, and the per-source checks '
        + '(idle connections, pub/sub leaks, blocked clients, open transactions, growth by source) did not run there.',
    ]);
  });

  it('leave out nodes that could not be read at all, and name at most three nodes', () => {
    const node = (address: string, samples: number) => ({ ...assess(infoOnlyInput()).nodes[0]!, address, samples });
    expect(clientListLimitations([node('a:1', 0)])).toEqual([]);
    const [first] = clientListLimitations(['a:1', 'b:1', 'c:1', 'd:1'].map((a) => node(a, 1)), { serverless: true });
    expect(first).toContain('were not visible on any node (a:1, b:1, c:1 and 1 more): CLIENT LIST is refused by ElastiCache Serverless;');
  });
});

describe('the assessment with the cache\'s series: summary and the serviceMetrics block', () => {
  it('fills connectedClients with the latest CurrConnections and newConnectionsPerMinute with the window average', () => {
    const input = serverlessInput();
    const report = assess(input);
    expect(report.summary.connectedClients).toBeNull();
    expect(report.summary.newConnectionsPerMinute).toBeNull();

    const out = withSeries(input, { currConnections: minutes([40, 41, 39, 42]), newConnections: minutes([10, 20, 30, 60]) });

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
    const input = infoOnlyInput();
    expect(assess(input).summary.connectedClients).toBe(40);
    const out = withSeries(input, { currConnections: minutes([70, 71]), newConnections: minutes([5]) });
    expect(out.summary.connectedClients).toBe(40);
    expect(out.summary.newConnectionsPerMinute).toBe(5);
  });

  it('averages over the minutes CloudWatch returned: a gap is unknown, not zero', () => {
    const gappy = [{ timestampMs: START, value: 90 }, { timestampMs: START + 10 * MINUTE, value: 110 }, { timestampMs: START + 20 * MINUTE, value: 130 }];
    const out = withSeries(serverlessInput(), { newConnections: gappy });
    expect(out.summary.newConnectionsPerMinute).toBe(110);
    expect(out.serviceMetrics?.newConnectionsPerMinute?.datapoints).toBe(3);
    expect(kinds(out)).toContain('connection-churn:warning');
  });

  it('sorts the series, keeps one point per minute and drops points outside the window or not numbers', () => {
    const out = withSeries(serverlessInput(), {
      currConnections: [
        { timestampMs: START + 2 * MINUTE, value: 12 }, { timestampMs: START, value: 10 }, { timestampMs: START + MINUTE, value: 11 },
        { timestampMs: START + MINUTE, value: 15 }, { timestampMs: END, value: 999 }, { timestampMs: START - MINUTE, value: 999 },
        { timestampMs: START + 3 * MINUTE, value: Number.NaN },
      ],
    });
    expect(out.serviceMetrics?.currConnections).toMatchObject({ first: 10, latest: 12, min: 10, max: 15, datapoints: 3 });
  });

  it('reports an empty answer as no data, changes no number and says what could not be checked', () => {
    const input = serverlessInput();
    const report = assess(input);
    const out = withSeries(input, {});
    expect(out.serviceMetrics).toMatchObject({ currConnections: null, newConnectionsPerMinute: null });
    expect(out.serviceMetrics).not.toHaveProperty('error');
    expect(out.summary).toEqual(report.summary);
    expect(out.findings).toEqual(report.findings);
    expect(out.limitations).toContain('CloudWatch returned no CurrConnections or NewConnections datapoints for orders-sls in the last 30 min, so '
      + 'connection counts, growth and churn could not be checked from them: check that the cache name is the serverless cache\'s name and that the cache is active.');
  });

  it('rewrites the CLIENT LIST limitation for Serverless and says what CloudWatch cannot tell', () => {
    const out = withSeries(serverlessInput(), { currConnections: minutes([1, 2]), newConnections: minutes([1, 1, 1]), warnings: ['CurrConnections came back with status PartialData'] });
    const text = (out.limitations ?? []).join('\n');
    expect(text).toContain('CLIENT LIST is refused by ElastiCache Serverless; the counts there come from INFO and CloudWatch only.');
    expect(text).not.toContain('CLIENT LIST was refused or did not answer');
    expect(text).toContain('cache-wide totals per minute only');
    expect(text).toContain('Only 2 one-minute CurrConnections datapoints in the last 30 min: too few to judge growth.');
    expect(text).toContain('CloudWatch: CurrConnections came back with status PartialData');
    expect(new Set(out.limitations).size).toBe(out.limitations?.length);
  });
});

describe('the assessment with a failed read of the cache\'s metrics', () => {
  it('records a one-line error and what it leaves unchecked, and changes nothing else', () => {
    const input = serverlessInput();
    const report = assess(input);
    const out = withFailure(input, {
      cacheName: 'orders-sls', windowMinutes: 30, endMs: END + 42_000,
      error: 'DeliveryError: cloudwatch GetMetricData failed after 1 attempt: AccessDenied: not authorized\n    at stack frame',
    });
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

describe('a failed audit (nothing read from the cache)', () => {
  it('ignores the evidence: its errors are what matters, and no number comes from CloudWatch', () => {
    const input = infoOnlyInput({ samples: [], failedNodes: [{ node: NODE, error: 'connect ETIMEDOUT', refusedMaxClients: false }] });
    const without = assess(input);
    const out = withSeries(input, { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(1200)) });
    expect(out.status).toBe('failed');
    expect(out).not.toHaveProperty('serviceMetrics');
    expect(out.findings).toEqual(without.findings);
    expect(out.summary).toEqual(without.summary);
    expect(out.limitations).toEqual(without.limitations);
    expect(withFailure(input, { cacheName: 'orders-sls', windowMinutes: 30, endMs: END, error: 'AccessDenied' })).toEqual(without);
  });

  it('is the only audit that ignores it: a partial one (a node that stopped early) still uses it', () => {
    const input = infoOnlyInput({ interruptedNodes: [NODE] });
    const out = withSeries(input, { currConnections: minutes(rising(100, 4)) });
    expect(out.status).toBe('partial');
    expect(out.serviceMetrics?.currConnections?.latest).toBe(216);
  });
});

describe('rendering', () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const withHostile = () => ({
    ...withSeries(serverlessInput(), { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(150)) }),
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
