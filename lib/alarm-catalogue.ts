// The one catalogue of the alarms on the auditor's own metrics (docs/design.md, Contract: AWS). Each entry is one
// condition, a metric the Lambda publishes once per run crossing a threshold, and says how it is watched on each
// configured target (dimension Target) and across the caches found by discovery (Fleet=discovered, which
// lambda/core/fleet-metrics.ts copies the alarm metrics to). A condition watched in one scope only leaves the other
// out on purpose; test/infra/alarm-catalogue.test.ts ties both scopes to what the Lambda publishes.
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { MetricName } from '../lambda/core/metrics.js';
import type { AlarmThresholds } from './alarm-thresholds.js';

// The kinds are the alarms' construct ids, hence part of their logical ids: users alarm on these resources, so a
// kind is never renamed. The two scopes name the audit's failure differently because they mean different things.
export type TargetAlarmKind = 'connectionsHigh' | 'rejectedConnections' | 'churnHigh' | 'suspectedLeaks' | 'heartbeat';
export type FleetAlarmKind = 'connectionsHigh' | 'rejectedConnections' | 'churnHigh' | 'suspectedLeaks' | 'auditFailed' | 'discoveryFailing';

/** What an alarm's name and description may say. */
export interface AlarmFacts {
  /** Whom the alarm watches: the target's name, or the fleet's (the value of its Target or Fleet dimension). */
  readonly subject: string;
  /** The threshold in force. */
  readonly threshold: number;
  /** Minutes between two audits: every alarm's period. */
  readonly scheduleMinutes: number;
}

/** One alarm of the catalogue, everything the builder needs to make it. */
export interface AlarmSpec<Kind extends string = string> {
  /** The alarm's construct id (see the kinds above). */
  readonly kind: Kind;
  readonly metric: MetricName;
  readonly statistic: string;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly threshold: (thresholds: AlarmThresholds) => number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default notBreaching: a run that could not measure a value leaves it out, which is no breach */
  readonly missing?: cloudwatch.TreatMissingData;
  /** What is wrong, for the alarm name (after the stack name). */
  readonly title: (facts: AlarmFacts) => string;
  /** What happened and what to do, for the description. */
  readonly advice: (facts: AlarmFacts) => string;
}

type Condition = Pick<AlarmSpec, 'metric' | 'comparison' | 'threshold'>;
/** How one scope watches a condition: its statistic, its patience and its words. */
type Watch<Kind extends string> = Omit<AlarmSpec<Kind>, keyof Condition>;

interface CatalogueEntry extends Condition {
  readonly perTarget?: Watch<TargetAlarmKind>;
  readonly discoveredFleet?: Watch<FleetAlarmKind>;
}

const { GREATER_THAN_THRESHOLD: GT, GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, LESS_THAN_THRESHOLD: LT } = cloudwatch.ComparisonOperator;
const HEARTBEAT_RUNS = 2;
const DISCOVERY_RUNS = 2;
const latest = (target: string) => `reports/${target}/latest.json in the report bucket`;
const WHICH = 'The SNS summary of that audit names the cache; the dashboard\'s "Caches found by discovery" graphs show each one, and its report is reports/<cache>/latest.json.';

