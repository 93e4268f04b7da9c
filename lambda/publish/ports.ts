// The delivery ports of the Lambda, named after what they do. One adapter file per backend; the handler
// only sees these interfaces, and tests swap the SDK underneath with aws-sdk-client-mock.
import type { MetricDatum } from '../core/metrics.js';
import type { NotificationMessage } from '../core/notification-text.js';
import type { AuditReport } from '../core/report.js';
import type { ServiceMetricSeries } from '../core/service-metrics.js';
import type { AuditState } from '../core/state.js';
import type { Workload } from '../core/workloads.js';

/** Where a stored report can be opened by a person. */
export interface StoredReport {
  /** `reports/<target>/<yyyy>/<mm>/<dd>/<iso>.json` */
  readonly key: string;
  /** `reports/<target>/latest.json` */
  readonly latestKey: string;
  /** `<key>.html` beside the JSON, and `latest.html`: the page people open. Null when no HTML was stored. */
  readonly htmlKey: string | null;
  /** S3 console page of the HTML report when stored, else of the JSON (needs a console login with read access). */
  readonly consoleUrl: string;
  /** S3 console page of the JSON report, for machines. */
  readonly jsonConsoleUrl: string;
  /** Presigned GET URL of the HTML report (else the JSON), or null when it could not be signed. */
  readonly presignedUrl: string | null;
  /** When the presigned URL really stops working: the earlier of its expiry and the signing credentials' expiry. */
  readonly presignedExpiresAt: string | null;
}

export interface ReportStore {
  /** The state text of `state/<target>.json`, or null when there is none yet. */
  loadState(target: string): Promise<string | null>;
  saveState(target: string, state: AuditState): Promise<void>;
  /** Stores the JSON report, and the HTML rendering of it when given. */
  saveReport(target: string, report: AuditReport, html?: string): Promise<StoredReport>;
}

export interface MetricSink {
  /** Publishes every datum, in as few calls as the API's limits allow. */
  publish(data: readonly MetricDatum[]): Promise<void>;
}

export interface Notifier {
  publish(message: NotificationMessage): Promise<void>;
}

/** Source IP -> the workload behind it. IPs it cannot name are absent from the answer, never an error. */
export interface IpResolver {
  resolve(ips: readonly string[]): Promise<ReadonlyMap<string, Workload>>;
}

/**
 * A cache's own connection metrics (ElastiCache Serverless refuses CLIENT LIST): CurrConnections (Maximum)
 * and NewConnections (Sum) per minute over the `windowMinutes` whole minutes before `endMs` (floored to the
 * minute). Throws when they cannot be read; an empty series is an answer, not an error.
 */
export interface ServiceMetricsSource {
  read(cacheName: string, endMs: number, windowMinutes: number): Promise<ServiceMetricSeries>;
}
