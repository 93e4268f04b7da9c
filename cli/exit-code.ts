// Exit codes (docs/design.md, Contract: the CLI): 0 nothing at or above --fail-on, 1 findings at or above it, 2 could not audit.
import { severityRank } from '../lambda/core/findings/index.js';
import type { AuditReport } from '../lambda/core/report.js';
import type { FailOn } from './args.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_CANNOT_AUDIT = 2;

export function exitCodeFor(report: AuditReport, failOn: FailOn): number {
  const gated = failOn !== 'never' && report.findings.some((f) => severityRank(f.severity) >= severityRank(failOn));
  if (gated) return EXIT_FINDINGS;
  return report.status === 'failed' ? EXIT_CANNOT_AUDIT : EXIT_OK;
}
