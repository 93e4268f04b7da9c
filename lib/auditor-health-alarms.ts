// The alarms on the auditor itself: its Lambda's errors and its dead-letter queue, with one summary for both, so
// that the auditor's recovery is told once, per stack rather than per target.
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AlarmBuilder } from './alarm-builder.js';

export interface AuditorHealthAlarms {
  /** Fires when the audit Lambda reports an error. */
  readonly functionErrors: cloudwatch.IAlarm;
  /** Fires when a failed invocation waits in the dead-letter queue. */
  readonly deadLetters: cloudwatch.IAlarm;
  /** In ALARM while either is. */
  readonly summary: cloudwatch.CompositeAlarm;
}

/** The health alarms, directly under `scope` (ids FunctionErrors, DeadLetters, HealthSummary). */
export function auditorHealthAlarms(builder: AlarmBuilder, scope: Construct, auditFunction: lambda.IFunction, deadLetterQueue: sqs.IQueue, period: Duration): AuditorHealthAlarms {
  const { namePrefix: prefix, scheduleMinutes: minutes } = builder.options;
  const atLeastOne = { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };
  const functionErrors = builder.metricAlarm(scope, 'FunctionErrors', {
    metric: auditFunction.metricErrors({ period, statistic: 'Sum' }),
    ...atLeastOne,
    alarmName: `${prefix} audit Lambda errors`,
    alarmDescription: `The audit Lambda failed an invocation in the last ${minutes} minutes, so some targets may not have been audited: read the function's log for the failing step (configuration, S3, CloudWatch or SNS), fix it, then check the dead-letter queue.`,
  });
  const deadLetters = builder.metricAlarm(scope, 'DeadLetters', {
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    ...atLeastOne,
    alarmName: `${prefix} audit dead-letter queue not empty`,
    alarmDescription: 'An audit invocation failed after its retries and waits in the dead-letter queue: read the message and the audit Lambda\'s log, fix the cause, then purge the queue (this alarm stays on until the queue is empty).',
  });
  const summary = builder.summary(scope, 'HealthSummary', { functionErrors, deadLetters }, {
    compositeAlarmName: `${prefix} audit Lambda failing`,
    alarmDescription: `The audit Lambda failed an invocation, or a failed invocation waits in the dead-letter queue: the alarms "${prefix} audit Lambda errors" and "${prefix} audit dead-letter queue not empty" say which, and what to do. This alarm's OK says both cleared.`,
  });
  return { functionErrors, deadLetters, summary };
}
