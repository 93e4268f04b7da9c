// The EventBridge schedule of the auditor: the invocations of one period (one with no event for every
// target; or one per target, its event naming the target; and one per discovery shard), spread over rules
// of five targets each.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** EventBridge allows five targets per rule. */
const TARGETS_PER_RULE = 5;

/** The EventBridge schedule(s): one invocation per event (undefined: no event), each with retries and the dead-letter queue. */
export function auditSchedules(scope: Construct, fn: lambda.IFunction, dlq: sqs.IQueue, minutes: number, invocations: ReadonlyArray<events.RuleTargetInput | undefined>): events.Rule[] {
  const rules: events.Rule[] = [];
  for (let i = 0; i < invocations.length; i += TARGETS_PER_RULE) {
    const rule = new events.Rule(scope, i === 0 ? 'Schedule' : `Schedule${i / TARGETS_PER_RULE + 1}`, {
      schedule: events.Schedule.rate(Duration.minutes(minutes)),
      description: `redis-leak-auditor: audit every ${minutes} min`,
    });
    for (const event of invocations.slice(i, i + TARGETS_PER_RULE)) {
      rule.addTarget(new targets.LambdaFunction(fn, {
        retryAttempts: 2,
        maxEventAge: Duration.minutes(Math.max(1, minutes)),
        deadLetterQueue: dlq,
        ...(event ? { event } : {}),
      }));
    }
    rules.push(rule);
  }
  return rules;
}

