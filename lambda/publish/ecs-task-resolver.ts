// The ECS part of source-IP resolution. An awsvpc task's network interface names only its task attachment
// (and, in some accounts, its service and cluster in tags): to group a fleet of tasks by service, the task
// behind each interface is found through ECS itself: ListClusters (only when an interface's cluster tag is
// missing), ListTasks (RUNNING, paginated) and DescribeTasks (100 tasks a call, the API's limit), matching
// the tasks' ElasticNetworkInterface attachments to the interfaces (lambda/core/workloads.ts decides).
// Bounded per run: clusters searched, task ARNs listed and tasks described (each listing once a run); a
// search stops as soon as every wanted interface is matched. Never throws: a failure is logged and those
// addresses stay plain ECS tasks.
import type { ECSClient, Task } from '@aws-sdk/client-ecs';
import { errorText } from '../core/errors.js';
import { ecsTaskOf, indexEcsTasks, type EcsLookup, type EcsTaskIndex } from '../core/workloads.js';
import { ecsSdk } from './ecs-sdk.js';
import { collectPages, withRetry, type RetryOptions, type WarnLogger } from './retry.js';

/** DescribeTasks accepts at most 100 tasks a call; ListTasks and ListClusters answer at most 100 a page. */
export const ECS_PAGE_SIZE = 100;
/** Clusters searched per run, tagged ones first. */
export const MAX_ECS_CLUSTERS = 20;
/** Task ARNs listed, and tasks described, per run, all clusters together: 20 ListTasks pages and 20 DescribeTasks calls at most. */
export const MAX_ECS_TASKS = 2_000;

export interface EcsTaskResolverOptions {
  /** The client, or how to get it: a function lets the ECS SDK load only when a task is looked up. */
  readonly ecs: ECSClient | (() => ECSClient);
  readonly retry: RetryOptions;
  readonly logger: WarnLogger;
  /** @default MAX_ECS_CLUSTERS (20) */
  readonly maxClusters?: number;
  /** @default MAX_ECS_TASKS (2,000) */
  readonly maxTasks?: number;
}

export class EcsTaskResolver {
  /** Task ARN -> task, every task described this run: later lookups of the run match against them first. */
  private readonly described = new Map<string, Task>();
  private clusterArns: Promise<string[]> | undefined;
  /** Cluster -> its running task ARNs, listed once a run. */
  private readonly taskArns = new Map<string, Promise<string[]>>();
  /** ListTasks calls made (retries included) and tasks asked of DescribeTasks: the run's budgets. */
  private listCalls = 0;
  private requestedTasks = 0;
  private failed = false;

  constructor(private readonly options: EcsTaskResolverOptions) {}

  /** The tasks found for the wanted interfaces (and every other task described this run), indexed. Never throws. */
  async resolve(lookups: readonly EcsLookup[]): Promise<EcsTaskIndex> {
    // After a failure (AccessDenied, throttled for good) the rest of the run does not try again.
    if (lookups.length > 0 && !this.failed) {
      try {
        await this.search(lookups);
      } catch (error) {
        this.failed = true;
        this.options.logger.warn('ECS tasks not resolved: their addresses are named as ECS tasks only', {
          interfaces: lookups.length, error: errorText(error, { maxChars: 300 }),
        });
      }
    }
    return indexEcsTasks([...this.described.values()]);
  }

  private async search(lookups: readonly EcsLookup[]): Promise<void> {
    let pending = this.unmatched(lookups);
    if (pending.length === 0) return;
    const tagged = pending.map((l) => l.cluster).filter((c): c is string => c !== undefined);
    const listed = pending.some((l) => l.cluster === undefined) ? await this.listClusters() : [];
    const byName = new Map<string, string>();
    for (const cluster of [...tagged, ...listed]) if (!byName.has(clusterName(cluster))) byName.set(clusterName(cluster), cluster);
    const clusters = [...byName.values()].slice(0, this.maxClusters);
    for (const cluster of clusters) {
      const name = clusterName(cluster);
      const inCluster = (l: EcsLookup) => l.cluster === undefined || l.cluster === name;
      if (!pending.some(inCluster)) continue;
      const arns = (await this.listTasks(cluster)).filter((arn) => !this.described.has(arn));
      for (let i = 0; i < arns.length && pending.some(inCluster); i += ECS_PAGE_SIZE) {
        const budget = this.maxTasks - this.requestedTasks;
        if (budget <= 0) return;
        await this.describe(cluster, arns.slice(i, i + Math.min(ECS_PAGE_SIZE, budget)));
        pending = this.unmatched(pending);
      }
      if (pending.length === 0) return;
    }
  }

  private unmatched(lookups: readonly EcsLookup[]): EcsLookup[] {
    const index = indexEcsTasks([...this.described.values()]);
    return lookups.filter((l) => ecsTaskOf(l, index) === undefined);
  }

  /** Cluster ARNs of the region, listed once a run. */
  private listClusters(): Promise<string[]> {
    this.clusterArns ??= collectPages('ecs ListClusters', Math.ceil(this.maxClusters / ECS_PAGE_SIZE), async (token) => {
      const page = await this.client().send(new (ecsSdk().ListClustersCommand)({ maxResults: ECS_PAGE_SIZE, ...(token ? { nextToken: token } : {}) }));
      return { items: page.clusterArns ?? [], next: page.nextToken };
    }, this.options.retry);
    return this.clusterArns;
  }

  /** The cluster's running task ARNs, as many pages as the run's listing budget still allows. */
  private listTasks(cluster: string): Promise<string[]> {
    const key = clusterName(cluster);
    const cached = this.taskArns.get(key);
    if (cached) return cached;
    const pages = Math.ceil(this.maxTasks / ECS_PAGE_SIZE) - this.listCalls;
    if (pages <= 0) return Promise.resolve([]);
    const listing = collectPages(`ecs ListTasks ${key}`, pages, async (token) => {
      this.listCalls += 1;
      const page = await this.client().send(new (ecsSdk().ListTasksCommand)({
        cluster, desiredStatus: 'RUNNING', maxResults: ECS_PAGE_SIZE, ...(token ? { nextToken: token } : {}),
      }));
      return { items: page.taskArns ?? [], next: page.nextToken };
    }, this.options.retry);
    this.taskArns.set(key, listing);
    return listing;
  }

  private async describe(cluster: string, tasks: readonly string[]): Promise<void> {
    this.requestedTasks += tasks.length;
    const page = await withRetry(`ecs DescribeTasks ${clusterName(cluster)} (${tasks.length} tasks)`,
      () => this.client().send(new (ecsSdk().DescribeTasksCommand)({ cluster, tasks: [...tasks] })), this.options.retry);
    for (const task of page.tasks ?? []) {
      if (task.taskArn) this.described.set(task.taskArn, task);
    }
  }

  private client(): ECSClient {
    const { ecs } = this.options;
    return typeof ecs === 'function' ? ecs() : ecs;
  }

  private get maxClusters(): number {
    return this.options.maxClusters ?? MAX_ECS_CLUSTERS;
  }

  private get maxTasks(): number {
    return this.options.maxTasks ?? MAX_ECS_TASKS;
  }
}

/** A cluster's name, from its name or its ARN (`arn:aws:ecs:eu-west-1:123456789012:cluster/prod` -> `prod`). */
function clusterName(cluster: string): string {
  return cluster.split('/').pop() ?? cluster;
}
