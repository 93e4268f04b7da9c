// Names instead of IPs: the workload behind a client's VPC address, read from the EC2 network interface
// that owns the address (DescribeNetworkInterfaces). Pure: the adapter fetches the interfaces, the tags of
// instances and the ECS tasks behind task interfaces; this file decides what they mean. Leaks are grouped by
// deployment, so a task is named after its ECS service (or task family) and an instance after its Auto
// Scaling group when these are known. Loopback, link-local and unix sockets are never looked up: no network
// interface in a VPC owns them.
import { plain } from './text-safety.js';

export const WORKLOAD_KINDS = ['lambda', 'ecs-task', 'ec2-instance', 'elasticache', 'nat-gateway', 'load-balancer', 'vpc-endpoint', 'other'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload {
  readonly kind: WorkloadKind;
  /** What a person reads instead of the IP: `Lambda function orders-api`, `EC2 instance web-1 (i-0abc...)`. */
  readonly label: string;
  /** The resource's own id: function name, task attachment ARN, instance id, NAT gateway id, ... */
  readonly id?: string;
  /** A few more facts (network interface id, ECS cluster, ...). */
  readonly details?: Readonly<Record<string, string>>;
}

/** The fields of an EC2 NetworkInterface this file reads, as plain data (the SDK's shape, not its types). */
export interface NetworkInterfaceView {
  readonly NetworkInterfaceId?: string | undefined;
  readonly InterfaceType?: string | undefined;
  readonly Description?: string | undefined;
  readonly RequesterId?: string | undefined;
  readonly RequesterManaged?: boolean | undefined;
  readonly Attachment?: { readonly InstanceId?: string | undefined } | undefined;
  readonly TagSet?: ReadonlyArray<{ readonly Key?: string | undefined; readonly Value?: string | undefined }> | undefined;
  readonly PrivateIpAddress?: string | undefined;
  readonly PrivateIpAddresses?: ReadonlyArray<{ readonly PrivateIpAddress?: string | undefined }> | undefined;
  readonly Ipv6Addresses?: ReadonlyArray<{ readonly Ipv6Address?: string | undefined }> | undefined;
}

/** The fields of an ECS Task this file reads (DescribeTasks), as plain data. */
export interface EcsTaskView {
  readonly taskArn?: string | undefined;
  readonly clusterArn?: string | undefined;
  /** `service:NAME` for a service's task, `family:NAME` for a standalone one (RunTask). */
  readonly group?: string | undefined;
  readonly taskDefinitionArn?: string | undefined;
  readonly attachments?: ReadonlyArray<{
    readonly id?: string | undefined;
    readonly type?: string | undefined;
    readonly details?: ReadonlyArray<{ readonly name?: string | undefined; readonly value?: string | undefined }> | undefined;
  }> | undefined;
}

/** What DescribeInstances said about an instance: its Name and aws:autoscaling:groupName tags. */
export interface InstanceView {
  readonly name?: string | undefined;
  readonly autoScalingGroup?: string | undefined;
}

/** ECS tasks by the keys a task interface can be matched on (see indexEcsTasks). */
export type EcsTaskIndex = ReadonlyMap<string, EcsTaskView>;

/** What the adapter learnt beyond the interfaces themselves. */
export interface WorkloadFacts {
  /** Instance id -> its tags that name it. */
  readonly instances?: ReadonlyMap<string, InstanceView>;
  readonly ecsTasks?: EcsTaskIndex;
}

/** What it takes to find the task behind an ECS task interface whose tags do not name its service. */
export interface EcsLookup {
  /** The UUID at the end of the interface's description, the task attachment's id. */
  readonly attachmentId: string;
  readonly networkInterfaceId?: string;
  readonly addresses: readonly string[];
  /** From the interface's aws:ecs:clusterName tag: only that cluster is searched. Absent: every cluster. */
  readonly cluster?: string;
}

/** Longest label or detail kept: names come from tags and descriptions anyone with tagging rights can set. */
export const MAX_LABEL_CHARS = 160;
/**
 * Source addresses looked up per run, most connections first: enough for a fleet of hundreds of pods or tasks
 * (a workload is only grouped as far as its addresses were resolved), five DescribeNetworkInterfaces requests
 * of 200 addresses at most.
 */
export const MAX_LOOKUPS = 1000;

const LAMBDA_PREFIX = 'AWS Lambda VPC ENI-';
const UUID_SUFFIX = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ECS_ATTACHMENT = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:attachment\/([0-9a-f-]+)$/i;
const ENI_ATTACHMENT_TYPES = new Set(['ElasticNetworkInterface', 'eni']);

/**
 * The address to look up for a group key, or null when it can never belong to a VPC network interface:
 * unix sockets, loopback, link-local, unspecified, or not an IP at all. IPv4-mapped IPv6 (`::ffff:10.0.0.5`)
 * is looked up as IPv4.
 */
export function lookupAddressOf(sourceKey: string): string | null {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(sourceKey);
  const address = mapped?.[1] ?? sourceKey;
  if (isIpv4(address)) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    if (a === 127 || a === 0 || (a === 169 && b === 254)) return null;
    return address;
  }
  if (isIpv6(address)) {
    const lower = address.toLowerCase();
    if (lower === '::1' || lower === '::' || /^fe[89ab]/.test(lower)) return null;
    return lower;
  }
  return null;
}

