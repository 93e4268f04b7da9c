// Names instead of IPs: the workload behind a client's VPC address, read from the EC2 network interface
// that owns the address (DescribeNetworkInterfaces). Pure: the adapter fetches the interfaces (and the
// Name tags of instances), this file decides what they mean. Loopback, link-local and unix sockets are
// never looked up: no network interface in a VPC owns them.
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

/** Longest label or detail kept: names come from tags and descriptions anyone with tagging rights can set. */
export const MAX_LABEL_CHARS = 160;
/** Sources looked up per run, largest first. */
export const MAX_LOOKUPS = 200;

const LAMBDA_PREFIX = 'AWS Lambda VPC ENI-';
const UUID_SUFFIX = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ECS_ATTACHMENT = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:attachment\/[0-9a-f-]+$/i;

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
export function workloadOf(eni: NetworkInterfaceView, instanceNames: ReadonlyMap<string, string> = new Map()): Workload {
  const type = eni.InterfaceType ?? 'interface';
  const description = plain(eni.Description ?? '', MAX_LABEL_CHARS);
  const eniId = eni.NetworkInterfaceId;
  const base: Record<string, string> = eniId ? { networkInterfaceId: eniId } : {};
  const tag = (key: string) => eni.TagSet?.find((t) => t.Key === key)?.Value;

  if (type === 'lambda' || description.startsWith(LAMBDA_PREFIX)) {
    const name = description.startsWith(LAMBDA_PREFIX) ? description.slice(LAMBDA_PREFIX.length).replace(UUID_SUFFIX, '') : '';
    // A Hyperplane ENI is shared by the functions with the same subnets and security groups; it is named after the first.
    return make('lambda', name ? `Lambda function ${name}` : 'Lambda function', name || undefined, { ...base, note: 'shared by functions with the same subnets and security groups' });
  }
  if (ECS_ATTACHMENT.test(eni.Description ?? '')) {
    const service = tag('aws:ecs:serviceName');
    const cluster = tag('aws:ecs:clusterName');
    const label = service ? `ECS service ${service}${cluster ? ` (cluster ${cluster})` : ''}` : `ECS task${cluster ? ` in cluster ${cluster}` : ''}`;
    return make('ecs-task', label, eni.Description, { ...base, ...(service ? { service } : {}), ...(cluster ? { cluster } : {}) });
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
    const name = instanceNames.get(instanceId);
    // The VPC CNI gives pods secondary addresses of their node's interfaces ("aws-K8S-i-...").
    const pods: Record<string, string> = description.startsWith('aws-K8S-') ? { note: 'EKS node: the address may belong to a pod on it' } : {};
    return make('ec2-instance', name ? `EC2 instance ${plain(name, 100)} (${instanceId})` : `EC2 instance ${instanceId}`, instanceId, { ...base, ...pods });
  }
  return make('other', description || `network interface ${eniId ?? ''} (${type})`.trim(), eniId, { ...base, interfaceType: type });
}

/** The instance ids whose Name tag would improve a label. */
export function instanceIdsOf(enis: readonly NetworkInterfaceView[]): string[] {
  return [...new Set(enis.filter((eni) => workloadOf(eni).kind === 'ec2-instance').map((eni) => eni.Attachment?.InstanceId ?? ''))].filter((id) => id !== '');
}

/** The workload of each wanted address that one of the interfaces owns (lookup addresses as keys). */
export function workloadsByAddress(enis: readonly NetworkInterfaceView[], wanted: ReadonlySet<string>, instanceNames: ReadonlyMap<string, string> = new Map()): Map<string, Workload> {
  const out = new Map<string, Workload>();
  for (const eni of enis) {
    const addresses = [
      eni.PrivateIpAddress,
      ...(eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
      ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address?.toLowerCase()),
    ].filter((a): a is string => a !== undefined && wanted.has(a));
    if (addresses.length === 0) continue;
    const workload = workloadOf(eni, instanceNames);
    for (const address of addresses) out.set(address, workload);
  }
  return out;
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
