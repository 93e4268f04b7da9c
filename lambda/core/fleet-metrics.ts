// Metrics for the targets found by discovery. Their alarms cannot be made per target (the CDK app does not
// know them at synth time), so each discovered target's alarm metrics are also sent under one shared
// dimension, Fleet=discovered: CloudWatch aggregates data with the same dimensions, and an alarm on the
// Maximum (Minimum for the heartbeat) fires when any discovered target crosses the line. The SNS summary of
// that target's run says which one it is.
import { METRIC_UNITS, TARGET_DIMENSION, type MetricDatum, type MetricName } from './metrics.js';

export const FLEET_DIMENSION = 'Fleet';
export const DISCOVERED_FLEET = 'discovered';

/** The metrics the per-target alarms read, copied for the fleet alarms. */
export const FLEET_ALARM_METRICS: readonly MetricName[] = ['SuspectedLeaks', 'RejectedConnections', 'MaxClientsUtilization', 'NewConnectionsPerMinute', 'AuditSucceeded'];

/** Copies of a target's alarm metrics (the Target-only ones, not the per-node ones) under Fleet=fleet. */
export function fleetCopies(data: readonly MetricDatum[], fleet: string): MetricDatum[] {
  return data
    .filter((d) => FLEET_ALARM_METRICS.includes(d.name) && Object.keys(d.dimensions).length === 1 && TARGET_DIMENSION in d.dimensions)
    .map((d) => ({ ...d, dimensions: { [FLEET_DIMENSION]: fleet } }));
}

/** The health of one discovery run: DiscoverySucceeded 1/0 and, when it succeeded, the caches that matched. */
export function discoveryMetrics(result: { readonly succeeded: boolean; readonly matched: number }, nowMs: number): MetricDatum[] {
  const dimensions = { [FLEET_DIMENSION]: DISCOVERED_FLEET };
  const datum = (name: MetricName, value: number): MetricDatum => ({ name, value, unit: METRIC_UNITS[name], dimensions, timestampMs: nowMs });
  return result.succeeded
    ? [datum('DiscoverySucceeded', 1), datum('DiscoveredTargets', result.matched)]
    : [datum('DiscoverySucceeded', 0)];
}
