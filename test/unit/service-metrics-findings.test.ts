// The findings a serverless cache's CloudWatch series decide in the assessment (churn from NewConnections,
// growth from CurrConnections, target-wide), and the counts and metrics that follow from them. Thresholds
// are tested at their edges; series come with gaps, disorder and strays.
import { describe, expect, it } from 'vitest';
import { mergeFindings, runChecks } from '../../lambda/core/findings/index.js';
import { risingConnections } from '../../lambda/core/findings/service-metric-checks.js';
import { metricsFor } from '../../lambda/core/metrics.js';
import { defaultPolicy, type AuditPolicy } from '../../lambda/core/model.js';
import { nodeView } from '../support/builders.js';
import {
  assess, END, flat, info, infoOnlyInput, kinds, minutes, raw, rising, serverlessInput, withSeries,
} from '../support/serverless-assessment.js';

describe('connection-churn from NewConnections', () => {
  const churnOf = (perMinute: readonly number[]) => withSeries(serverlessInput(), { newConnections: minutes(perMinute) }).findings.filter((f) => f.kind === 'connection-churn');

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
    const out = withSeries(serverlessInput(), { currConnections: minutes(flat(300)), newConnections: minutes([...flat(200, 29), 500]) });
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
    const input = infoOnlyInput({ samples: [[first], [second]] });
    const report = assess(input);
    expect(kinds(report)).toContain('connection-churn:warning');
    const before = report.summary.newConnectionsPerMinute;
    const out = withSeries(input, { newConnections: minutes(flat(5000)) });
    expect(out.findings.filter((f) => f.kind === 'connection-churn')).toEqual(report.findings.filter((f) => f.kind === 'connection-churn'));
    expect(out.summary.newConnectionsPerMinute).toBe(before);
  });
});

describe('connection-growth from CurrConnections', () => {
  const growthOf = (values: readonly number[], policy: AuditPolicy = defaultPolicy) =>
    withSeries(serverlessInput(), { currConnections: minutes(values) }, policy).findings.filter((f) => f.kind === 'connection-growth');

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
    const input = infoOnlyInput({}, { infoText: info({ connected_clients: null, maxclients: 300 }) });
    const out = withSeries(input, { currConnections: minutes(rising(100, 4)) });
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
    const input = serverlessInput();
    expect(kinds(assess(input))).toEqual(['client-list-unavailable:info']);
    const out = withSeries(input, { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(1200)) });
    expect(kinds(out)).toEqual(['connection-churn:critical', 'connection-growth:warning', 'client-list-unavailable:info']);
    expect(out.summary.suspectedLeaks).toBe(1); // growth is a leak kind, churn is not
    expect(out.summary.findingsBySeverity).toEqual({ info: 1, warning: 1, critical: 1 });
  });

  it('puts growth before churn at the same severity, as runChecks would', () => {
    const out = withSeries(serverlessInput(), { currConnections: minutes(rising(100, 4)), newConnections: minutes(flat(200)) });
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
    const out = withSeries(serverlessInput(), { currConnections: minutes([40, 45, 52]), newConnections: minutes([150, 160, 170]) });
    const data = Object.fromEntries(metricsFor(out, 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data).toMatchObject({ ConnectedClients: 52, NewConnectionsPerMinute: 160, AuditSucceeded: 1, SuspectedLeaks: 0 });
    for (const unknown of ['IdleClients', 'LargestSourceConnections']) expect(data).not.toHaveProperty(unknown);
  });

  it('publishes SuspectedLeaks 1 when the CloudWatch series show a growing connection count, so the leak alarm works on Serverless', () => {
    const out = withSeries(serverlessInput(), { currConnections: minutes([100, 110, 120, 130, 140, 150]), newConnections: minutes([1, 1, 1, 1, 1, 1]) });
    expect(out.findings.some((f) => f.kind === 'connection-growth')).toBe(true);
    const data = Object.fromEntries(metricsFor(out, 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data.SuspectedLeaks).toBe(1);
  });

  it('publishes neither number when CloudWatch had none, rather than a zero', () => {
    const data = Object.fromEntries(metricsFor(withSeries(serverlessInput(), {}), 'orders-sls', END).map((d) => [d.name, d.value]));
    expect(data).not.toHaveProperty('ConnectedClients');
    expect(data).not.toHaveProperty('NewConnectionsPerMinute');
    expect(data).not.toHaveProperty('SuspectedLeaks');
  });
});
