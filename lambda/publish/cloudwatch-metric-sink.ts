// The CloudWatch backend of MetricSink: PutMetricData in batches that stay inside the API's limits
// (1000 metrics and 1 MB per request). One bad datum fails a whole request with a 400, and with it the
// AuditSucceeded heartbeat, so datums CloudWatch would refuse are dropped here, counted and logged.
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum as CwMetricDatum } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum } from '../core/metrics.js';
import type { MetricSink } from './ports.js';
import { consoleWarnLogger, logRetries, withRetry, type RetryOptions, type WarnLogger } from './retry.js';

/** Well under the API's 1000, so a batch also stays far from the size limit with many dimensions. */
export const MAX_DATUMS_PER_REQUEST = 500;
/** Half of the 1 MB request limit: room for the envelope and for any protocol's encoding overhead. */
export const MAX_REQUEST_BYTES = 512 * 1024;
/** CloudWatch accepts at most 30 dimensions on a metric, each value 1-1024 characters. */
const MAX_DIMENSIONS = 30;
const MAX_DIMENSION_VALUE = 1024;

export interface CloudWatchMetricSinkOptions {
  readonly cloudwatch: CloudWatchClient;
  /** e.g. `RedisLeakAuditor` */
  readonly namespace: string;
  /** @default attempts 3, base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** Retries and dropped datums are reported here. @default JSON lines on stderr */
  readonly logger?: WarnLogger;
}

export class CloudWatchMetricSink implements MetricSink {
  private readonly logger: WarnLogger;
  private readonly retry: RetryOptions;

  constructor(private readonly options: CloudWatchMetricSinkOptions) {
    if (options.namespace === '' || options.namespace.startsWith('AWS/')) {
      throw new Error(`the metric namespace must be non-empty and not start with AWS/ (got ${JSON.stringify(options.namespace)})`);
    }
    this.logger = options.logger ?? consoleWarnLogger;
    this.retry = { ...options.retry, onRetry: logRetries(this.logger) };
  }

  async publish(data: readonly MetricDatum[]): Promise<void> {
    const { accepted, dropped } = toCloudWatch(data);
    if (dropped.length > 0) {
      this.logger.warn('metric datums dropped: CloudWatch would refuse them', { dropped: dropped.length, names: [...new Set(dropped)].slice(0, 20) });
    }
    const batches = batch(accepted);
    // Sequential: a handful of requests per run, and a throttled account is not helped by a burst.
    for (const [index, metricData] of batches.entries()) {
      await withRetry(
        `cloudwatch PutMetricData ${this.options.namespace} batch ${index + 1}/${batches.length}`,
        () => this.options.cloudwatch.send(new PutMetricDataCommand({ Namespace: this.options.namespace, MetricData: metricData })),
        this.retry,
      );
    }
  }
}

/** Datums in the SDK's shape, and the names of those CloudWatch would refuse. */
export function toCloudWatch(data: readonly MetricDatum[]): { accepted: CwMetricDatum[]; dropped: string[] } {
  const accepted: CwMetricDatum[] = [];
  const dropped: string[] = [];
  for (const datum of data) {
    const dimensions = Object.entries(datum.dimensions);
    const valid = Number.isFinite(datum.value)
      && Number.isFinite(datum.timestampMs)
      && dimensions.length <= MAX_DIMENSIONS
      && dimensions.every(([name, value]) => name !== '' && value !== '' && value.length <= MAX_DIMENSION_VALUE);
    if (!valid) {
      dropped.push(datum.name);
      continue;
    }
    accepted.push({
      MetricName: datum.name,
      Value: datum.value,
      Unit: datum.unit,
      Timestamp: new Date(datum.timestampMs),
      Dimensions: dimensions.map(([Name, Value]) => ({ Name, Value })),
    });
  }
  return { accepted, dropped };
}

/** Consecutive batches, each within MAX_DATUMS_PER_REQUEST datums and about MAX_REQUEST_BYTES. */
export function batch(data: readonly CwMetricDatum[]): CwMetricDatum[][] {
  const batches: CwMetricDatum[][] = [];
  let current: CwMetricDatum[] = [];
  let bytes = 0;
  for (const datum of data) {
    const size = estimatedBytes(datum);
    if (current.length > 0 && (current.length >= MAX_DATUMS_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// The client speaks AWS JSON 1.0, close to JSON.stringify; doubled to cover escaping and other encodings.
function estimatedBytes(datum: CwMetricDatum): number {
  return 2 * Buffer.byteLength(JSON.stringify(datum), 'utf8') + 64;
}
