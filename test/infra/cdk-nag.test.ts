// cdk-nag v3 AWS Solutions checks: zero unacknowledged findings in both modes, and the check itself bites.
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { buildStack, EXAMPLE_EXISTING, nagFindings } from '../support/cdk.js';

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in the sandbox stack', () => {
    expect(nagFindings(buildStack().app)).toEqual([]);
  });

  it('finds nothing unacknowledged in the existing-VPC stack with secrets, IAM auth, e-mail and Slack', () => {
    expect(nagFindings(buildStack({ context: { redisLeakAuditor: EXAMPLE_EXISTING } }).app)).toEqual([]);
  });

  it('reports an unacknowledged finding (the check is live)', () => {
    const { app, stack } = buildStack();
    new s3.Bucket(stack, 'CarelessBucket');
    expect(nagFindings(app)).toContain('AwsSolutions-S1 RedisLeakAuditor/CarelessBucket/Resource');
  });
});
