import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../lambda/core/metrics.js';
import { SEARCH_SERIES_LABEL } from '../../lib/auditor-dashboard.js';
import { AuditorMonitoring, type AuditorMonitoringProps } from '../../lib/auditor-monitoring.js';

const TARGETS = ['orders-cache', 'sessions'] as const;

type Overrides = Partial<Omit<AuditorMonitoringProps, 'alarmTopic' | 'auditFunction' | 'deadLetterQueue'>>;

function build(overrides: Overrides = {}) {
  const stack = new Stack(new App(), 'MonitoringTest');
  const auditFunction = new lambda.Function(stack, 'AuditFunction', {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler=async()=>{}'),
  });
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetters');
  const alarmTopic = new sns.Topic(stack, 'Alarms');
  const monitoring = new AuditorMonitoring(stack, 'Monitoring', {
    targets: TARGETS,
    scheduleMinutes: 5,
    alarmTopic,
    auditFunction,
    deadLetterQueue,
    ...overrides,
  });
  const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement) });
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, monitoring, template: Template.fromStack(stack), topicRef: ref(alarmTopic), functionRef: ref(auditFunction), logicalId };
}

type Properties = Record<string, unknown>;

function alarmsOf(template: Template): Properties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((resource) => resource.Properties as Properties);
}

function compositesOf(template: Template): Record<string, Properties> {
  return Object.fromEntries(Object.entries(template.findResources('AWS::CloudWatch::CompositeAlarm'))
    .map(([id, resource]) => [id, resource.Properties as Properties]));
}

/** Logical ids of the alarms a composite's rule names (through Fn::GetAtt Arn), sorted. */
function ruleMembers(composite: Properties): string[] {
  return [...JSON.stringify(composite.AlarmRule).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((m) => m[1] as string).sort();
}

/** The one alarm on `metricName` of `target` (fails when there are none or several). */
function targetAlarm(template: Template, metricName: string, target: string): Properties {
  const found = alarmsOf(template).filter((p) => p.MetricName === metricName
    && JSON.stringify(p.Dimensions) === JSON.stringify([{ Name: 'Target', Value: target }]));
  expect(found, `alarms on ${metricName} of ${target}`).toHaveLength(1);
  return found[0] as Properties;
}

/** The dashboard body with each token (ARN, Ref) replaced by "<token>": the text the assertions search. */
function dashboardBody(template: Template): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = (dashboard?.Properties as Properties | undefined)?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  return body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly alarms?: string[]; readonly annotations?: { readonly horizontal?: { readonly value: number }[] } };
}

function dashboardWidgets(template: Template): Widget[] {
  return (JSON.parse(dashboardBody(template)) as { widgets: Widget[] }).widgets;
}

