// The one place the auditor's alarms are made, and the one place an action is added to any of them.
//
// Who notifies: only one composite alarm per target (and one for the auditor's own health, one for the discovered
// fleet) carries actions, ALARM and OK; the metric alarms it is made of carry none. Every new alarm starts in
// INSUFFICIENT_DATA and runs the actions of the state its first evaluation gives it (CloudFormation,
// AWS::CloudWatch::CompositeAlarm), so OK actions on every metric alarm sent one "OK" per alarm per target on the
// first deploy. Dropping OK actions altogether was not an option: the Lambda's summary never says that findings
// cleared (lambda/core/notify-policy.ts sends on new-finding, escalated, reminder, unreachable only), so the OK of
// an alarm is the only "resolved" message there is. A composite is in INSUFFICIENT_DATA only once, right after
// its creation, so creating it sends one message, and the recovery of its members still arrives. The price:
// a second alarm of a target that is already in ALARM sends nothing new; the Lambda's summary does tell a new or
// escalated finding and an unreachable target. Not covered: a heartbeat that fires before the first run (missing data
// is breaching) still makes its target's summary send ALARM, then OK.
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { MetricName } from '../lambda/core/metrics.js';
import type { AlarmSpec } from './alarm-catalogue.js';
import type { AlarmThresholds } from './alarm-thresholds.js';

/** A metric alarm's props; evaluationPeriods may be left out (one period). */
export type MetricAlarmProps = Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { readonly evaluationPeriods?: number };

/** Makes the metric `name` with `statistic` of one subject (a target or the fleet), period and namespace chosen. */
export type SubjectMetric = (name: MetricName, statistic: string) => cloudwatch.IMetric;

/** The name and description of a summary alarm. */
export interface SummaryText {
  readonly compositeAlarmName: string;
  readonly alarmDescription: string;
}

export interface AlarmBuilderOptions {
  /** Start of every alarm name: the stack name. */
  readonly namePrefix: string;
  /** Minutes between two audits, for the alarms' words (their period is their metric's). */
  readonly scheduleMinutes: number;
  /** The thresholds in force. */
  readonly thresholds: AlarmThresholds;
  /** What every summary alarm does on ALARM and on OK; null for nothing. */
  readonly summaryAction: cloudwatch.IAlarmAction | null;
}

/** The summary alarms' action: the one given (null for none), else an SNS action on the topic. */
export function summaryAlarmAction(topic: sns.ITopic, given: cloudwatch.IAlarmAction | null | undefined): cloudwatch.IAlarmAction | null {
  return given === undefined ? new cloudwatchActions.SnsAction(topic) : given;
}

/** Makes every alarm of a monitoring construct and remembers them, in the order made. */
export class AlarmBuilder {
  /** Every metric alarm made, none with an action. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Every summary alarm made: the ones that notify. */
  readonly summaryAlarms: cloudwatch.CompositeAlarm[] = [];

  constructor(readonly options: AlarmBuilderOptions) {}

  /** One alarm per spec, in the specs' order, under `scope` with the spec's kind as id, reading `subject`'s metrics. */
  fromCatalogue<Kind extends string>(scope: Construct, specs: readonly AlarmSpec<Kind>[], subject: string, metric: SubjectMetric): Record<Kind, cloudwatch.Alarm> {
    const { namePrefix, scheduleMinutes, thresholds } = this.options;
    const made = {} as Record<Kind, cloudwatch.Alarm>;
    for (const spec of specs) {
      const threshold = spec.threshold(thresholds);
      const facts = { subject, threshold, scheduleMinutes };
      made[spec.kind] = this.metricAlarm(scope, spec.kind, {
        metric: metric(spec.metric, spec.statistic),
        threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: spec.evaluationPeriods,
        treatMissingData: spec.missing,
        alarmName: `${namePrefix} ${spec.title(facts)}`,
        alarmDescription: spec.advice(facts),
      });
    }
    return made;
  }

  /** A metric alarm: it has no action of its own, a summary alarm notifies for it. */
  metricAlarm(scope: Construct, id: string, props: MetricAlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      ...props,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  /** A composite in ALARM while any member is, running the summary action on ALARM and on OK. */
  summary(scope: Construct, id: string, members: Readonly<Record<string, cloudwatch.IAlarm>>, text: SummaryText): cloudwatch.CompositeAlarm {
    const composite = new cloudwatch.CompositeAlarm(scope, id, {
      ...text,
      alarmRule: cloudwatch.AlarmRule.anyOf(...Object.values(members)),
    });
    const action = this.options.summaryAction;
    if (action) {
      composite.addAlarmAction(action);
      composite.addOkAction(action);
    }
    this.summaryAlarms.push(composite);
    return composite;
  }
}
