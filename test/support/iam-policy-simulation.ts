// The deployed side of the IAM contract (issue 14): a synthesized template read as AWS would hold it after the
// deploy (every Ref and GetAtt resolved to a concrete name or ARN, the same ones the handler is given), the
// auditor function's role and its policies, the resource policies of what it calls, and the verdict of
// @cloud-copilot/iam-simulate on one request, with the statements that allowed it or why nothing did.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './aws-call-recorder.js';

type Json = Record<string, unknown>;
export interface Statement { Sid?: string; Effect: string; Action?: string | string[]; Resource?: string | string[]; Condition?: Json; Principal?: unknown }
export interface NamedPolicy { readonly name: string; readonly statements: readonly Statement[] }
export interface Deployment { readonly account: string; readonly region: string; readonly stackName: string }

/** Resolves CloudFormation intrinsics with deterministic physical names: the same value wherever a token appears. */
export function templateResolver(template: Json, at: Deployment): (value: unknown) => unknown {
  const resources = template.Resources as Record<string, { Type: string; Properties?: Json }>;
  const arn = (service: string, rest: string) => `arn:aws:${service}:${at.region}:${at.account}:${rest}`;
  const ref = (id: string): string => {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': at.region, 'AWS::AccountId': at.account, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': at.stackName };
    if (pseudo[id]) return pseudo[id];
    const type = resources[id]?.Type;
    if (type === 'AWS::S3::Bucket') return `${at.stackName}-${id}`.toLowerCase().slice(0, 63);
    if (type === 'AWS::SNS::Topic') return arn('sns', id);
    if (type === 'AWS::KMS::Key') return `${id.toLowerCase().slice(0, 8).padEnd(8, '0')}-1234-4abc-8def-0123456789ab`;
    if (type === 'AWS::SQS::Queue') return `https://sqs.${at.region}.amazonaws.com/${at.account}/${id}`;
    if (type !== undefined) return id;
    throw new Error(`Ref ${id}: no such resource or pseudo parameter`);
  };
  const getAtt = (id: string, attribute: string): string => {
    const type = resources[id]?.Type ?? '';
    if (attribute === 'Arn') {
      const arns: Record<string, string> = {
        'AWS::S3::Bucket': `arn:aws:s3:::${ref(id)}`, 'AWS::KMS::Key': arn('kms', `key/${ref(id)}`), 'AWS::SQS::Queue': arn('sqs', id),
        'AWS::IAM::Role': `arn:aws:iam::${at.account}:role/${id}`, 'AWS::Lambda::Function': arn('lambda', `function:${id}`), 'AWS::Logs::LogGroup': arn('logs', `log-group:${id}`),
      };
      if (arns[type]) return arns[type];
    }
    if (attribute === 'GroupId') return 'sg-0123456789abcdef0';
    // Custom resources answer what their handler returns (e.g. the S3 VersionId of an object written at deploy time).
    if (type.startsWith('Custom::')) return `${id}-${attribute}`;
    throw new Error(`Fn::GetAtt ${id}.${attribute} (${type}): no value for it here`);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Json);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') return ref(arg as string);
    if (entries.length === 1 && key === 'Fn::GetAtt') return getAtt(...(arg as [string, string]));
    if (entries.length === 1 && key === 'Fn::Join') return (resolve((arg as unknown[])[1]) as unknown[]).join((arg as string[])[0]);
    if (entries.length === 1 && key === 'Fn::Select') return (resolve((arg as unknown[])[1]) as unknown[])[Number(resolve((arg as unknown[])[0]))];
    if (entries.length === 1 && key === 'Fn::Split') return String(resolve((arg as unknown[])[1])).split((arg as string[])[0] as string);
    if (key?.startsWith('Fn::')) throw new Error(`${key}: not resolved here`);
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/** AWS managed policies as their AWS documentation states them (AWS Managed Policy Reference, current versions). */
const AWS_MANAGED: Readonly<Record<string, readonly Statement[]>> = {
  AWSLambdaBasicExecutionRole: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  AWSLambdaVPCAccessExecutionRole: [{
    Sid: 'AWSLambdaVPCAccessExecutionPermissions', Effect: 'Allow', Resource: '*',
    Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
  }],
};

