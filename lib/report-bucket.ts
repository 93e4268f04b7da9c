// The bucket for reports and state: private, TLS only, encrypted, versioned, reports expiring after a
// configurable time (state never expires), and server access logs in a bucket of their own.
import { Duration, FeatureFlags, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ReportBucketProps {
  /** Days before a report expires. */
  readonly retentionDays: number;
  /** What happens to the buckets when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/** The bucket of the reports, the state between runs and the target list, with a bucket of its access logs. */
export class ReportBucket extends Construct {
  /** Reports (expiring), state (kept) and the target list, versioned. */
  readonly bucket: s3.Bucket;
  /** The report bucket's server access logs. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(`reportRetentionDays must be a whole number of days, at least 1, not ${props.retentionDays}`);
    }
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // SSE-S3: the presigned report links then work for whoever holds them, without KMS grants.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    };
    // With the feature flag (set by cdk.json, and by `cdk init` for new apps) S3 delivers access logs under
    // a bucket policy; without it, CDK falls back to the log-delivery ACL, which needs ObjectWriter.
    const logsByPolicy = FeatureFlags.of(this).isEnabled('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy') === true;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      ...(logsByPolicy ? {} : { objectOwnership: s3.ObjectOwnership.OBJECT_WRITER }),
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket of the report bucket; logging it would recurse.' });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'report-bucket/',
      lifecycleRules: [
        { id: 'expire-reports', prefix: 'reports/', expiration: Duration.days(props.retentionDays), noncurrentVersionExpiration: Duration.days(7) },
        { id: 'expire-old-state-versions', prefix: 'state/', noncurrentVersionExpiration: Duration.days(7) },
        // The current target list never expires; the lists of earlier deploys do, a week after they were replaced.
        { id: 'expire-old-target-lists', prefix: 'config/', noncurrentVersionExpiration: Duration.days(7) },
      ],
    });
  }
}