const TARGET_ALARM_EXPECTATIONS = [
  { kind: 'connections high', MetricName: 'MaxClientsUtilization', Statistic: 'Maximum', Unit: 'Percent', Threshold: 80, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
  { kind: 'rejected connections', MetricName: 'RejectedConnections', Statistic: 'Sum', Unit: 'Count', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
  { kind: 'churn high', MetricName: 'NewConnectionsPerMinute', Statistic: 'Maximum', Unit: 'None', Threshold: 100, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
  { kind: 'suspected leaks', MetricName: 'SuspectedLeaks', Statistic: 'Maximum', Unit: 'Count', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
  { kind: 'heartbeat', MetricName: 'AuditSucceeded', Statistic: 'Minimum', Unit: 'Count', Threshold: 1, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 2, TreatMissingData: 'breaching' },
] as const;

describe('AuditorMonitoring alarms', () => {
  it('creates five alarms per target plus one for Lambda errors and one for the dead-letter queue', () => {
    const { template, monitoring } = build();

    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * 5 + 2);
    expect(monitoring.alarms).toHaveLength(12);
    expect(Object.keys(monitoring.alarmsByTarget)).toEqual([...TARGETS]);
  });

  describe.each(TARGETS)('for target %s', (target) => {
    it.each(TARGET_ALARM_EXPECTATIONS)('alarms on $kind with the default threshold, period = schedule, and no action of its own', ({ kind: _kind, ...expected }) => {
      const { template } = build();

      const alarm = targetAlarm(template, expected.MetricName, target);

      expect(alarm).toMatchObject({ ...expected, Namespace: 'RedisLeakAuditor', Period: 300 });
      expect(alarm.Dimensions).toEqual([{ Name: 'Target', Value: target }]);
      expect(alarm.AlarmActions).toBeUndefined();
      expect(alarm.OKActions).toBeUndefined();
    });

    it('names the target and the latest report in every alarm description', () => {
      const { template } = build();

      for (const { MetricName } of TARGET_ALARM_EXPECTATIONS) {
        const alarm = targetAlarm(template, MetricName, target);
        expect(alarm.AlarmName).toContain(target);
        expect(alarm.AlarmDescription).toContain(`reports/${target}/latest.json`);
      }
    });
  });

  it('alarms when the audit Lambda reports an error', () => {
    const { template, functionRef } = build();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: functionRef }],
      Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, Period: 300,
      TreatMissingData: 'notBreaching', AlarmActions: Match.absent(), OKActions: Match.absent(),
    });
  });

  it('alarms when a message waits in the dead-letter queue', () => {
    const { template } = build();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum',
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, Period: 300,
      TreatMissingData: 'notBreaching', AlarmActions: Match.absent(), OKActions: Match.absent(),
    });
  });

  it('notifies only through one summary alarm per target and one for the auditor, so a first deploy sends one OK per target', () => {
    const { template } = build();

    // Every new alarm goes from INSUFFICIENT_DATA to its first state and runs that state's actions: each OK action
    // is one message on the first deploy. Only the summaries have actions.
    for (const alarm of alarmsOf(template)) {
      expect([alarm.AlarmActions, alarm.OKActions, alarm.InsufficientDataActions]).toEqual([undefined, undefined, undefined]);
    }
    const withOkActions = Object.values(compositesOf(template)).filter((composite) => composite.OKActions !== undefined);
    expect(withOkActions).toHaveLength(TARGETS.length + 1);
  });

  it('sends each summary\'s alarm and recovery to the topic, and to nothing else', () => {
    const { template, topicRef, monitoring } = build();

    const composites = Object.values(compositesOf(template));
    expect(composites).toHaveLength(monitoring.summaryAlarms.length);
    for (const composite of composites) {
      expect(composite.AlarmActions).toEqual([topicRef]);
      expect(composite.OKActions).toEqual([topicRef]);
      expect(composite.InsufficientDataActions).toBeUndefined();
      expect(composite.ActionsEnabled).not.toBe(false);
    }
  });

  it('runs a given alarm action on every summary alarm instead of the topic, and on no metric alarm', () => {
    const pager: cloudwatch.IAlarmAction = { bind: () => ({ alarmActionArn: 'arn:aws:sns:eu-west-1:123456789012:incident-pager' }) };
    const { template, monitoring } = build({ alarmAction: pager, discoveredFleet: true });

    const composites = Object.values(compositesOf(template));
    expect(composites).toHaveLength(monitoring.summaryAlarms.length);
    for (const composite of composites) {
      expect(composite.AlarmActions).toEqual([pager.bind(monitoring, monitoring.healthSummaryAlarm).alarmActionArn]);
      expect(composite.OKActions).toEqual(composite.AlarmActions);
    }
    for (const alarm of alarmsOf(template)) expect([alarm.AlarmActions, alarm.OKActions]).toEqual([undefined, undefined]);
  });

  it('makes the summary alarms silent when alarmAction is null', () => {
    const { template } = build({ alarmAction: null, discoveredFleet: true });

    for (const composite of Object.values(compositesOf(template))) expect([composite.AlarmActions, composite.OKActions]).toEqual([undefined, undefined]);
  });

  it.each(TARGETS)('makes the summary of %s alarm when any of its five alarms does, and of nothing else', (target) => {
    const { template, monitoring, logicalId } = build();

    const summary = compositesOf(template)[logicalId(monitoring.summaryAlarmsByTarget[target] as cloudwatch.CompositeAlarm)] as Properties;
    const members = Object.values(monitoring.alarmsByTarget[target] ?? {}).map((alarm) => logicalId(alarm as cloudwatch.Alarm)).sort();
    expect(ruleMembers(summary)).toEqual(members);
    expect(JSON.stringify(summary.AlarmRule)).not.toContain(' AND ');
    expect(summary.AlarmName).toBe(`MonitoringTest ${target} needs attention`);
    expect(summary.AlarmDescription).toContain(`reports/${target}/latest.json`);
  });

  it('makes one summary of the audit Lambda errors and dead-letter alarms', () => {
    const { template, monitoring, logicalId } = build();

    const summary = compositesOf(template)[logicalId(monitoring.healthSummaryAlarm)] as Properties;
    expect(ruleMembers(summary)).toEqual([logicalId(monitoring.functionErrorsAlarm as cloudwatch.Alarm), logicalId(monitoring.deadLetterAlarm as cloudwatch.Alarm)].sort());
  });

  it('makes one summary of the discovered fleet\'s six alarms when discoveredFleet is on', () => {
    const { template, monitoring, logicalId } = build({ discoveredFleet: true });

    const fleet = monitoring.discoveredFleetSummaryAlarm;
    expect(fleet).toBeDefined();
    const summary = compositesOf(template)[logicalId(fleet as cloudwatch.CompositeAlarm)] as Properties;
    expect(ruleMembers(summary)).toEqual(Object.values(monitoring.discoveredFleetAlarms ?? {}).map((alarm) => logicalId(alarm as cloudwatch.Alarm)).sort());
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', TARGETS.length + 2);
  });

  it('uses the schedule as the period of every alarm', () => {
    const { template } = build({ scheduleMinutes: 15 });

    expect(alarmsOf(template).map((alarm) => alarm.Period)).toEqual(Array(12).fill(900));
  });

  it('takes thresholds from props and keeps the defaults of the others', () => {
    const { template, monitoring } = build({ thresholds: { connectionsUtilizationPercent: 90, newConnectionsPerMinute: 250, suspectedLeaks: 3 } });

    expect(targetAlarm(template, 'MaxClientsUtilization', 'sessions').Threshold).toBe(90);
    expect(targetAlarm(template, 'NewConnectionsPerMinute', 'sessions').Threshold).toBe(250);
    expect(targetAlarm(template, 'SuspectedLeaks', 'sessions').Threshold).toBe(3);
    expect(targetAlarm(template, 'RejectedConnections', 'sessions').Threshold).toBe(0);
    expect(targetAlarm(template, 'MaxClientsUtilization', 'sessions').AlarmDescription).toContain('above 90% of maxclients');
    expect(monitoring.thresholds).toEqual({ connectionsUtilizationPercent: 90, rejectedConnections: 0, newConnectionsPerMinute: 250, suspectedLeaks: 3 });
  });

  it('reads the auditor metrics from the namespace given in props', () => {
    const { template } = build({ namespace: 'Staging/RedisLeakAuditor' });

    const namespaces = new Set(alarmsOf(template).map((alarm) => alarm.Namespace));
    expect(namespaces).toEqual(new Set(['Staging/RedisLeakAuditor', 'AWS/Lambda', 'AWS/SQS']));
  });
});

