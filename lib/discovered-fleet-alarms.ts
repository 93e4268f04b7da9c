// The alarms of the caches found by discovery. They cannot be made per cache (the caches are found at run
// time), so they read the copies the Lambda sends under Fleet=discovered (lambda/core/fleet-metrics.ts):
// the Maximum over the fleet crosses the line when any one cache does, and that cache's SNS summary names it.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { MetricName } from '../lambda/core/metrics.js';
import { fleetMetric } from './auditor-metrics.js';
import type { AlarmThresholds } from './auditor-monitoring.js';

export type FleetAlarmKind = 'connectionsHigh' | 'rejectedConnections' | 'churnHigh' | 'suspectedLeaks' | 'auditFailed' | 'discoveryFailing';

type AlarmFactory = (scope: Construct, id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number }) => cloudwatch.Alarm;

interface FleetAlarmSpec {
  readonly metric: MetricName;
  readonly statistic: string;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly threshold: (t: AlarmThresholds) => number;
  readonly title: (threshold: number) => string;
  readonly advice: (threshold: number, minutes: number) => string;
  readonly evaluationPeriods?: number;
  readonly missing?: cloudwatch.TreatMissingData;
}

const { GREATER_THAN_THRESHOLD: GT, GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, LESS_THAN_THRESHOLD: LT } = cloudwatch.ComparisonOperator;
const WHICH = 'The SNS summary of that audit names the cache; the dashboard\'s "Caches found by discovery" graphs show each one, and its report is reports/<cache>/latest.json.';
const DISCOVERY_RUNS = 2;

const FLEET_ALARMS: Readonly<Record<FleetAlarmKind, FleetAlarmSpec>> = {
  connectionsHigh: {
    metric: 'MaxClientsUtilization', statistic: 'Maximum', comparison: GTE, threshold: (t) => t.connectionsUtilizationPercent,
    title: (v) => `a discovered cache at or above ${v} percent of maxclients`,
    advice: (v) => `A cache found by discovery uses ${v}% or more of maxclients on its fullest node: find the source holding the most connections in its report and fix its pool or leak. ${WHICH}`,
  },
  rejectedConnections: {
    metric: 'RejectedConnections', statistic: 'Maximum', comparison: GT, threshold: (t) => t.rejectedConnections,
    title: (v) => `a discovered cache rejected more than ${v} connections`,
    advice: (v) => `A cache found by discovery refused more than ${v} new connections since its previous audit (maxclients reached): clients are failing now. ${WHICH}`,
  },
  churnHigh: {
    metric: 'NewConnectionsPerMinute', statistic: 'Maximum', comparison: GT, threshold: (t) => t.newConnectionsPerMinute,
    title: (v) => `a discovered cache with connection churn above ${v} per minute`,
    advice: (v) => `A cache found by discovery accepts more than ${v} new connections a minute: a client connects per request instead of pooling. ${WHICH}`,
  },
  suspectedLeaks: {
    metric: 'SuspectedLeaks', statistic: 'Maximum', comparison: GTE, threshold: (t) => t.suspectedLeaks,
    title: (v) => `a discovered cache with ${v} or more suspected leaks`,
    advice: (v) => `The audit of a cache found by discovery found ${v} or more sources that look like a connection leak: read its idle-connections and connection-growth findings. ${WHICH}`,
  },
  auditFailed: {
    // A fleet may be empty: no datum is no failure. The discovery alarm below watches that runs happen.
    metric: 'AuditSucceeded', statistic: 'Minimum', comparison: LT, threshold: () => 1,
    title: () => 'a discovered cache could not be audited',
    advice: () => `The audit of a cache found by discovery failed: it is unreachable (its security group must allow the auditor's), refused the discovery credentials, or timed out. ${WHICH}`,
  },
  discoveryFailing: {
    metric: 'DiscoverySucceeded', statistic: 'Minimum', comparison: LT, threshold: () => 1,
    evaluationPeriods: DISCOVERY_RUNS, missing: cloudwatch.TreatMissingData.BREACHING,
    title: () => 'discovery failing or missing',
    advice: (_v, m) => `Discovery did not list the caches in the last ${DISCOVERY_RUNS} runs (${DISCOVERY_RUNS * m} minutes), so no cache found by tag was audited: read the audit Lambda's log ("discovery failed") for the refused ElastiCache call, or check that the schedule runs.`,
  },
};

export interface FleetAlarmOptions {
  readonly namespace: string;
  readonly scheduleMinutes: number;
  readonly thresholds: AlarmThresholds;
  /** Alarm name prefix (the stack name). */
  readonly prefix: string;
}

export function discoveredFleetAlarms(scope: Construct, alarm: AlarmFactory, options: FleetAlarmOptions): Record<FleetAlarmKind, cloudwatch.IAlarm> {
  const { namespace, scheduleMinutes: minutes, thresholds, prefix } = options;
  const make = (kind: FleetAlarmKind): cloudwatch.IAlarm => {
    const spec = FLEET_ALARMS[kind];
    const threshold = spec.threshold(thresholds);
    return alarm(scope, kind, {
      metric: fleetMetric(spec.metric, spec.statistic, Duration.minutes(minutes), namespace),
      threshold,
      comparisonOperator: spec.comparison,
      evaluationPeriods: spec.evaluationPeriods,
      treatMissingData: spec.missing,
      alarmName: `${prefix} ${spec.title(threshold)}`,
      alarmDescription: spec.advice(threshold, minutes),
    });
  };
  return {
    connectionsHigh: make('connectionsHigh'),
    rejectedConnections: make('rejectedConnections'),
    churnHigh: make('churnHigh'),
    suspectedLeaks: make('suspectedLeaks'),
    auditFailed: make('auditFailed'),
    discoveryFailing: make('discoveryFailing'),
  };
}
