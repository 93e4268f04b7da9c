// The AWS resources behind the clients' source IPs, looked up between sampling and the assessment so that
// the core groups clients by the Lambda function, ECS service or Auto Scaling group they run in.
import { addressesToResolve } from './core/enrich-report.js';
import type { RawNodeSample } from './core/model.js';
import type { Workload } from './core/workloads.js';

export type SourceResolver = (ips: readonly string[]) => Promise<ReadonlyMap<string, Workload>>;

/** The AWS resources behind the last sample's addresses; an empty map without a resolver, or when it fails. */
export async function resolvedSourcesOf(resolve: SourceResolver | undefined, lastSample: readonly RawNodeSample[] | undefined): Promise<ReadonlyMap<string, Workload>> {
  const ips = resolve === undefined || lastSample === undefined ? [] : addressesToResolve(lastSample);
  if (resolve === undefined || ips.length === 0) return new Map();
  return resolve(ips).catch(() => new Map<string, Workload>());
}
