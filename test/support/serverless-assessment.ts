// An ElastiCache Serverless audit as the core assesses it: one INFO-only sample (CLIENT LIST refused) of
// a cache whose CloudWatch series go into the same assessment (AuditInput.serviceMetrics).
import { assessAudit, type AuditInput } from '../../lambda/core/audit.js';
import { defaultPolicy, type AuditPolicy, type RawNodeSample } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import type { MetricPoint, ServiceMetricSeries, ServiceMetricsFailure } from '../../lambda/core/service-metrics.js';
import { expectValidReport } from './report-schema.js';

export const NODE = 'orders-sls.serverless.euw1.cache.amazonaws.com:6379';
export const END = Date.parse('2026-11-26T09:30:00.000Z');
export const START = END - 30 * 60_000;
export const MINUTE = 60_000;

/** INFO text; a field given as null is left out (Serverless INFO omits some). */
export function info(fields: Record<string, string | number | null> = {}): string {
  const base: Record<string, string | number | null> = {
    redis_version: '7.1', redis_mode: 'standalone', run_id: 'abc', uptime_in_seconds: 1000, connected_clients: 40,
    maxclients: 65000, blocked_clients: 0, total_connections_received: 50, rejected_connections: 0, role: 'master', ...fields,
  };
  return '# Server\r\n' + Object.entries(base).filter(([, v]) => v !== null).map(([k, v]) => `${k}:${String(v)}`).join('\r\n') + '\r\n';
}

export function raw(overrides: Partial<RawNodeSample> = {}): RawNodeSample {
  return {
    node: NODE, takenAtMs: END + 5_000, infoText: info(), clientListText: null,
    config: { timeoutSeconds: null, maxClients: null, tcpKeepaliveSeconds: null }, auditorAddresses: [],
    errors: ['CLIENT LIST refused (ERR unknown command \'CLIENT|LIST\'); connections are not listed'],
    cost: { commandsSent: 2, bytesRead: 900, roundTripMs: 1.5 }, ...overrides,
  };
}

/** The assessment's input for one INFO-only sample; `sample` changes the sample, `overrides` the input. */
export function infoOnlyInput(overrides: Partial<AuditInput> = {}, sample: Partial<RawNodeSample> = {}): AuditInput {
  return {
    target: `rediss://${NODE}`, samples: [[raw(sample)]], failedNodes: [], previousState: null, policy: defaultPolicy,
    startedAtMs: END, nowMs: END + 6_000, toolVersion: 'test', ...overrides,
  };
}

/** A Serverless INFO-only sample: no connected_clients, no maxclients, so CloudWatch has something to fill. */
export const serverlessInput = (): AuditInput => infoOnlyInput({}, { infoText: info({ connected_clients: null, maxclients: null, total_connections_received: null }) });

/** The report of the assessment, checked against the report's schema. */
export function assess(input: AuditInput): AuditReport {
  const { report } = assessAudit(input);
  expectValidReport(report);
  return report;
}

export function minutes(values: readonly number[], from = START): MetricPoint[] {
  return values.map((value, i) => ({ timestampMs: from + i * MINUTE, value }));
}

export function series(overrides: Partial<ServiceMetricSeries> = {}): ServiceMetricSeries {
  return { cacheName: 'orders-sls', startMs: START, endMs: END, currConnections: [], newConnections: [], ...overrides };
}

/** The report of `input` assessed with the cache's series (and `policy`). */
export function withSeries(input: AuditInput, s: Partial<ServiceMetricSeries>, policy: AuditPolicy = defaultPolicy): AuditReport {
  return assess({ ...input, policy, serviceMetrics: { series: series(s) } });
}

/** The report of `input` assessed with a failed read of the cache's metrics. */
export function withFailure(input: AuditInput, failure: ServiceMetricsFailure): AuditReport {
  return assess({ ...input, serviceMetrics: { failure } });
}

export const kinds = (report: AuditReport) => report.findings.map((f) => `${f.kind}:${f.severity}`);
export const rising = (from: number, step: number, count = 30) => Array.from({ length: count }, (_, i) => from + step * i);
export const flat = (value: number, count = 30) => Array.from({ length: count }, () => value);
