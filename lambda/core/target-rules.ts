// The rules of a target's name and of how many targets one deployment audits, in one place: the CLI, the Lambda's
// configuration, the S3 keys, the CDK config, the construct, the alarms and the sandbox all read them from here.

/** A target name: an S3 key part, a CloudWatch dimension value and part of alarm names. */
export const TARGET_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** How messages describe TARGET_NAME. */
export const TARGET_NAME_FORM = '1-64 characters from A-Z a-z 0-9 . _ -';

/** Targets one deployment audits, besides those discovery finds (see target-list-object.ts for why the list is an S3 object). */
export const MAX_TARGETS = 50;

/** A Secrets Manager secret's ARN (a target's authSecretArn and reclaimSecretArn), in the Lambda's and the CDK config. */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
