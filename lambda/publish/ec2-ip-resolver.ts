// The EC2 backend of IpResolver: the network interface that owns each source IP (DescribeNetworkInterfaces
// filtered by address, 200 values per filter, paginated), then the Name and Auto Scaling group tags of the
// instances found (DescribeInstances, 200 ids a request), and the ECS tasks behind task interfaces whose
// tags do not name their service (ecs-task-resolver.ts), so that leaks group by deployment. One instance per
// handler invocation: answers are cached for the run, so targets sharing clients cost one lookup. Bounded:
// at most MAX_LOOKUPS addresses per run. A failure is logged and answered with what was resolved so far
// (an ECS failure leaves the EC2 answer): names are a nicety, never a reason for a run to fail.
import type { EC2Client, Filter, NetworkInterface } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ec2Sdk } from './ec2-sdk.js';
import { EcsTaskResolver } from './ecs-task-resolver.js';
import { ecsLookupsOf, instanceIdsOf, isIpv4, lookupAddressOf, MAX_LOOKUPS, workloadsByAddress, type InstanceView, type Workload } from '../core/workloads.js';
import type { IpResolver } from './ports.js';
import { collectPages, consoleWarnLogger, logRetries, type RetryOptions, type WarnLogger } from './retry.js';
import { errorText } from '../core/errors.js';

/** EC2 accepts at most 200 values in one filter, and 200 instance ids in one DescribeInstances. */
export const MAX_FILTER_VALUES = 200;
/** Pages followed per request: a filter by address matches one interface per address, so this is slack. */
const MAX_PAGES = 10;

export interface Ec2IpResolverOptions {
  /** The client, or how to get it: a function lets the EC2 SDK load only when an address is looked up. */
  readonly ec2: EC2Client | (() => EC2Client);
  /** The ECS client, or how to get it: tasks are grouped into their service only with it. @default none: task interfaces are named from their tags */
  readonly ecs?: ECSClient | (() => ECSClient);
  /** Clusters searched and tasks described per run. @default 20 clusters, 2,000 tasks (ecs-task-resolver.ts) */
  readonly ecsBounds?: { readonly maxClusters?: number; readonly maxTasks?: number };
  /** @default attempts 2 (names are a nicety: an unreachable EC2 endpoint costs two connect timeouts, once a run), base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** @default JSON lines on stderr */
  readonly logger?: WarnLogger;
  /** Addresses per run. @default MAX_LOOKUPS (1000) */
  readonly maxLookups?: number;
  /** Which group keys may be looked up, as lookup addresses (null: never). @default lookupAddressOf: no loopback, link-local or unix socket */
  readonly lookupAddress?: (ip: string) => string | null;
}

export class Ec2IpResolver implements IpResolver {
  private client(): EC2Client {
    const { ec2 } = this.options;
    return typeof ec2 === 'function' ? ec2() : ec2;
  }

