// The one factory of the auditor's CloudWatch metrics for alarms and graphs: namespace, dimensions and unit
// exactly as the Lambda publishes them (lambda/core/metrics.ts, lambda/core/fleet-metrics.ts).
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DISCOVERED_FLEET, FLEET_DIMENSION } from '../lambda/core/fleet-metrics.js';
import { METRIC_NAMESPACE, METRIC_UNITS, TARGET_DIMENSION, type MetricName, type MetricUnit } from '../lambda/core/metrics.js';

const { COUNT, PERCENT, MILLISECONDS, NONE } = cloudwatch.Unit;
const CLOUDWATCH_UNITS: Readonly<Record<MetricUnit, cloudwatch.Unit>> = { Count: COUNT, Percent: PERCENT, Milliseconds: MILLISECONDS, None: NONE };

/** A metric of one target (dimension Target). */
export function auditorMetric(name: MetricName, target: string, statistic: string, period: Duration, namespace = METRIC_NAMESPACE): cloudwatch.Metric {
  return metricOf(name, { [TARGET_DIMENSION]: target }, statistic, period, namespace);
}

/** A metric of the caches found by discovery (dimension Fleet=discovered). */
export function fleetMetric(name: MetricName, statistic: string, period: Duration, namespace = METRIC_NAMESPACE): cloudwatch.Metric {
  return metricOf(name, { [FLEET_DIMENSION]: DISCOVERED_FLEET }, statistic, period, namespace);
}

function metricOf(name: MetricName, dimensionsMap: Record<string, string>, statistic: string, period: Duration, namespace: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName: name,
    dimensionsMap,
    statistic,
    period,
    // Alarms match on the unit when one is given; the Lambda always sends this one (METRIC_UNITS). No label: a
    // labelled metric turns the alarm into the metric-math form, which hides MetricName behind Metrics[].
    unit: CLOUDWATCH_UNITS[METRIC_UNITS[name]],
  });
}
