// Which workload a client belongs to: the service behind the connection, so that a leak spread over a
// fleet of pods, tasks or functions (each with its own address, each small) is seen as one. Decided per
// client from what the server and AWS say, most specific first:
//   1. the AWS deployment its address resolves to (Lambda function, ECS service or task family, Auto
//      Scaling group), when the Lambda resolved it;
//   2. its client name, normalised so that per-instance suffixes do not split one workload;
//   3. its ACL user, when not `default`;
//   4. the EC2 instance its address resolves to (one host: below a name, which is more specific);
//   5. its client library (`lib-name`, Redis 7.2+ / Valkey);
//   6. its source address.
import type { ClientRecord } from './model.js';
import { plain } from './text-safety.js';
import type { Workload } from './workloads.js';

export const IDENTIFIED_BY = ['aws-resource', 'client-name', 'acl-user', 'client-library', 'source-address', 'address-fleet'] as const;
/** How a workload was identified; `address-fleet` is the target-level group of clients known only by their address. */
export type IdentifiedBy = (typeof IDENTIFIED_BY)[number];

/** What a person reads after the workload's name: `orders-api (client name, 30 addresses)`. */
export const IDENTIFIED_BY_TEXT: Readonly<Record<IdentifiedBy, string>> = {
  'aws-resource': 'AWS resource behind the addresses',
  'client-name': 'client name',
  'acl-user': 'ACL user',
  'client-library': 'client library',
  'source-address': 'source address',
  'address-fleet': 'known only by their addresses',
};

export interface WorkloadIdentity {
  /** Stable across runs (history is kept under it): `name:orders-api`, `ecs-service:prod/orders`, `addr:10.0.1.23`. */
  readonly key: string;
  /** What a person reads: `orders-api`, `ECS service orders (cluster prod)`, `10.0.1.23`. */
  readonly label: string;
  readonly identifiedBy: IdentifiedBy;
}

/** The key of the target-level group of clients known only by their address (history is kept under it). */
export const ADDRESS_FLEET_KEY = 'fleet:addresses';
const MAX_NAME_CHARS = 100;

/**
 * Normalised names by raw name, for one analysis: a fleet's clients share a few names, and the
 * normalisation's patterns need not run once per client. Bounded: past the limit names are normalised
 * every time, nothing more is kept.
 */
export class NameCache {
  private readonly names = new Map<string, string>();
  constructor(private readonly limit = 10_000) {}

  normalised(name: string): string {
    if (name === '') return '';
    const known = this.names.get(name);
    if (known !== undefined) return known;
    const normalised = normaliseClientName(name);
    if (this.names.size < this.limit) this.names.set(name, normalised);
    return normalised;
  }
}

export function workloadIdentity(client: ClientRecord, resolved?: ReadonlyMap<string, Workload>, names?: NameCache): WorkloadIdentity {
  const aws = resolved?.get(client.sourceIp);
  const deployment = aws === undefined ? null : deploymentOf(aws);
  if (deployment !== null) return deployment;
  const name = names === undefined ? normaliseClientName(client.name) : names.normalised(client.name);
  if (name !== '') return { key: `name:${name}`, label: name, identifiedBy: 'client-name' };
  if (client.user !== '' && client.user !== 'default') {
    const user = plain(client.user, MAX_NAME_CHARS);
    return { key: `user:${user}`, label: `ACL user ${user}`, identifiedBy: 'acl-user' };
  }
  if (aws?.kind === 'ec2-instance' && aws.id !== undefined && aws.details?.note === undefined) {
    return { key: `ec2:${aws.id}`, label: aws.label, identifiedBy: 'aws-resource' };
  }
  if (client.libName !== '') {
    // Without the version: an upgrade rolling through a fleet must not split it in two.
    const lib = plain(client.libName, MAX_NAME_CHARS);
    return { key: `lib:${lib}`, label: `${lib} clients`, identifiedBy: 'client-library' };
  }
  return { key: `addr:${client.sourceIp}`, label: client.sourceIp, identifiedBy: 'source-address' };
}

/**
 * The deployment a resolved address belongs to, or null when the resource is not one (an EKS node hosts
 * many workloads' pods; a NAT gateway, load balancer or endpoint forwards for others).
 */
export function deploymentOf(workload: Workload): WorkloadIdentity | null {
  const d = workload.details ?? {};
  switch (workload.kind) {
    case 'lambda':
      return workload.id === undefined ? null : { key: `lambda:${workload.id}`, label: workload.label, identifiedBy: 'aws-resource' };
    case 'ecs-task': {
      const cluster = d.cluster ?? '';
      if (d.service !== undefined) return { key: `ecs-service:${cluster}/${d.service}`, label: `ECS service ${d.service}${cluster ? ` (cluster ${cluster})` : ''}`, identifiedBy: 'aws-resource' };
      if (d.taskFamily !== undefined) return { key: `ecs-family:${cluster}/${d.taskFamily}`, label: `ECS tasks of ${d.taskFamily}${cluster ? ` (cluster ${cluster})` : ''}`, identifiedBy: 'aws-resource' };
      return null;
    }
    case 'ec2-instance':
      return d.autoScalingGroup === undefined || d.note !== undefined
        ? null
        : { key: `asg:${d.autoScalingGroup}`, label: `Auto Scaling group ${d.autoScalingGroup}`, identifiedBy: 'aws-resource' };
    default:
      return null;
  }
}

// Kubernetes' random suffixes use this alphabet (no vowels, no 0, 1, 3): a pod's 5 characters, a
// ReplicaSet's pod-template-hash 6 to 10.
const POD_SUFFIX = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/;
const POD_TEMPLATE_HASH = /^(?=.*\d)[bcdfghjklmnpqrstvwxz2456789]{6,10}$/;
/** Container ids, task ids, commit hashes: hexadecimal with at least one digit. */
const HEX_ID = /^(?=.*\d)[0-9a-f]{6,}$/i;
const NUMBER = /^\d+$/;
const UUID_AT_END = /[-_.:/]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `ip-10-0-1-23`, `ip-10-0-1-23.ec2.internal`, `10.0.1.23`, or a dotted host name after `:` or `/`. */
const HOST_AT_END = /(?:[-_.:/]ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[\w.-]*)?|[-_.:/]\d{1,3}(?:\.\d{1,3}){3}|[:/][\w-]+(?:\.[\w-]+)+)$/i;

/**
 * A client name without what differs between instances of one workload: `orders-api-7f9c8d5b4-x2kq9`,
 * `orders-api-3`, `orders-api@ip-10-0-1-23`, `orders-api:web-01.prod.internal` and
 * `orders-api-3f2b...-uuid` all become `orders-api`. The first word always stays; empty stays empty.
 */
export function normaliseClientName(name: string): string {
  let out = plain(name, 200);
  const at = out.indexOf('@');
  if (at > 0) out = out.slice(0, at); // `celery@worker-7`: name@host
  out = out.replace(UUID_AT_END, '');
  out = out.replace(HOST_AT_END, '');
  for (;;) {
    const match = /^(.+?)[-_.:]([^-_.:]+)$/.exec(out);
    if (match === null) break;
    const [, head = '', last = ''] = match;
    if (!(NUMBER.test(last) || HEX_ID.test(last) || POD_SUFFIX.test(last) || POD_TEMPLATE_HASH.test(last))) break;
    out = head;
  }
  return plain(out, MAX_NAME_CHARS);
}
