// The 'save-report' and 'metrics' steps of one target's run: the report (JSON and its HTML page) to the
// store, its metrics to CloudWatch. Each fails alone; the run goes on.
import { renderHtmlReport } from './core/html-report.js';
import { metricsFor } from './core/metrics.js';
import type { AuditReport } from './core/report.js';
import type { SampleSummary } from './core/history.js';
import type { DeliveryAttempts } from './delivery-steps.js';
import type { MetricSink, ReportStore, StoredReport } from './publish/ports.js';

export interface ReportDelivery {
  readonly store: ReportStore;
  readonly metrics: MetricSink;
}

/** Where the report was stored, or undefined when saving it failed. */
export async function deliverReport(
  to: ReportDelivery,
  targetName: string,
  report: AuditReport,
  history: readonly SampleSummary[],
  now: () => number,
  deliveries: DeliveryAttempts,
): Promise<StoredReport | undefined> {
  const html = renderHtmlReport(report, { history });
  const stored = await deliveries.attempt('save-report', () => to.store.saveReport(targetName, report, html));
  await deliveries.attempt('metrics', () => to.metrics.publish(metricsFor(report, targetName, now())));
  return stored;
}
