// How long one real audit takes, end to end, for the cost estimate: `runAudit` (lambda/run-audit.ts) as the CLI
// calls it (cli/main.ts: one sample, the default policy, the CLI's default timeouts), timed with a wall clock
// around the call: connect, INFO, listing, CONFIG GET, QUIT and the analysis. Two kinds, alternating: a first
// run (no state) and a steady run (the state of the run before it, as a scheduled Lambda has after its first
// run); the cost estimate bills the steady one, and the first one is reported beside it.
// report.auditor.durationMs is kept too; it stops before the analysis (assessAudit), so it is the smaller one.
import { defaultPolicy } from '../lambda/core/model.js';
import type { AuditState } from '../lambda/core/state.js';
import { runAudit } from '../lambda/run-audit.js';
import { parseTargetUrl } from '../lambda/redis/target-url.js';
import { AUDITOR_TIMEOUTS } from './live-methods.js';
import { spread, type Spread } from './live-tables.js';
import type { ProbeWindow, Prober } from './prober-process.js';

export interface AuditRun {
  /** Wall clock around runAudit, ms. */
  readonly wallMs: number;
  /** The report's auditor.durationMs (connect to the end of sampling). */
  readonly reportDurationMs: number;
  readonly method: string;
  readonly clientListCommands: number;
  readonly longestClientListMs: number;
  readonly probe: ProbeWindow;
}

export interface AuditDuration {
  readonly held: number;
  /** Steady runs: with the previous run's state. */
  readonly runs: readonly AuditRun[];
  readonly firstRuns: readonly AuditRun[];
  readonly firstRunWallMs: Spread;
  readonly wallMs: Spread;
  readonly reportDurationMs: Spread;
  readonly delayedOver1ms: Spread;
  readonly proberMaxMs: Spread;
}

export async function measureAuditDuration(url: string, held: number, prober: Prober, repetitions: number): Promise<AuditDuration> {
  const runs: AuditRun[] = [];
  const firstRuns: AuditRun[] = [];
  for (let i = 0; i < repetitions; i += 1) {
    const first = await timedAudit(url, null, prober, `runAudit first #${i}`);
    firstRuns.push(first.run);
    runs.push((await timedAudit(url, first.state, prober, `runAudit steady #${i}`)).run);
  }
  return {
    held, runs, firstRuns,
    firstRunWallMs: spread(firstRuns.map((r) => r.wallMs)),
    wallMs: spread(runs.map((r) => r.wallMs)),
    reportDurationMs: spread(runs.map((r) => r.reportDurationMs)),
    delayedOver1ms: spread(runs.map((r) => r.probe.delayedOver1ms)),
    proberMaxMs: spread(runs.map((r) => r.probe.maxMs)),
  };
}

async function timedAudit(url: string, previousState: AuditState | null, prober: Prober, label: string): Promise<{ run: AuditRun; state: AuditState }> {
  const { result, probe } = await prober.during(label, async () => {
    const started = performance.now();
    const outcome = await runAudit({
      target: parseTargetUrl(url),
      samples: 1,
      intervalMs: 0,
      policy: defaultPolicy,
      previousState,
      ...AUDITOR_TIMEOUTS,
      toolVersion: 'bench',
    });
    return { outcome, wallMs: performance.now() - started };
  });
  if (result.outcome.error !== null) throw new Error(`runAudit failed: ${result.outcome.error.message}`);
  const auditor = result.outcome.report.auditor;
  return {
    state: result.outcome.state,
    run: {
      wallMs: Math.round(result.wallMs * 1000) / 1000, reportDurationMs: auditor.durationMs, method: auditor.method,
      clientListCommands: auditor.clientListCommands, longestClientListMs: auditor.longestClientListMs, probe,
    },
  };
}
