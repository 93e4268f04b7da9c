// The delivery ports of the Lambda, named after what they do. One adapter file per backend; the handler
// only sees these interfaces, and tests swap the SDK underneath with aws-sdk-client-mock.
import type { MetricDatum } from '../core/metrics.js';
import type { NotificationMessage } from '../core/notification-text.js';
import type { AuditReport } from '../core/report.js';
import type { AuditState } from '../core/state.js';

/** Where a stored report can be opened by a person. */
export interface StoredReport {
  /** `reports/<target>/<yyyy>/<mm>/<dd>/<iso>.json` */
  readonly key: string;
  /** `reports/<target>/latest.json` */
  readonly latestKey: string;
  /** S3 console page of the object (needs a console login with read access). */
  readonly consoleUrl: string;
  /** Presigned GET URL, or null when it could not be signed. */
  readonly presignedUrl: string | null;
  /** When the presigned URL really stops working: the earlier of its expiry and the signing credentials' expiry. */
  readonly presignedExpiresAt: string | null;
}

export interface ReportStore {
  /** The state text of `state/<target>.json`, or null when there is none yet. */
  loadState(target: string): Promise<string | null>;
  saveState(target: string, state: AuditState): Promise<void>;
  saveReport(target: string, report: AuditReport): Promise<StoredReport>;
}

export interface MetricSink {
  /** Publishes every datum, in as few calls as the API's limits allow. */
  publish(data: readonly MetricDatum[]): Promise<void>;
}

export interface Notifier {
  publish(message: NotificationMessage): Promise<void>;
}
