// The EventBridge schedule of the auditor: one rule invoking the function for every target, or (per-target
// fan-out) one invocation per target, its event naming the target, spread over rules of five targets each.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** EventBridge allows five targets per rule. */
const TARGETS_PER_RULE = 5;

/** The EventBridge schedule(s): retries and the dead-letter queue on every target of every rule. */
export function auditSchedules(scope: Construct, fn: lambda.IFunction, dlq: sqs.IQueue, minutes: number, perTarget: readonly string[] | null): events.Rule[] {
  const invocations = perTarget === null ? [undefined] : perTarget.map((name) => events.RuleTargetInput.fromObject({ targets: [name] }));
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

