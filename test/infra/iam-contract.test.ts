// The IAM contract (issue 14), offline. The real handler runs against a real local redis-server (loopback only)
// in every scenario that makes an AWS call: a target with an auth secret, IAM-authenticated ones (a replication
// group and a serverless cache, whose CloudWatch metrics are read), discovery of both kinds, source IPs named
// through EC2 and ECS, an alert published, reports saved and presigned. Every call is recorded (mocked clients'
// calls(), every SigV4 presign: the report links, the IAM auth tokens) and asked of @cloud-copilot/iam-simulate
// against the role the same configuration synthesizes, with the resource policies of the bucket, topic and key.
// Every call must be allowed; every grant of the auditor's own statements must be used by one, or say below why not.
// The role's two AWS managed policies (Lambda's logs and VPC interfaces) count, by their documented statements, for
// what is allowed (AWSLambdaVPCAccessExecutionRole does grant ec2:DescribeNetworkInterfaces), not for the reverse
// check: they serve Lambda itself, which the handler's calls cannot show.
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client, type DescribeNetworkInterfacesCommandInput } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient, ListTagsForResourceCommand } from '@aws-sdk/client-elasticache';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { idlePool, perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { createHandler, secretReader, type HandlerResult } from '../../lambda/handler.js';
import { createSecretsManagerClient } from '../../lambda/publish/aws-clients.js';
import { Ec2IpResolver } from '../../lambda/publish/ec2-ip-resolver.js';
import { AwsCallRecorder, iamRequestsOf, type IamRequest } from '../support/aws-call-recorder.js';
import { templateFor } from '../support/cdk.js';
import { connectionSeries } from '../support/cloudwatch-series.js';
import { ACCOUNT, REGION, replicationGroup, serverlessCache, tags } from '../support/elasticache-fixtures.js';
import { CREDENTIALS, fakeAws, lambdaContext } from '../support/fake-aws.js';
import { auditorRole, grantsOf, resourcePolicies, simulate, templateResolver, unusedGrants, type PolicySet, type Verdict } from '../support/iam-policy-simulation.js';
import { ecsEni, ecsTask, instanceEni, attachmentIdFor } from '../support/network-interfaces.js';
import { waitForIdle } from '../support/wait.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-cache-auth-AbCdEf`;
/** The customer managed key the orders secret is encrypted with (config authSecretKmsKeyArn). */
const SECRET_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const PASSWORD = 'contract-Pa55-never-logged';
const at = { account: ACCOUNT, region: REGION, stackName: 'RedisLeakAuditorContract' };
const [LEAK_IP, TASK_IP, INSTANCE_ID] = ['127.0.0.81', '127.0.0.82', 'i-0123456789abcdef0'];
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
const host = (name: string) => `master.${name}.abc123.euw1.cache.amazonaws.com`;
/** Every kind of target; tls off because the local server speaks plain TCP (the handler is told its address only). */
const CONFIG = {
  stackName: at.stackName, account: ACCOUNT, region: REGION,
  vpc: { id: 'vpc-0a1b2c3d4e5f60718', subnetIds: ['subnet-0a1b2c3d4e5f60718'], availabilityZones: [`${REGION}a`], cidrBlock: '10.0.0.0/16' },
  thresholds: { idleSeconds: 1, minGroupConnections: 10 },
  targets: [
    { name: 'orders-cache', host: host('orders'), tls: false, authSecretArn: SECRET_ARN, authSecretKmsKeyArn: SECRET_KEY_ARN, securityGroupId: 'sg-0a1b2c3d4e5f60718' },
    { name: 'sessions', host: host('sessions'), tls: false, iamUser: 'leak-auditor', cacheName: 'sessions', securityGroupId: 'sg-0a1b2c3d4e5f60719' },
    { name: 'carts-sls', host: 'carts-x1y2z3.serverless.euw1.cache.amazonaws.com', tls: false, iamUser: 'leak-auditor', cacheName: 'carts', serverless: true, securityGroupId: 'sg-0a1b2c3d4e5f60720' },
  ],
  discovery: { tags: { 'leak-audit': 'on' }, iamUser: 'discovery-auditor' },
};

/** Grants no recorded call uses, each with why the role keeps it (matched on the action, and on the resource's end when given). */
const UNUSED_GRANTS: ReadonlyArray<{ action: string; resource?: string; reason: string }> = [
  { action: 's3:ListBucket', reason: 'never called: without it S3 answers a missing state object with 403 instead of 404, and a target\'s first run would fail (s3-report-store.ts)' },
  { action: 'sqs:SendMessage', reason: 'used by Lambda itself, with the function\'s role, to put a failed asynchronous invocation in the dead-letter queue; the handler never calls SQS' },
];

const ec2 = new EC2Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const ecs = new ECSClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const elasticache = new ElastiCacheClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
const [ec2Mock, ecsMock, elasticacheMock] = [mockClient(ec2), mockClient(ecs), mockClient(elasticache)];
const recorder = new AwsCallRecorder();
const workloads: WorkloadHandle[] = [];
let redis: LocalRedisServer;
let aws: ReturnType<typeof fakeAws>;
let policies: PolicySet;
let own: PolicySet['identity'];
let outcomes: Array<{ request: IamRequest; verdict: Verdict }>;
const results: HandlerResult[] = [];

beforeAll(async () => {
  const template = templateFor({ context: { redisLeakAuditor: CONFIG }, env: { account: ACCOUNT, region: REGION } }).toJSON() as Record<string, unknown>;
  const resolve = templateResolver(template, at);
  const role = auditorRole(template, resolve, at);
  own = role.own;
  policies = { principal: role.principal, roleArn: role.roleArn, account: ACCOUNT, identity: [...role.own, ...role.managed], resource: [...resourcePolicies(template, resolve), defaultKeyPolicy(SECRET_KEY_ARN)] };

  const user = (name: string, password: string) => ['--user', name, 'on', password, '~*', '&*', '+@all'];
  redis = await startLocalRedis({ args: [...user('auditor', `>${PASSWORD}`), ...user('leak-auditor', 'nopass'), ...user('discovery-auditor', 'nopass')] });
  workloads.push(await perRequestLeak(redis, LEAK_IP, { count: 15, name: 'checkout' }), await idlePool(redis, TASK_IP, { size: 3, name: 'worker' }));
  answerAws(await freePort());
  const env = deployedEnvironment(template, resolve, role.environment, `redis://${redis.host}:${redis.port}`);
  recorder.watch(aws.s3Mock, aws.cloudwatchMock, aws.snsMock, aws.secretsMock, ec2Mock, ecsMock, elasticacheMock).start();
  await waitForIdle(redis, LEAK_IP, 15, CONFIG.thresholds.idleSeconds); // the leak's connections idle past IDLE_SECONDS
  const handler = createHandler({
    env: { ...env, AWS_REGION: REGION },
    clients: () => ({ ...aws.clients(), ec2, ecs, elasticache }),
    getSecret: secretReader(new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient({ region: REGION, credentials: CREDENTIALS }) })),
    awsCredentials: async () => CREDENTIALS,
    // The production resolver never looks loopback up; here every test source stands for a host of the VPC.
    ipResolver: (_clients, logger) => new Ec2IpResolver({ ec2, ecs, logger, lookupAddress: (ip) => (ip.startsWith('unix:') ? null : ip) }),
    logger: new Logger({ serviceName: 'iam-contract', logLevel: 'SILENT' }),
  });
  // The invocations the deployed schedule makes, in order: the configured targets, then the discovery shard.
  for (const event of scheduledEvents(template, resolve, role.functionId)) results.push(await handler(event, lambdaContext()) as HandlerResult);
  recorder.stop();

  const kmsKeys = new Map([...topicKeys(template, resolve), [SECRET_ARN, SECRET_KEY_ARN]]);
  const requests = (await Promise.all((await recorder.calls()).map((call) => iamRequestsOf(call, { account: ACCOUNT, kmsKeyOf: (arn) => kmsKeys.get(arn) })))).flat();
  const unique = [...new Map(requests.map((r) => [JSON.stringify([r.action, r.resource, r.context]), r])).values()];
  outcomes = await Promise.all(unique.map(async (request) => ({ request, verdict: await simulate(request, policies) })));
}, 90_000);