export function isIpv4(text: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(text) && text.split('.').every((part) => Number(part) <= 255);
}

export function isIpv6(text: string): boolean {
  return text.includes(':') && /^[0-9a-f:.]+$/i.test(text) && text.length <= 45;
}

/** What one network interface says about the workload that owns it. */
export function workloadOf(eni: NetworkInterfaceView, facts: WorkloadFacts = {}): Workload {
  const type = eni.InterfaceType ?? 'interface';
  const description = plain(eni.Description ?? '', MAX_LABEL_CHARS);
  const eniId = eni.NetworkInterfaceId;
  const base: Record<string, string> = eniId ? { networkInterfaceId: eniId } : {};

  if (type === 'lambda' || description.startsWith(LAMBDA_PREFIX)) {
    const name = description.startsWith(LAMBDA_PREFIX) ? description.slice(LAMBDA_PREFIX.length).replace(UUID_SUFFIX, '') : '';
    // A Hyperplane ENI is shared by the functions with the same subnets and security groups; it is named after the first.
    return make('lambda', name ? `Lambda function ${name}` : 'Lambda function', name || undefined, { ...base, note: 'shared by functions with the same subnets and security groups' });
  }
  const ecs = ecsLookupOf(eni);
  if (ecs) {
    const task = facts.ecsTasks ? ecsTaskOf(ecs, facts.ecsTasks) : undefined;
    const group = /^(service|family):(.+)$/.exec(task?.group ?? '');
    const service = tagOf(eni, 'aws:ecs:serviceName') ?? (group?.[1] === 'service' ? group[2] : undefined);
    const cluster = lastPart(task?.clusterArn) ?? ecs.cluster;
    const taskFamily = (group?.[1] === 'family' ? group[2] : undefined) ?? /:task-definition\/([^:/]+)(?::\d+)?$/.exec(task?.taskDefinitionArn ?? '')?.[1];
    const inCluster = cluster ? ` (cluster ${cluster})` : '';
    const label = service ? `ECS service ${service}${inCluster}` : taskFamily ? `ECS task of ${taskFamily}${inCluster}` : `ECS task${cluster ? ` in cluster ${cluster}` : ''}`;
    return make('ecs-task', label, eni.Description, { ...base, ...defined({ cluster, service, taskFamily, taskArn: task?.taskArn }) });
  }
  if (type === 'natGateway') {
    const id = /nat-[0-9a-f]+/.exec(description)?.[0];
    return make('nat-gateway', `NAT gateway ${id ?? ''}`.trim(), id, base);
  }
  if (type === 'load_balancer' || type === 'network_load_balancer' || type === 'gateway_load_balancer') {
    const id = /^ELB (.+)$/.exec(description)?.[1];
    return make('load-balancer', `Load balancer ${id ?? description}`.trim(), id, base);
  }
  if (type === 'vpc_endpoint' || type === 'gateway_load_balancer_endpoint') {
    const id = /vpce-[0-9a-f]+/.exec(description)?.[0];
    return make('vpc-endpoint', `VPC endpoint ${id ?? ''}`.trim(), id, base);
  }
  if (description.startsWith('ElastiCache ') || eni.RequesterId === 'amazon-elasticache') {
    const node = description.startsWith('ElastiCache ') ? description.slice('ElastiCache '.length) : undefined;
    return make('elasticache', `ElastiCache ${node ?? 'node'}`, node, base);
  }
  const instanceId = eni.Attachment?.InstanceId;
  if (instanceId) {
    const { name, autoScalingGroup } = facts.instances?.get(instanceId) ?? {};
    // The VPC CNI gives pods secondary addresses of their node's interfaces ("aws-K8S-i-...").
    const pods: Record<string, string> = description.startsWith('aws-K8S-') ? { note: 'EKS node: the address may belong to a pod on it' } : {};
    const label = `${name ? `EC2 instance ${plain(name, 100)} (${instanceId})` : `EC2 instance ${instanceId}`}${autoScalingGroup ? ` in Auto Scaling group ${autoScalingGroup}` : ''}`;
    return make('ec2-instance', label, instanceId, { ...base, ...defined({ autoScalingGroup }), ...pods });
  }
  return make('other', description || `network interface ${eniId ?? ''} (${type})`.trim(), eniId, { ...base, interfaceType: type });
}