export interface AuditorRole {
  readonly functionId: string;
  readonly roleArn: string;
  /** The session the Lambda runs as: the principal of every request. */
  readonly principal: string;
  /** The function's environment, resolved: what the handler is given. */
  readonly environment: Record<string, string>;
  /** The auditor's own statements: the inline policies attached to the role. */
  readonly own: NamedPolicy[];
  /** The AWS managed policies attached to the role, by their documented statements. */
  readonly managed: NamedPolicy[];
}

/** The auditor function (the one given REPORT_BUCKET) and its role's identity policies. */
export function auditorRole(template: Json, resolve: (value: unknown) => unknown, at: Deployment): AuditorRole {
  const resources = Object.entries(template.Resources as Record<string, { Type: string; Properties: Json }>);
  const [functionId, fn] = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties.Environment ?? {}).includes('REPORT_BUCKET')) ?? [];
  if (!functionId || !fn) throw new Error('no auditor function (none is given REPORT_BUCKET)');
  const roleId = ((fn.Properties.Role as Json)['Fn::GetAtt'] as string[])[0] as string;
  const role = (template.Resources as Record<string, { Properties: Json }>)[roleId];
  if (!role) throw new Error(`the auditor function's role ${roleId} is not in the template`);
  const inline = resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"Ref":"${roleId}"`))
    .map(([id, r]) => ({ name: id, statements: (resolve(r.Properties.PolicyDocument) as { Statement: Statement[] }).Statement }));
  const embedded = ((role.Properties.Policies ?? []) as Json[]).map((p) => ({ name: String(p.PolicyName), statements: (resolve(p.PolicyDocument) as { Statement: Statement[] }).Statement }));
  const managed = (resolve(role.Properties.ManagedPolicyArns ?? []) as string[]).map((managedArn) => {
    const statements = AWS_MANAGED[managedArn.replace(/^arn:aws:iam::aws:policy\/(service-role\/)?/, '')];
    if (!statements) throw new Error(`managed policy ${managedArn}: describe its statements in iam-policy-simulation.ts`);
    return { name: managedArn, statements };
  });
  const roleArn = `arn:aws:iam::${at.account}:role/${roleId}`;
  const environment = resolve((fn.Properties.Environment as Json | undefined)?.Variables ?? {}) as Record<string, string>;
  return { functionId, roleArn, principal: `arn:aws:sts::${at.account}:assumed-role/${roleId}/${functionId}`, environment, own: [...inline, ...embedded], managed };
}

/** The resource policies in the template (bucket, topic, key), each with the ARNs it governs. */
export function resourcePolicies(template: Json, resolve: (value: unknown) => unknown): Array<{ governs: (arn: string) => boolean; document: Json }> {
  const out: Array<{ governs: (arn: string) => boolean; document: Json }> = [];
  for (const [id, r] of Object.entries(template.Resources as Record<string, { Type: string; Properties: Json }>)) {
    if (r.Type === 'AWS::S3::BucketPolicy') {
      const bucketArn = `arn:aws:s3:::${String(resolve(r.Properties.Bucket))}`;
      out.push({ governs: (arn) => arn === bucketArn || arn.startsWith(`${bucketArn}/`), document: resolve(r.Properties.PolicyDocument) as Json });
    } else if (r.Type === 'AWS::SNS::TopicPolicy') {
      const topics = resolve(r.Properties.Topics) as string[];
      out.push({ governs: (arn) => topics.includes(arn), document: resolve(r.Properties.PolicyDocument) as Json });
    } else if (r.Type === 'AWS::KMS::Key') {
      const keyArn = resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string;
      out.push({ governs: (arn) => arn === keyArn, document: resolve(r.Properties.KeyPolicy) as Json });
    }
  }
  return out;
}

export interface PolicySet {
  readonly principal: string;
  readonly roleArn: string;
  readonly account: string;
  readonly identity: readonly NamedPolicy[];
  readonly resource: ReadonlyArray<{ governs: (arn: string) => boolean; document: Json }>;
}

export interface Verdict {
  readonly allowed: boolean;
  /** The identity statements that allowed it, as `policy#index` (1-based, the simulator's numbering). */
  readonly allowedBy: readonly string[];
  /** Why it is not allowed, in a sentence; empty when allowed. */
  readonly reason: string;
}