// The fleet's series holds the datum of every discovered cache: its Maximum (Minimum for "below") crosses the line
// when any one cache does, where a Sum would add caches up.
const CATALOGUE: readonly CatalogueEntry[] = [
  {
    metric: 'MaxClientsUtilization', comparison: GTE, threshold: (t) => t.connectionsUtilizationPercent,
    perTarget: {
      kind: 'connectionsHigh', statistic: 'Maximum',
      title: ({ subject: n, threshold: v }) => `${n} connections at or above ${v} percent of maxclients`,
      advice: ({ subject: n, threshold: v }) => `Redis connections above ${v}% of maxclients on ${n} (fullest node): open the latest report (${latest(n)}), find the source holding the most connections and fix its pool or leak before new clients are refused.`,
    },
    discoveredFleet: {
      kind: 'connectionsHigh', statistic: 'Maximum',
      title: ({ threshold: v }) => `a discovered cache at or above ${v} percent of maxclients`,
      advice: ({ threshold: v }) => `A cache found by discovery uses ${v}% or more of maxclients on its fullest node: find the source holding the most connections in its report and fix its pool or leak. ${WHICH}`,
    },
  },
  {
    metric: 'RejectedConnections', comparison: GT, threshold: (t) => t.rejectedConnections,
    // Each datum counts the refusals since the previous run: two runs in one period add up.
    perTarget: {
      kind: 'rejectedConnections', statistic: 'Sum',
      title: ({ subject: n, threshold: v }) => `${n} rejected connections above ${v}`,
      advice: ({ subject: n, threshold: v }) => `${n} refused more than ${v} new connections since the previous audit (maxclients reached): clients are failing now. Open the latest report (${latest(n)}), restart or fix the largest source; raise maxclients only as a stopgap.`,
    },
    discoveredFleet: {
      kind: 'rejectedConnections', statistic: 'Maximum',
      title: ({ threshold: v }) => `a discovered cache rejected more than ${v} connections`,
      advice: ({ threshold: v }) => `A cache found by discovery refused more than ${v} new connections since its previous audit (maxclients reached): clients are failing now. ${WHICH}`,
    },
  },
  {
    metric: 'NewConnectionsPerMinute', comparison: GT, threshold: (t) => t.newConnectionsPerMinute,
    perTarget: {
      kind: 'churnHigh', statistic: 'Maximum',
      title: ({ subject: n, threshold: v }) => `${n} connection churn above ${v} per minute`,
      advice: ({ subject: n, threshold: v }) => `More than ${v} new connections a minute on ${n}: a client connects per request instead of pooling. Open the latest report (${latest(n)}), read the connection-churn finding for the sources of young connections and give them a pool.`,
    },
    discoveredFleet: {
      kind: 'churnHigh', statistic: 'Maximum',
      title: ({ threshold: v }) => `a discovered cache with connection churn above ${v} per minute`,
      advice: ({ threshold: v }) => `A cache found by discovery accepts more than ${v} new connections a minute: a client connects per request instead of pooling. ${WHICH}`,
    },
  },
  {
    metric: 'SuspectedLeaks', comparison: GTE, threshold: (t) => t.suspectedLeaks,
    perTarget: {
      kind: 'suspectedLeaks', statistic: 'Maximum',
      title: ({ subject: n, threshold: v }) => `${n} ${v} or more suspected connection leaks`,
      advice: ({ subject: n, threshold: v }) => `The audit of ${n} found ${v} or more sources that look like a connection leak (idle or growing connections): open the latest report (${latest(n)}), read its idle-connections and connection-growth findings and fix the client they name.`,
    },
    discoveredFleet: {
      kind: 'suspectedLeaks', statistic: 'Maximum',
      title: ({ threshold: v }) => `a discovered cache with ${v} or more suspected leaks`,
      advice: ({ threshold: v }) => `The audit of a cache found by discovery found ${v} or more sources that look like a connection leak: read its idle-connections and connection-growth findings. ${WHICH}`,
    },
  },
  {
    metric: 'AuditSucceeded', comparison: LT, threshold: () => 1,
    // A configured target is audited every run: no datum means no audit, so a missing heartbeat is breaching.
    perTarget: {
      kind: 'heartbeat', statistic: 'Minimum', evaluationPeriods: HEARTBEAT_RUNS, missing: cloudwatch.TreatMissingData.BREACHING,
      title: ({ subject: n }) => `${n} audit failing or missing`,
      advice: ({ subject: n, scheduleMinutes: m }) => `No successful audit of ${n} in the last ${HEARTBEAT_RUNS} runs (${HEARTBEAT_RUNS * m} minutes): the target is unreachable or refused the auditor, or the auditor did not run. Open the latest report (${latest(n)}, nodes[].errors) and the audit Lambda's log.`,
    },
    // A fleet may be empty: no datum is no failure. The discovery alarm below watches that runs happen.
    discoveredFleet: {
      kind: 'auditFailed', statistic: 'Minimum',
      title: () => 'a discovered cache could not be audited',
      advice: () => `The audit of a cache found by discovery failed: it is unreachable (its security group must allow the auditor's), refused the discovery credentials, or timed out. ${WHICH}`,
    },
  },
  {
    // Per run of discovery, not per cache: only the fleet has it.
    metric: 'DiscoverySucceeded', comparison: LT, threshold: () => 1,
    discoveredFleet: {
      kind: 'discoveryFailing', statistic: 'Minimum', evaluationPeriods: DISCOVERY_RUNS, missing: cloudwatch.TreatMissingData.BREACHING,
      title: () => 'discovery failing or missing',
      advice: ({ scheduleMinutes: m }) => `Discovery did not list the caches in the last ${DISCOVERY_RUNS} runs (${DISCOVERY_RUNS * m} minutes), so no cache found by tag was audited: read the audit Lambda's log ("discovery failed") for the refused ElastiCache call, or check that the schedule runs.`,
    },
  },
];

/** The alarms of each configured target, in catalogue order (the order of the dashboard's alarm status). */
export const TARGET_ALARMS: readonly AlarmSpec<TargetAlarmKind>[] = CATALOGUE.flatMap(({ perTarget, discoveredFleet: _, ...condition }) => (perTarget ? [{ ...condition, ...perTarget }] : []));

/** The alarms of the caches found by discovery, in catalogue order. */
export const FLEET_ALARMS: readonly AlarmSpec<FleetAlarmKind>[] = CATALOGUE.flatMap(({ discoveredFleet, perTarget: _, ...condition }) => (discoveredFleet ? [{ ...condition, ...discoveredFleet }] : []));

/** Each metric a per-target alarm reads, with its threshold in force: the lines the dashboard draws. */
export function targetThresholdLines(thresholds: AlarmThresholds): Partial<Record<MetricName, number>> {
  return Object.fromEntries(TARGET_ALARMS.map((spec) => [spec.metric, spec.threshold(thresholds)]));
}