/** The instance ids whose tags (Name, Auto Scaling group) would improve a label. */
export function instanceIdsOf(enis: readonly NetworkInterfaceView[]): string[] {
  return [...new Set(enis.filter((eni) => workloadOf(eni).kind === 'ec2-instance').map((eni) => eni.Attachment?.InstanceId ?? ''))].filter((id) => id !== '');
}

/** The workload of each wanted address that one of the interfaces owns (lookup addresses as keys). */
export function workloadsByAddress(enis: readonly NetworkInterfaceView[], wanted: ReadonlySet<string>, facts: WorkloadFacts = {}): Map<string, Workload> {
  const out = new Map<string, Workload>();
  for (const eni of enis) {
    const addresses = addressesOf(eni).filter((a) => wanted.has(a));
    if (addresses.length === 0) continue;
    const workload = workloadOf(eni, facts);
    for (const address of addresses) out.set(address, workload);
  }
  return out;
}

/** The ECS task interfaces whose service their tags do not name: the ones worth a DescribeTasks. */
export function ecsLookupsOf(enis: readonly NetworkInterfaceView[]): EcsLookup[] {
  return enis.filter((eni) => !tagOf(eni, 'aws:ecs:serviceName')).map(ecsLookupOf).filter((l): l is EcsLookup => l !== undefined);
}

function ecsLookupOf(eni: NetworkInterfaceView): EcsLookup | undefined {
  const attachmentId = ECS_ATTACHMENT.exec(eni.Description ?? '')?.[1]?.toLowerCase();
  if (!attachmentId) return undefined;
  return { attachmentId, addresses: addressesOf(eni), ...defined({ networkInterfaceId: eni.NetworkInterfaceId, cluster: tagOf(eni, 'aws:ecs:clusterName') }) };
}

/**
 * Tasks by what their interface attachments (type ElasticNetworkInterface) can be matched on: the attachment
 * id (the interface's description ends with it), the interface id, the private address.
 */
export function indexEcsTasks(tasks: readonly EcsTaskView[]): Map<string, EcsTaskView> {
  const index = new Map<string, EcsTaskView>();
  for (const task of tasks) {
    for (const attachment of task.attachments ?? []) {
      if (!ENI_ATTACHMENT_TYPES.has(attachment.type ?? '')) continue;
      const detail = (name: string) => attachment.details?.find((d) => d.name === name)?.value;
      if (attachment.id) index.set(`attachment:${attachment.id.toLowerCase()}`, task);
      const eniId = detail('networkInterfaceId');
      if (eniId) index.set(`eni:${eniId}`, task);
      const ip = detail('privateIPv4Address');
      if (ip) index.set(`ip:${ip}`, task);
    }
  }
  return index;
}

/** The task behind an ECS task interface, if the index has it. */
export function ecsTaskOf(lookup: EcsLookup, index: EcsTaskIndex): EcsTaskView | undefined {
  return index.get(`attachment:${lookup.attachmentId}`)
    ?? (lookup.networkInterfaceId ? index.get(`eni:${lookup.networkInterfaceId}`) : undefined)
    ?? lookup.addresses.map((a) => index.get(`ip:${a}`)).find((t) => t !== undefined);
}

function tagOf(eni: NetworkInterfaceView, key: string): string | undefined {
  return eni.TagSet?.find((t) => t.Key === key)?.Value;
}

function addressesOf(eni: NetworkInterfaceView): string[] {
  return [
    eni.PrivateIpAddress,
    ...(eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
    ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address?.toLowerCase()),
  ].filter((a): a is string => a !== undefined);
}

/** The last part of an ARN's resource (`arn:...:cluster/prod` -> `prod`). */
function lastPart(arn: string | undefined): string | undefined {
  return arn?.split('/').pop() || undefined;
}

function defined(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

function make(kind: WorkloadKind, label: string, id: string | undefined, details: Record<string, string>): Workload {
  const cleanDetails = Object.fromEntries(Object.entries(details).map(([k, v]) => [k, plain(v, MAX_LABEL_CHARS)]));
  return {
    kind,
    label: plain(label, MAX_LABEL_CHARS),
    ...(id ? { id: plain(id, MAX_LABEL_CHARS) } : {}),
    ...(Object.keys(cleanDetails).length > 0 ? { details: cleanDetails } : {}),
  };
}
