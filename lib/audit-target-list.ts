// The target list, written to the report bucket at deploy time (lambda/target-list-object.ts says why it is not in
// the function's environment). An AwsCustomResource puts the object on create and on every change of the list;
// its S3 version id goes into the function's environment, so a changed list is a changed function.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { TARGET_LIST_ENV, TARGET_LIST_KEY } from '../lambda/target-list-object.js';
import { acknowledgeLambdaManagedPolicies } from './lambda-role-acknowledgements.js';

export interface AuditTargetListProps {
  /** The report bucket (versioned: the version id is what the function pins). */
  readonly bucket: s3.IBucket;
  /** The Lambda's target entries (docs/lambda.md, AUDIT_TARGETS); may hold tokens, resolved at deploy time. */
  readonly targets: ReadonlyArray<Record<string, unknown>>;
}

export class AuditTargetList extends Construct {
  /** The environment that points the handler at this exact version of the list. */
  readonly environment: Readonly<Record<string, string>>;
  readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: AuditTargetListProps) {
    super(scope, id);
    const write: cr.AwsSdkCall = {
      service: 'S3',
      action: 'putObject',
      parameters: {
        Bucket: props.bucket.bucketName,
        Key: TARGET_LIST_KEY,
        Body: Stack.of(this).toJsonString(props.targets),
        ContentType: 'application/json; charset=utf-8',
      },
      // One object for the life of the stack; a new list is a new version of it (an update, never a replacement).
      physicalResourceId: cr.PhysicalResourceId.of(TARGET_LIST_KEY),
      outputPaths: ['VersionId'],
    };
    this.resource = new cr.AwsCustomResource(this, 'Writer', {
      onCreate: write,
      onUpdate: write,
      // Deleting the stack leaves the list with the bucket's other objects (kept, or emptied with a destroyed bucket).
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(TARGET_LIST_KEY)] }),
      ]),
      // The runtime's SDK: installing the latest one at deploy time would need the internet and a minute.
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.environment = {
      [TARGET_LIST_ENV.key]: TARGET_LIST_KEY,
      [TARGET_LIST_ENV.version]: this.resource.getResponseField('VersionId'),
    };
    acknowledgeWriter(Stack.of(this));
  }
}

/** The custom resource's function is a singleton of the stack, outside this construct: its findings are acknowledged there. */
function acknowledgeWriter(stack: Stack): void {
  const writer = stack.node.tryFindChild(WRITER_FUNCTION_ID);
  if (!writer) return;
  acknowledgeLambdaManagedPolicies(writer, { vpc: false });
}

/** CDK's fixed id of the AwsCustomResource singleton function. */
const WRITER_FUNCTION_ID = 'AWS679f53fac002430cb0da5b7982bd2287';
