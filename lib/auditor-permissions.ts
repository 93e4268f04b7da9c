// The Lambda role's permissions, each scoped to what the auditor does: write its reports and state, read
// its state and reports (the presigned links are signed with this role), publish to its topic, put
// metrics in its namespace only, read its secrets, connect with IAM only to the caches that use it, and
// (optionally) describe network interfaces, instances and ECS tasks in its region to name the clients behind IPs.
import { createHash } from 'node:crypto';
import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { TARGET_LIST_KEY } from '../lambda/target-list-object.js';
import type { DiscoverySpec } from './auditor-discovery.js';
import type { AuditTargetSpec } from './redis-leak-auditor-props.js';
import { acknowledgeLambdaManagedPolicies } from './lambda-role-acknowledgements.js';

export interface AuditorGrants {
  readonly bucket: s3.IBucket;
  readonly topic: sns.ITopic;
  readonly namespace: string;
  readonly targets: readonly AuditTargetSpec[];
  /** Allow the EC2 Describe and ECS List/Describe calls that name the workloads behind source IPs. */
  readonly resolveSourceIps?: boolean;
  /** Allow listing the caches and reading their tags, and the credentials of the discovered caches. */
  readonly discovery?: DiscoverySpec;
}

export function grantAuditorPermissions(fn: lambda.Function, grants: AuditorGrants): void {
  const { bucket } = grants;
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'WriteReportsAndState',
    actions: ['s3:PutObject'],
    resources: [bucket.arnForObjects('reports/*'), bucket.arnForObjects('state/*')],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ReadStateAndSignReportLinks',
    actions: ['s3:GetObject'],
    resources: [bucket.arnForObjects('reports/*'), bucket.arnForObjects('state/*')],
  }));
  // The target list the stack wrote (audit-target-list.ts), always by the version the function's environment pins:
  // S3 authorizes a read with a VersionId as s3:GetObjectVersion alone.
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ReadTargetList',
    actions: ['s3:GetObjectVersion'],
    resources: [bucket.arnForObjects(TARGET_LIST_KEY)],
  }));
  // Without ListBucket a missing state object answers 403 instead of 404 and the first run would fail.
  fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'TellMissingState', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  grants.topic.grantPublish(fn);
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'PutMetricsInOwnNamespace',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': grants.namespace } },
  }));
  if (grants.resolveSourceIps) {
    // Describe actions take no resource scope; aws:RequestedRegion (supported by every EC2 action) keeps
    // them to the stack's region, where the audited caches and their clients are.
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'NameSourceIps',
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeInstances'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': Stack.of(fn).region } },
    }));
    grantEcsTaskLookup(fn);
  }
  for (const target of grants.targets) {
    if (target.iamUser && target.cacheName) {
      const stack = Stack.of(fn);
      const resourceType = target.serverless ? 'serverlesscache' : 'replicationgroup';
      fn.addToRolePolicy(new iam.PolicyStatement({
        sid: iamConnectSid(target.name),
        actions: ['elasticache:Connect'],
        resources: [
          Arn.format({ service: 'elasticache', resource: resourceType, resourceName: target.cacheName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack),
          Arn.format({ service: 'elasticache', resource: 'user', resourceName: target.iamUser, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack),
        ],
      }));
    }
  }
  const discoversServerless = grants.discovery !== undefined && (grants.discovery.kinds ?? ['serverless-cache']).includes('serverless-cache');
  if (grants.targets.some((t) => t.serverless) || discoversServerless) {
    // CLIENT LIST is refused on Serverless: the cache's own CurrConnections/NewConnections stand in for it.
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadServerlessConnectionMetrics',
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': Stack.of(fn).region } },
    }));
  }
  if (grants.discovery) grantDiscovery(fn, grants.discovery);
  grantSecretReads(fn, {
    auth: [...grants.targets.map((t) => t.authSecret), grants.discovery?.authSecret],
    // Present only while the break-glass is armed (the construct leaves them out otherwise).
    reclaim: [...grants.targets.map((t) => t.reclaimSecret), grants.discovery?.reclaimSecret],
  });
  const role = fn.role;
  if (role) {
    acknowledgeLambdaManagedPolicies(role, { vpc: true });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:PutMetricData supports no resource scope; it is limited to the auditor\'s namespace by the cloudwatch:namespace condition. '
        + 'ec2:DescribeInstances (read-only, to name the workloads behind client IPs) supports no resource scope either; it is limited to the stack\'s '
        + 'region by the aws:RequestedRegion condition. ec2:DescribeNetworkInterfaces is in the same statement with the same condition, but that does not '
        + 'narrow it: AWSLambdaVPCAccessExecutionRole, attached to every VPC function, already grants it on * in every region with no condition. '
        + 'ecs:ListClusters (read-only, to find the ECS service behind a task\'s IP) supports no resource scope; it is limited to the stack\'s region by aws:RequestedRegion. '
        + 'ecs:ListTasks over a whole cluster is authorized on * (its only resource type is a container instance, used when filtering by one); '
        + 'it is limited to the clusters of this account and region by the ecs:cluster condition. '
        + 'cloudwatch:GetMetricData (read a serverless cache\'s connection metrics) and elasticache:DescribeReplicationGroups / DescribeServerlessCaches '
        + '(list the caches for discovery by tag; read-only, no data) take no resource scope when listing; both are limited to the stack\'s region by aws:RequestedRegion.',
    });
    for (const prefix of ['reports', 'state']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(Stack.of(fn), bucket.arnForObjects(`${prefix}/*`))}]`,
        reason: `The auditor reads and writes one object per run and target under ${prefix}/ of its own bucket; the prefix is the narrowest scope.`,
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Publishing to the KMS-encrypted alert topic needs kms:GenerateDataKey* on that topic\'s own key, which is the only resource granted.',
    });
  }
}

/**
 * The Sid of a target's IAM connect statement: Sids allow only A-Z a-z 0-9 and must be unique in a policy, so
 * the name without its punctuation (readable) plus a hash of the exact name (`orders-cache` and `orders.cache`
 * differ).
 */
/**
 * A resource as cdk-nag names it in a finding's id: the resolved value with `<LogicalId.Attribute>` for Fn::GetAtt,
 * `<LogicalId>` or `<AWS::Partition>` for Ref, so the acknowledgement holds for a bucket of ours and an imported one.
 */
export function nagResourceName(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

export function iamConnectSid(targetName: string): string {
  return `IamConnect${targetName.replace(/[^A-Za-z0-9]/g, '')}${createHash('sha256').update(targetName).digest('hex').slice(0, 10)}`;
}

/**
 * What grouping ECS tasks into their service needs (lambda/publish/ecs-task-resolver.ts), read-only: list the
 * region's clusters (no resource scope), list a cluster's tasks (authorized on `*`: scoped by ecs:cluster) and
 * describe tasks (scoped to the task ARNs, and by ecs:cluster, of this account and region).
 */
function grantEcsTaskLookup(fn: lambda.Function): void {
  const stack = Stack.of(fn);
  const anyEcs = (resource: string) => Arn.format({ service: 'ecs', resource, resourceName: '*' }, stack);
  const inOwnClusters = { ArnLike: { 'ecs:cluster': anyEcs('cluster') } };
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ListEcsClustersForSourceIps',
    actions: ['ecs:ListClusters'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'ListEcsTasksForSourceIps', actions: ['ecs:ListTasks'], resources: ['*'], conditions: inOwnClusters }));
  fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'DescribeEcsTasksForSourceIps', actions: ['ecs:DescribeTasks'], resources: [anyEcs('task')], conditions: inOwnClusters }));
  const role = fn.role;
  if (!role) return;
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${asNagPrints(stack, anyEcs('task'))}]`,
    reason: 'ecs:DescribeTasks (read-only: a task\'s service, family and network attachment, to name the workload behind a client IP) is scoped to the task '
      + 'ARNs of this account and region and to its clusters by ecs:cluster: the tasks come and go between runs, so their ids are unknown at deploy time.',
  });
}