  private readonly logger: WarnLogger;
  private readonly retry: RetryOptions;
  private readonly lookupAddress: (ip: string) => string | null;
  /** Lookup address -> workload, or null when EC2 knows no interface with it. */
  private readonly cache = new Map<string, Workload | null>();
  private failed = false;
  private readonly ecsTasks: EcsTaskResolver | null;
  /** One lookup at a time: targets audited in parallel reuse what the previous lookup found. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: Ec2IpResolverOptions) {
    this.logger = options.logger ?? consoleWarnLogger;
    this.retry = { attempts: 2, ...options.retry, onRetry: logRetries(this.logger) };
    this.lookupAddress = options.lookupAddress ?? lookupAddressOf;
    this.ecsTasks = options.ecs ? new EcsTaskResolver({ ecs: options.ecs, retry: this.retry, logger: this.logger, ...options.ecsBounds }) : null;
  }

  async resolve(ips: readonly string[]): Promise<ReadonlyMap<string, Workload>> {
    const addressOf = new Map<string, string>();
    for (const ip of ips) {
      const address = this.lookupAddress(ip);
      if (address !== null) addressOf.set(ip, address);
    }
    const turn = this.queue.then(() => this.lookUpMissing([...new Set(addressOf.values())]));
    this.queue = turn;
    await turn;
    const out = new Map<string, Workload>();
    for (const [ip, address] of addressOf) {
      const workload = this.cache.get(address);
      if (workload) out.set(ip, workload);
    }
    return out;
  }

  private async lookUpMissing(addresses: readonly string[]): Promise<void> {
    const budget = Math.max(0, (this.options.maxLookups ?? MAX_LOOKUPS) - this.cache.size);
    const missing = addresses.filter((a) => !this.cache.has(a)).slice(0, budget);
    // After a failure (AccessDenied, throttled for good) the rest of the run does not try again.
    if (missing.length > 0 && !this.failed) await this.lookUp(missing);
  }

  /** Never throws: a failure is logged and the addresses stay unresolved. */
  private async lookUp(addresses: readonly string[]): Promise<void> {
    try {
      const enis: NetworkInterface[] = [];
      const v4 = addresses.filter(isIpv4);
      const v6 = addresses.filter((a) => !isIpv4(a));
      for (const values of chunks(v4, MAX_FILTER_VALUES)) enis.push(...await this.interfaces({ Name: 'addresses.private-ip-address', Values: values }));
      for (const values of chunks(v6, MAX_FILTER_VALUES)) enis.push(...await this.interfaces({ Name: 'ipv6-addresses.ipv6-address', Values: values }));
      const instances = await this.instances(instanceIdsOf(enis));
      // Never throws: without ECS's answer the task interfaces keep what their tags say.
      const ecsTasks = this.ecsTasks ? await this.ecsTasks.resolve(ecsLookupsOf(enis)) : new Map();
      const found = workloadsByAddress(enis, new Set(addresses), { instances, ecsTasks });
      for (const address of addresses) this.cache.set(address, found.get(address) ?? null);
    } catch (error) {
      this.failed = true;
      this.logger.warn('source IPs not resolved: the report names IPs only', { addresses: addresses.length, error: errorText(error, { maxChars: 300 }) });
    }
  }

  private async interfaces(filter: Filter): Promise<NetworkInterface[]> {
    return collectPages(`ec2 DescribeNetworkInterfaces ${filter.Name} (${filter.Values?.length ?? 0} values)`, MAX_PAGES, async (token) => {
      const page = await this.client().send(new (ec2Sdk().DescribeNetworkInterfacesCommand)({
        Filters: [filter],
        // Interfaces of AWS-managed resources are hidden by default in some accounts.
        IncludeManagedResources: true,
        MaxResults: 1000,
        ...(token ? { NextToken: token } : {}),
      }));
      return { items: page.NetworkInterfaces ?? [], next: page.NextToken };
    }, this.retry);
  }

  /** Instance id -> its Name and aws:autoscaling:groupName tags, for the instances that have either. */
  private async instances(instanceIds: readonly string[]): Promise<Map<string, InstanceView>> {
    const found = new Map<string, InstanceView>();
    for (const ids of chunks(instanceIds, MAX_FILTER_VALUES)) {
      const instances = await collectPages(`ec2 DescribeInstances (${ids.length} ids)`, MAX_PAGES, async (token) => {
        const page = await this.client().send(new (ec2Sdk().DescribeInstancesCommand)({
          Filters: [{ Name: 'instance-id', Values: [...ids] }],
          MaxResults: 1000,
          ...(token ? { NextToken: token } : {}),
        }));
        return { items: (page.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: page.NextToken };
      }, this.retry);
      for (const instance of instances) {
        const tag = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;
        const name = tag('Name');
        const autoScalingGroup = tag('aws:autoscaling:groupName');
        if (instance.InstanceId && (name || autoScalingGroup)) found.set(instance.InstanceId, { ...(name ? { name } : {}), ...(autoScalingGroup ? { autoScalingGroup } : {}) });
      }
    }
    return found;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
