// The alarm catalogue (lib/alarm-catalogue.ts) is the one table of what the auditor alarms on. These tests fail when
// an alarm is added to one scope only, when an alarm reads a metric the Lambda does not publish where the alarm
// looks, when the Lambda copies a metric to the fleet that no alarm reads, or when the construct makes an alarm
// the catalogue does not list.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { DISCOVERED_FLEET, FLEET_ALARM_METRICS, discoveryMetrics, fleetCopies } from '../../lambda/core/fleet-metrics.js';
import { METRIC_NAMES, METRIC_UNITS, TARGET_DIMENSION, type MetricDatum } from '../../lambda/core/metrics.js';
import { FLEET_ALARMS, TARGET_ALARMS, type AlarmSpec, type FleetAlarmKind, type TargetAlarmKind } from '../../lib/alarm-catalogue.js';
import { DEFAULT_ALARM_THRESHOLDS } from '../../lib/alarm-thresholds.js';
import { AuditorMonitoring } from '../../lib/auditor-monitoring.js';

// Records over the public kind types: adding a kind to a type without listing it here does not compile.
const TARGET_KINDS: Record<TargetAlarmKind, true> = { connectionsHigh: true, rejectedConnections: true, churnHigh: true, suspectedLeaks: true, heartbeat: true };
const FLEET_KINDS: Record<FleetAlarmKind, true> = { connectionsHigh: true, rejectedConnections: true, churnHigh: true, suspectedLeaks: true, auditFailed: true, discoveryFailing: true };

const metricsOf = (specs: readonly AlarmSpec[]) => new Set(specs.map((spec) => spec.metric));
const sorted = (names: Iterable<string>) => [...names].sort();

/** The metric names the Lambda publishes under Fleet=discovered: the copies of a target's data, and discovery's health. */
function publishedForTheFleet(): Set<string> {
  const everyTargetMetric: MetricDatum[] = METRIC_NAMES.map((name) => ({ name, value: 1, unit: METRIC_UNITS[name], dimensions: { [TARGET_DIMENSION]: 'orders-cache' }, timestampMs: 0 }));
  const data = [...fleetCopies(everyTargetMetric, DISCOVERED_FLEET), ...discoveryMetrics({ succeeded: true, matched: 3 }, 0), ...discoveryMetrics({ succeeded: false, matched: 0 }, 0)];
  return new Set(data.map((d) => d.name));
}

describe('the alarm catalogue', () => {
  it('lists every kind of the public alarm types once per scope', () => {
    expect(sorted(TARGET_ALARMS.map((spec) => spec.kind))).toEqual(sorted(Object.keys(TARGET_KINDS)));
    expect(sorted(FLEET_ALARMS.map((spec) => spec.kind))).toEqual(sorted(Object.keys(FLEET_KINDS)));
  });

  it('watches across the discovered fleet every condition it watches per target, at the same threshold', () => {
    const thresholds = { connectionsUtilizationPercent: 91, rejectedConnections: 7, newConnectionsPerMinute: 333, suspectedLeaks: 4 };
    for (const perTarget of TARGET_ALARMS) {
      const onFleet = FLEET_ALARMS.find((spec) => spec.metric === perTarget.metric && spec.comparison === perTarget.comparison);
      expect(onFleet, `fleet alarm on ${perTarget.metric}`).toBeDefined();
      for (const given of [DEFAULT_ALARM_THRESHOLDS, thresholds]) expect(onFleet?.threshold(given)).toBe(perTarget.threshold(given));
    }
  });

  it('alarms per target on exactly the metrics the Lambda copies to the fleet for its alarms', () => {
    expect(sorted(metricsOf(TARGET_ALARMS))).toEqual(sorted(FLEET_ALARM_METRICS));
  });

  it('alarms on the fleet on every metric the Lambda publishes under Fleet=discovered, the count of caches found aside', () => {
    // How many caches matched is no fault; the dashboard graphs it.
    const alarmable = [...publishedForTheFleet()].filter((name) => name !== 'DiscoveredTargets');
    expect(sorted(metricsOf(FLEET_ALARMS))).toEqual(sorted(alarmable));
  });

  it('reads the fleet with the statistic that crosses the line when any one cache does', () => {
    for (const spec of FLEET_ALARMS) {
      expect(spec.statistic, spec.kind).toBe(spec.comparison === 'LessThanThreshold' ? 'Minimum' : 'Maximum');
    }
  });
});

describe('AuditorMonitoring makes the catalogue\'s alarms and no others', () => {
  const stack = new Stack(new App(), 'CatalogueTest');
  const monitoring = new AuditorMonitoring(stack, 'Monitoring', {
    targets: ['orders-cache'],
    scheduleMinutes: 5,
    alarmTopic: new sns.Topic(stack, 'Alarms'),
    auditFunction: new lambda.Function(stack, 'AuditFunction', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}') }),
    deadLetterQueue: new sqs.Queue(stack, 'DeadLetters'),
    discoveredFleet: true,
  });
  const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Record<string, unknown>);
  const readBy = (dimension: string, value: string) => sorted(alarms
    .filter((p) => JSON.stringify(p.Dimensions) === JSON.stringify([{ Name: dimension, Value: value }]))
    .map((p) => `${String(p.MetricName)} ${String(p.Statistic)} ${String(p.ComparisonOperator)}`));
  const expected = (specs: readonly AlarmSpec[]) => sorted(specs.map((spec) => `${spec.metric} ${spec.statistic} ${spec.comparison}`));

  it('per target', () => {
    expect(readBy('Target', 'orders-cache')).toEqual(expected(TARGET_ALARMS));
    expect(Object.keys(monitoring.alarmsByTarget['orders-cache'] ?? {})).toEqual(TARGET_ALARMS.map((spec) => spec.kind));
  });

  it('on the discovered fleet', () => {
    expect(readBy('Fleet', DISCOVERED_FLEET)).toEqual(expected(FLEET_ALARMS));
    expect(Object.keys(monitoring.discoveredFleetAlarms ?? {})).toEqual(FLEET_ALARMS.map((spec) => spec.kind));
  });

  it('besides the two on the auditor\'s own health', () => {
    expect(alarms).toHaveLength(TARGET_ALARMS.length + FLEET_ALARMS.length + 2);
  });
});

describe('the alarm modules', () => {
  it('import one another without a cycle', () => {
    const importsOf = (file: string) => [...readFileSync(new URL(`../../lib/${file}.ts`, import.meta.url), 'utf8')
      .matchAll(/^(?:import|export)\b[^;]*?from '\.\/([\w-]+)\.js'/gm)].map((m) => m[1] as string);
    const cycles = new Set<string>();
    const visit = (file: string, path: readonly string[]): void => {
      if (path.includes(file)) { cycles.add([...path.slice(path.indexOf(file)), file].join(' -> ')); return; }
      for (const next of importsOf(file)) visit(next, [...path, file]);
    };
    visit('auditor-monitoring', []);
    expect([...cycles]).toEqual([]);
  });
});