afterAll(async () => {
  recorder.stop();
  await Promise.allSettled(workloads.map((w) => w.stop()));
  await redis?.stop();
  aws?.restore();
  for (const mock of [ec2Mock, ecsMock, elasticacheMock]) mock.restore();
});

describe('the IAM contract of the auditor role', () => {
  it('ran every scenario that makes an AWS call', () => {
    const status = Object.fromEntries(results.flatMap((r) => r.targets.map((t) => [t.target, t.status])));
    // carts-disc is TLS-only and its endpoint here answers nothing: the run fails after signing its token, as intended.
    expect(status).toEqual({ 'orders-cache': 'ok', sessions: 'ok', 'carts-sls': 'ok', 'orders-rg': 'ok', 'carts-disc': 'failed' });
    expect([...new Set(outcomes.map((o) => o.request.action))].sort()).toEqual(expect.arrayContaining([
      'cloudwatch:GetMetricData', 'cloudwatch:PutMetricData', 'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ecs:DescribeTasks',
      'ecs:ListClusters', 'ecs:ListTasks', 'elasticache:Connect', 'elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches',
      'elasticache:ListTagsForResource', 'kms:Decrypt', 'kms:GenerateDataKey', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 'secretsmanager:GetSecretValue', 'sns:Publish',
    ]));
    // The secret's own key, used through Secrets Manager.
    expect(outcomes.map((o) => `${o.request.action} ${o.request.resource}`)).toContain(`kms:Decrypt ${SECRET_KEY_ARN}`);
    // A presigned report link and an IAM token of each kind were among them.
    expect(outcomes.map((o) => `${o.request.from} ${o.request.resource}`)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^presign s3 GetObject arn:aws:s3:::.+\/reports\/orders-cache\/\d{4}\/.+\.html$/),
      `presign elasticache Connect arn:aws:elasticache:${REGION}:${ACCOUNT}:serverlesscache:carts`,
      `presign elasticache Connect arn:aws:elasticache:${REGION}:${ACCOUNT}:user:discovery-auditor`,
    ]));
  });

  it('allows every recorded call', () => {
    const denied = outcomes.filter((o) => !o.verdict.allowed).map(({ request, verdict }) => `${request.action} on ${request.resource} in ${request.region} (${request.from}): ${verdict.reason}`);
    expect(denied).toEqual([]);
  });

  it('grants nothing that no recorded call uses, except what the table above explains', () => {
    const grants = grantsOf(own);
    const explained = (g: { action: string; resource: string }) => UNUSED_GRANTS.some((u) => u.action === g.action && (!u.resource || g.resource.endsWith(u.resource)));
    const unused = unusedGrants(grants, outcomes);
    expect(unused.filter((g) => !explained(g)).map((g) => `${g.label}: ${g.action} on ${g.resource}`)).toEqual([]);
    // The table stays true: each entry names a grant the role has and no call uses.
    expect(UNUSED_GRANTS.filter((u) => !unused.some((g) => explained(g) && g.action === u.action)).map((u) => u.action)).toEqual([]);
  });

  it('can fail: a call that one statement alone allows is denied without that statement', async () => {
    const labels = new Map(grantsOf(own).map((g) => [g.statement, g.label]));
    const sole = outcomes.filter((o) => o.verdict.allowedBy.length === 1 && labels.has(o.verdict.allowedBy[0] ?? ''));
    const stillAllowed: string[] = [];
    for (const { request, verdict } of sole) {
      const [name, index] = (verdict.allowedBy[0] ?? '').split('#') as [string, string];
      const without = { ...policies, identity: policies.identity.map((p) => (p.name === name ? { ...p, statements: p.statements.filter((_, i) => i !== Number(index) - 1) } : p)) };
      if ((await simulate(request, without)).allowed) stillAllowed.push(`${request.action} on ${request.resource}`);
    }
    expect(stillAllowed).toEqual([]);
    // Proven for the statements behind every kind of call (per-target IAM connects overlap each other and discovery's).
    expect([...new Set(sole.map((o) => labels.get(o.verdict.allowedBy[0] ?? '')))]).toEqual(expect.arrayContaining([
      'WriteReportsAndState', 'ReadStateAndSignReportLinks', 'PutMetricsInOwnNamespace', 'NameSourceIps', 'ListEcsClustersForSourceIps', 'ListEcsTasksForSourceIps',
      'DescribeEcsTasksForSourceIps', 'ReadServerlessConnectionMetrics', 'ListCachesForDiscovery', 'ReadCacheTagsForDiscovery', 'IamConnectDiscoveredCaches',
    ]));
  });

  it('maps calls it has not seen generically, and refuses one IAM does not know', async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-1234-4abc-8def-0123456789ab`;
    const facts = { account: ACCOUNT, kmsKeyOf: (arn: string) => (arn === SECRET_ARN ? key : undefined) };
    const call = (service: string, operation: string, input: Record<string, unknown>) => iamRequestsOf({ service, operation, input, region: REGION, via: 'sdk' }, facts);
    expect(await call('secretsmanager', 'GetSecretValue', { SecretId: SECRET_ARN })).toMatchObject([
      { action: 'secretsmanager:GetSecretValue', resource: SECRET_ARN }, { action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    ]);
    expect(await call('s3', 'HeadObject', { Bucket: 'b', Key: 'config/audit-targets.json', VersionId: 'v1' }))
      .toMatchObject([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/config/audit-targets.json', context: { 's3:versionid': 'v1' } }]);
    expect(await call('kms', 'Decrypt', { KeyId: key, CiphertextBlob: 'x' })).toMatchObject([{ action: 'kms:Decrypt', resource: key }]);
    await expect(call('s3', 'Frobnicate', {})).rejects.toThrow('IAM knows no action s3:Frobnicate');
  });

  it('can fail: a grant that no call uses is reported', () => {
    const bucketObjects = grantsOf(own).find((g) => g.label === 'WriteReportsAndState')?.resource ?? '';
    const extra = { name: 'Extra', statements: [{ Sid: 'DeleteReports', Effect: 'Allow', Action: 's3:DeleteObject', Resource: bucketObjects }] };
    expect(unusedGrants(grantsOf([...own, extra]), outcomes).map((g) => g.label)).toContain('DeleteReports');
  });
});

/** The AWS answers of the scenarios: a cache of each kind to discover, the EC2/ECS view of the two sources, a serverless cache's metrics. */
function answerAws(closedPort: number): void {
  aws = fakeAws({ [SECRET_ARN]: JSON.stringify({ username: 'auditor', password: PASSWORD }) });
  const series = connectionSeries({ currConnections: (m) => 100 + m, newConnections: () => 400 });
  aws.cloudwatchMock.on(GetMetricDataCommand).callsFake(series.respond);
  elasticacheMock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [replicationGroup('orders-rg', { host: redis.host, port: redis.port, TransitEncryptionEnabled: false })] });
  // Serverless caches are TLS-only; the local server is not, so this one's endpoint is a closed port.
  elasticacheMock.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [serverlessCache('carts-disc', { Endpoint: { Address: redis.host, Port: closedPort } })] });
  elasticacheMock.on(ListTagsForResourceCommand).resolves(tags({ 'leak-audit': 'on' }));
  // The leak comes from an EC2 instance; the idle pool from an ECS task whose interface names neither service nor cluster.
  const enis = [instanceEni(LEAK_IP, INSTANCE_ID), ecsEni(TASK_IP, [], attachmentIdFor(TASK_IP))];
  ec2Mock.on(DescribeNetworkInterfacesCommand).callsFake((input: DescribeNetworkInterfacesCommandInput) => ({
    NetworkInterfaces: enis.filter((eni) => input.Filters?.[0]?.Values?.includes(eni.PrivateIpAddress ?? '')),
  }));
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, Tags: [{ Key: 'Name', Value: 'checkout-host' }] }] }] });
  const task = ecsTask(TASK_IP, { group: 'service:worker', cluster: 'prod' });
  ecsMock.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_ARN] });
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [task.taskArn ?? ''] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task] });
}

/**
 * The function's environment as deployed, and the objects the stack writes to the bucket at deploy time (the target
 * list), with every target's address replaced by the local server's: the only change from what AWS would hold.
 */
function deployedEnvironment(template: Record<string, unknown>, resolve: (v: unknown) => unknown, env: Record<string, string>, url: string): Record<string, string> {
  const local = (list: string) => JSON.stringify((JSON.parse(list) as Array<Record<string, unknown>>).map((t) => ({ ...t, url })));
  for (const [id, r] of Object.entries(template.Resources as Record<string, { Type: string; Properties: { Create?: unknown } }>)) {
    if (r.Type !== 'Custom::AWS' || r.Properties.Create === undefined) continue;
    const call = JSON.parse(resolve(r.Properties.Create) as string) as { service: string; action: string; parameters: { Key: string; Body: string } };
    if (call.service !== 'S3' || call.action !== 'putObject') continue;
    const body = call.parameters.Key === env.AUDIT_TARGETS_S3_KEY ? local(call.parameters.Body) : call.parameters.Body;
    aws.objects.set(call.parameters.Key, body);
    const version = resolve({ 'Fn::GetAtt': [id, 'VersionId'] });
    // The version the function pins must be the one written: anything else is NoSuchVersion.
    aws.s3Mock.on(GetObjectCommand, { Key: call.parameters.Key }).callsFake((input: { VersionId?: string }) => {
      if (input.VersionId !== undefined && input.VersionId !== version) throw Object.assign(new Error('no such version'), { name: 'NoSuchVersion', $metadata: { httpStatusCode: 404 } });
      return { Body: { transformToString: async () => body } };
    });
  }
  return env.AUDIT_TARGETS ? { ...env, AUDIT_TARGETS: local(env.AUDIT_TARGETS) } : env;
}

/** The events the schedule's rules send the auditor function (undefined: no input). */
function scheduledEvents(template: Record<string, unknown>, resolve: (v: unknown) => unknown, functionId: string): unknown[] {
  const rules = Object.values(template.Resources as Record<string, { Type: string; Properties: { Targets?: Array<{ Arn: unknown; Input?: string }> } }>)
    .filter((r) => r.Type === 'AWS::Events::Rule');
  const functionArn = resolve({ 'Fn::GetAtt': [functionId, 'Arn'] });
  return rules.flatMap((r) => (r.Properties.Targets ?? []).filter((t) => resolve(t.Arn) === functionArn).map((t) => (t.Input ? JSON.parse(t.Input) : {})));
}

/** Topic ARN -> the customer managed key that encrypts it (SNS uses it with the publisher's permissions). */
function topicKeys(template: Record<string, unknown>, resolve: (v: unknown) => unknown): Map<string, string> {
  const topics = Object.entries(template.Resources as Record<string, { Type: string; Properties: { KmsMasterKeyId?: unknown } }>)
    .filter(([, r]) => r.Type === 'AWS::SNS::Topic' && r.Properties.KmsMasterKeyId !== undefined);
  return new Map(topics.map(([id, r]) => [resolve({ Ref: id }) as string, resolve(r.Properties.KmsMasterKeyId) as string]));
}

/**
 * The secret's key is the user's, outside the stack: assume KMS's default key policy, which lets the account's IAM
 * policies decide (docs: "Default key policy", "Allows access to the AWS account and enables IAM policies"). A key
 * policy that does not is the user's to change; the README says so.
 */
function defaultKeyPolicy(keyArn: string): PolicySet['resource'][number] {
  return {
    governs: (arn) => arn === keyArn,
    document: { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] },
  };
}
