// Fleets: past eight targets the schedule invokes the function once per target (EventBridge fans out), each
// invocation sized for one target; below it, or when asked, one run audits them all.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionTimeoutSeconds } from '../../lib/redis-leak-auditor.js';
import { buildStack, EXAMPLE_EXISTING, nagFindings, templateFor } from '../support/cdk.js';

const base = (EXAMPLE_EXISTING.targets as Array<Record<string, unknown>>)[0] ?? {};
const fleet = (count: number) => Array.from({ length: count }, (_, i) => ({ ...base, name: `cache-${i + 1}` }));
const config = (count: number, extra: Record<string, unknown> = {}) => ({ redisLeakAuditor: { ...EXAMPLE_EXISTING, targets: fleet(count), ...extra } });
const auditor = { Description: Match.stringLikeRegexp('^redis-leak-auditor') };

describe('fan-out over a fleet', () => {
  it('invokes the function once per target, five targets a rule, each event naming its target', () => {
    const template = templateFor({ context: config(9) });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Array<{ Properties: { Targets: Array<{ Input?: string; RetryPolicy: unknown }> } }>;
    expect(rules.map((r) => r.Properties.Targets.length)).toEqual([5, 4]);
    const inputs = rules.flatMap((r) => r.Properties.Targets.map((t) => JSON.parse(t.Input ?? '{}') as { targets: string[] }));
    expect(inputs.map((i) => i.targets)).toEqual(fleet(9).map((t) => [t.name]));
    expect(rules.flatMap((r) => r.Properties.Targets).every((t) => JSON.stringify(t.RetryPolicy).includes('"MaximumRetryAttempts":2'))).toBe(true);
    template.hasResourceProperties('AWS::Lambda::Function', { ...auditor, ReservedConcurrentExecutions: Match.absent(), Timeout: functionTimeoutSeconds(1) });
  });

  it.each([
    ['a small fleet', config(3), 3],
    ['a fleet when asked (-c fanOut=single-run)', { ...config(9), fanOut: 'single-run' }, 9],
  ])('keeps one run for every target for %s, sized for all of them', (_what, context, count) => {
    const template = templateFor({ context });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Array<{ Properties: { Targets: Array<{ Input?: string }> } }>;
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.Targets.map((t) => t.Input)).toEqual([undefined]);
    template.hasResourceProperties('AWS::Lambda::Function', { ...auditor, ReservedConcurrentExecutions: Match.absent(), Timeout: functionTimeoutSeconds(count) });
  });

  it('reserves concurrency only when asked (-c reservedConcurrency=3)', () => {
    const template = templateFor({ context: { ...config(9), reservedConcurrency: '3' } });
    template.hasResourceProperties('AWS::Lambda::Function', { ...auditor, ReservedConcurrentExecutions: 3 });
  });

  it('passes cdk-nag with a fleet too', () => {
    expect(nagFindings(buildStack({ context: config(9) }).app)).toEqual([]);
  });
});
