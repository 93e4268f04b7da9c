// The alarms of the caches found by discovery. They cannot be made per cache (the caches are found at run
// time), so they read the copies the Lambda sends under Fleet=discovered (lambda/core/fleet-metrics.ts):
// the Maximum over the fleet crosses the line when any one cache does, and that cache's SNS summary names it.
// What they watch is the catalogue's (alarm-catalogue.ts), next to the per-target alarm of the same condition.
import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DISCOVERED_FLEET } from '../lambda/core/fleet-metrics.js';
import type { AlarmBuilder } from './alarm-builder.js';
import { FLEET_ALARMS, type FleetAlarmKind } from './alarm-catalogue.js';
import { fleetMetric } from './auditor-metrics.js';

export type { FleetAlarmKind } from './alarm-catalogue.js';

export interface DiscoveredFleetAlarms {
  /** The fleet's alarms by kind, none with an action. */
  readonly alarms: Readonly<Record<FleetAlarmKind, cloudwatch.IAlarm>>;
  /** In ALARM while any of them is. */
  readonly summary: cloudwatch.CompositeAlarm;
}

/** The fleet's alarms under `parent`/DiscoveredFleet, on the Fleet=discovered metrics of `namespace`. */
export function discoveredFleetAlarms(builder: AlarmBuilder, parent: Construct, namespace: string, period: Duration): DiscoveredFleetAlarms {
  const scope = new Construct(parent, 'DiscoveredFleet');
  const alarms = builder.fromCatalogue(scope, FLEET_ALARMS, DISCOVERED_FLEET, (name, statistic) => fleetMetric(name, statistic, period, namespace));
  const prefix = builder.options.namePrefix;
  const summary = builder.summary(scope, 'Summary', alarms, {
    compositeAlarmName: `${prefix} discovered caches need attention`,
    alarmDescription: `At least one alarm of the caches found by discovery is on, or discovery itself is failing: the alarms named "${prefix} a discovered cache ..." and "${prefix} discovery failing or missing" on the dashboard say which; the SNS summary of the audit names the cache. This alarm's OK says all of them cleared.`,
  });
  return { alarms, summary };
}