/** What discovery needs: list the caches of the region, read their tags, and connect with its credentials. */
/**
 * Reading the auth secrets, and kms:Decrypt on their customer managed keys, used through Secrets Manager only.
 * An imported key cannot take a grant for a principal wrapped in kms:ViaService (its policy is not ours to change,
 * and the wrapped principal adds nothing to the role): so the role gets the statement directly. Secrets under the
 * account's aws/secretsmanager key need none. The break-glass's reclaim secrets (only while it is armed) get a
 * statement of their own, so that the credential that may close connections is plain to see in the policy; their keys
 * join the one Decrypt statement, under the same condition.
 */
function grantSecretReads(fn: lambda.Function, secrets: { readonly auth: ReadonlyArray<secretsmanager.ISecret | undefined>; readonly reclaim: ReadonlyArray<secretsmanager.ISecret | undefined> }): void {
  const given = (list: ReadonlyArray<secretsmanager.ISecret | undefined>) => list.filter((secret): secret is secretsmanager.ISecret => secret !== undefined);
  const auth = given(secrets.auth);
  const reclaim = given(secrets.reclaim);
  // GetSecretValue alone: ISecret.grantRead adds DescribeSecret too, which nothing here calls (Powertools reads the value only).
  if (auth.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadAuthSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...new Set(auth.map((secret) => secret.secretArn))],
    }));
  }
  if (reclaim.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadReclaimSecretsForBreakGlass',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...new Set(reclaim.map((secret) => secret.secretArn))],
    }));
  }
  const keys = [...new Set([...auth, ...reclaim].flatMap((secret) => (secret.encryptionKey ? [secret.encryptionKey.keyArn] : [])))];
  if (keys.length === 0) return;
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'DecryptSecretsWithTheirKeys',
    actions: ['kms:Decrypt'],
    resources: keys,
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(fn).region}.amazonaws.com` } },
  }));
}

function grantDiscovery(fn: lambda.Function, discovery: DiscoverySpec): void {
  const stack = Stack.of(fn);
  const kinds = discovery.kinds ?? ['replication-group', 'serverless-cache'];
  const resourceTypes = kinds.map((kind) => (kind === 'serverless-cache' ? 'serverlesscache' : 'replicationgroup'));
  const anyOf = (resource: string) => Arn.format({ service: 'elasticache', resource, resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ListCachesForDiscovery',
    actions: kinds.map((kind) => (kind === 'serverless-cache' ? 'elasticache:DescribeServerlessCaches' : 'elasticache:DescribeReplicationGroups')),
    resources: ['*'],
    conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ReadCacheTagsForDiscovery',
    actions: ['elasticache:ListTagsForResource'],
    resources: resourceTypes.map(anyOf),
  }));
  if (discovery.iamUser) {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'IamConnectDiscoveredCaches',
      actions: ['elasticache:Connect'],
      resources: [
        ...resourceTypes.map(anyOf),
        Arn.format({ service: 'elasticache', resource: 'user', resourceName: discovery.iamUser, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack),
      ],
    }));
  }
  const role = fn.role;
  if (!role) return;
  for (const type of resourceTypes) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${asNagPrints(stack, anyOf(type))}]`,
      reason: `Discovery finds the caches to audit at run time, so their names are unknown at deploy time: ListTagsForResource${discovery.iamUser ? ' and IAM Connect' : ''} `
        + `are scoped to the ${type} resources of this account and region, the narrowest scope that still covers a cache tagged after the deploy.`,
    });
  }
}

/** An ARN as cdk-nag names it in a finding: literal when the stack's environment is known, else `<AWS::Region>` and such. */
function asNagPrints(stack: Stack, arn: string): string {
  const resolved: unknown = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const parts = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
}