describe('AuditorMonitoring dashboard', () => {
  it('creates one dashboard with the name given in props', () => {
    const { template } = build({ dashboardName: 'redis-leaks-prod' });

    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'redis-leaks-prod' });
  });

  it('graphs every auditor metric of each target (the break-glass\'s when it is armed)', () => {
    const body = dashboardBody(build({ breakGlass: true }).template);

    for (const target of TARGETS) {
      // The discovery metrics are per fleet, not per target (test/infra/discovery.test.ts).
      for (const name of METRIC_NAMES.filter((n) => !n.startsWith('Discover'))) {
        expect(body).toContain(`"RedisLeakAuditor","${name}","Target","${target}"`);
      }
    }
  });

  it('graphs ConnectionsReclaimed only when the break-glass is armed (it is published only then)', () => {
    expect(dashboardBody(build().template)).not.toContain('ConnectionsReclaimed');
  });

  it('shows the status of all alarms and the Lambda errors and duration', () => {
    const { template } = build();
    const body = dashboardBody(template);

    const statusWidgets = dashboardWidgets(template).filter((widget) => widget.type === 'alarm');
    expect(statusWidgets.flatMap((widget) => widget.properties.alarms ?? [])).toHaveLength(12);
    expect(body).toContain('"AWS/Lambda","Errors","FunctionName"');
    expect(body).toContain('"AWS/Lambda","Duration","FunctionName"');
    expect(body).toContain('"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName"');
  });

  it('labels each series that SEARCH finds with its Target, not with the expression', () => {
    const widgets = JSON.parse(dashboardBody(build({ targets: [], discoveredFleet: true }).template)) as { widgets: Array<{ properties: { metrics?: unknown[][] } }> };

    const expressions = widgets.widgets.flatMap((widget) => widget.properties.metrics ?? [])
      .flatMap((row) => row.filter((part): part is { expression: string; label?: string } => typeof part === 'object' && part !== null && 'expression' in part));
    // The discovered row's three graphs and the two overview graphs that have no configured target to draw.
    expect(expressions).toHaveLength(5);
    for (const { expression, label } of expressions) {
      expect(expression).toMatch(/^SEARCH\(/);
      expect(label).toBe("${PROP('Dim.Target')}");
    }
    expect(SEARCH_SERIES_LABEL).toBe("${PROP('Dim.Target')}");
  });

  it('draws the alarm thresholds on the graphs', () => {
    const widgets = dashboardWidgets(build({ thresholds: { connectionsUtilizationPercent: 85, newConnectionsPerMinute: 300 } }).template);

    const lines = (title: string) => widgets.filter((widget) => widget.properties.title?.startsWith(title))
      .map((widget) => widget.properties.annotations?.horizontal?.map((line) => line.value));
    expect(lines('Maxclients used')).toEqual([[85], [85]]);
    expect(lines('New connections per minute')).toEqual([[300], [300]]);
    expect(lines('Suspected leaks')).toEqual([[1], [1]]);
  });
});