export async function simulate(request: IamRequest, policies: PolicySet): Promise<Verdict> {
  const resourcePolicy = policies.resource.find((p) => p.governs(request.resource))?.document;
  const result = await runSimulation({
    request: {
      principal: policies.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resource.split(':')[4] || policies.account },
      // Every SDK call and presigned link goes over HTTPS.
      contextVariables: { ...request.context, 'aws:SecureTransport': 'true', 'aws:PrincipalArn': policies.roleArn, 'aws:PrincipalAccount': policies.account },
    },
    identityPolicies: policies.identity.map((p) => ({ name: p.name, policy: { Version: '2012-10-17', Statement: p.statements } })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
  }, {});
  if (result.resultType === 'error') return { allowed: false, allowedBy: [], reason: `the simulator refused the request: ${result.errors.message} ${JSON.stringify(result.errors).slice(0, 400)}` };
  // A call that names no resource is authorized on `*`: only a statement on `*` allows it, not one on some ARN pattern.
  const analysis = result.resultType === 'single' ? result.result.analysis : result.results.find((r) => r.resourcePattern === '*')?.analysis;
  if (!analysis) return { allowed: false, allowedBy: [], reason: 'the call names no resource, so it is authorized on *, and no statement grants it on *' };
  const allowedBy = (analysis.identityAnalysis?.allowStatements ?? []).map((s) => `${s.policyId}#${s.statement.index()}`);
  if (analysis.result === 'Allowed') return { allowed: true, allowedBy, reason: '' };
  const near = (analysis.identityAnalysis?.unmatchedStatements ?? []).filter((s) => s.actionMatch)
    .map((s) => `${s.statement.sid?.() ?? `${s.policyId}#${s.statement.index()}`} (${s.resourceMatch ? 'its condition does not hold' : 'another resource'})`);
  const resourceResult = analysis.resourceAnalysis?.result;
  return {
    allowed: false, allowedBy,
    reason: `${analysis.result}: identity policies ${analysis.identityAnalysis?.result ?? 'none'}${resourceResult ? `, resource policy ${resourceResult}` : ''}`
      + `${near.length > 0 ? `; statements for this action that do not apply: ${near.join(', ')}` : '; no statement grants this action'}`,
  };
}

/** One action on one resource pattern in one Allow statement of the auditor's own policies. */
export interface Grant { readonly statement: string; readonly label: string; readonly action: string; readonly resource: string }

export function grantsOf(policies: readonly NamedPolicy[]): Grant[] {
  return policies.flatMap((p) => p.statements.flatMap((s, i) => {
    if (s.Effect !== 'Allow') return [];
    if (s.Action === undefined || s.Resource === undefined) throw new Error(`${p.name}#${i + 1}: NotAction/NotResource grants are not checked here`);
    const label = s.Sid ?? `${p.name}#${i + 1}`;
    return [s.Action].flat().flatMap((action) => [s.Resource].flat().map((resource) => ({ statement: `${p.name}#${i + 1}`, label, action, resource: resource as string })));
  }));
}

/** Grants that no allowed request used: through their own statement, for a matching action and resource. */
export function unusedGrants(grants: readonly Grant[], outcomes: ReadonlyArray<{ request: IamRequest; verdict: Verdict }>): Grant[] {
  return grants.filter((g) => !outcomes.some(({ request, verdict }) => verdict.allowed && verdict.allowedBy.includes(g.statement)
    && glob(g.action, 'i').test(request.action) && (request.resource === '*' ? g.resource === '*' : glob(g.resource, '').test(request.resource))));
}

/** IAM's wildcards: `*` any run of characters, `?` one. */
function glob(pattern: string, flags: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
}
