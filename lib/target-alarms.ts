// The alarms of one configured target, made from the catalogue, and its summary: the only one of them that notifies.
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmBuilder, SubjectMetric } from './alarm-builder.js';
import { TARGET_ALARMS, type TargetAlarmKind } from './alarm-catalogue.js';

export interface TargetAlarms {
  /** The target's alarms by kind, none with an action. */
  readonly alarms: Readonly<Record<TargetAlarmKind, cloudwatch.IAlarm>>;
  /** In ALARM while any of them is. */
  readonly summary: cloudwatch.CompositeAlarm;
}

/** The target's alarms under `parent`/Target-<target>, reading the target's metrics through `metric`. */
export function targetAlarms(builder: AlarmBuilder, parent: Construct, target: string, metric: SubjectMetric): TargetAlarms {
  const scope = new Construct(parent, `Target-${target}`);
  const alarms = builder.fromCatalogue(scope, TARGET_ALARMS, target, metric);
  const prefix = builder.options.namePrefix;
  const summary = builder.summary(scope, 'Summary', alarms, {
    compositeAlarmName: `${prefix} ${target} needs attention`,
    alarmDescription: `At least one alarm of ${target} is on (connections, rejected connections, churn, suspected leaks or a failing audit): the alarms named "${prefix} ${target} ..." on the dashboard say which, and each one's description what to do. The latest report is reports/${target}/latest.json in the report bucket. This alarm's OK says all of them cleared.`,
  });
  return { alarms, summary };
}