describe('AuditorMonitoring refuses props it cannot honour', () => {
  it.each([
    [{ targets: [] }, /targets is empty: pass the name of every audited target/],
    [{ targets: ['orders-cache', 'orders-cache'] }, /"orders-cache" is listed twice: list each target once/],
    [{ targets: ['orders cache'] }, /"orders cache" is not 1-64 characters from A-Z a-z 0-9 \. _ -: use the name exactly as in AUDIT_TARGETS/],
    [{ targets: Array.from({ length: 51 }, (_, i) => `t${i}`) }, /at most 50 targets per deployment/],
    [{ scheduleMinutes: 0 }, /scheduleMinutes is 0: set it to the audit schedule's period, a whole number of minutes from 1 to 1440/],
    [{ scheduleMinutes: 2.5 }, /scheduleMinutes is 2\.5: set it to/],
    [{ scheduleMinutes: 2000 }, /scheduleMinutes is 2000: set it to/],
    [{ thresholds: { rejectedConnections: -1 } }, /thresholds\.rejectedConnections is -1: set it to a number of 0 or more/],
    [{ thresholds: { newConnectionsPerMinute: Number.NaN } }, /thresholds\.newConnectionsPerMinute is NaN: set it to a number of 0 or more/],
    [{ thresholds: { connectionsUtilizationPercent: 120 } }, /thresholds\.connectionsUtilizationPercent is 120: set it to a number from 1 to 100/],
    [{ thresholds: { suspectedLeaks: 0 } }, /thresholds\.suspectedLeaks is 0: set it to a number of 1 or more/],
    [{ namespace: 'AWS/ElastiCache' }, /namespace "AWS\/ElastiCache" is not usable: pass the Lambda's METRIC_NAMESPACE/],
  ] as const)('throws for %j', (overrides, message) => {
    expect(() => build(overrides as Overrides)).toThrow(message);
  });
});
