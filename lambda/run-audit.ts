// One audit of one target, end to end: connect, take the samples, always close, then let the core
// decide. Shared by the CLI and the Lambda; delivery (terminal, files, S3, CloudWatch, SNS) is theirs.
// The seed's first sample tells a standalone server (a run of one node) from a cluster (cluster-audit.ts);
// both are sampled by the same NodeSampler and assessed by assessRun.
import { runClusterAudit } from './cluster-audit.js';
import { isClusterMode } from './core/cluster-nodes.js';
import type { RawNodeSample } from './core/model.js';
import { NodeSampler } from './node-sampler.js';
import { hostPort } from './redis/target-url.js';
import { assessRun } from './run-assessment.js';
import type { RunAuditOptions, RunAuditResult } from './run-audit-options.js';

export type { RunAuditOptions, RunAuditResult } from './run-audit-options.js';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runAudit(options: RunAuditOptions): Promise<RunAuditResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const sampler = new NodeSampler(options, { now, sleep }, now());
  const seed = sampler.add(hostPort(options.target.host, options.target.port));
  try {
    if (options.preflightError) throw options.preflightError;
    sampler.beforeContact(options.target.display);
    const collector = await sampler.connect(seed, options.target);
    sampler.tell({ kind: 'sample', sample: 1, of: options.samples, node: seed.label });
    const first = await collector.sample(now, options.deadlineAtMs === undefined ? {} : { deadlineAtMs: options.deadlineAtMs });
    if (isClusterMode(first.infoText)) {
      // The cluster path owns the seed's connection from here on, and closes it.
      seed.collector = null;
      return await runClusterAudit({ options, seed: collector, firstSample: first, startedAtMs: sampler.startedAtMs, now, sleep });
    }
    sampler.first(seed, options.cluster === true ? notACluster(first, options.target.display) : first);
    await sampler.sampleRounds(1);
  } catch (err) {
    // Whatever failed (connecting, the first sample, or something unexpected) ends the one node's run.
    sampler.stop(seed, err);
  } finally {
    await sampler.close();
  }
  return assessRun(sampler, seed.error, sampler.interrupted());
}

function notACluster(raw: RawNodeSample, display: string): RawNodeSample {
  return { ...raw, errors: [...raw.errors, `cluster mode was asked for, but ${display} is not in cluster mode (cluster_enabled:0): audited as a single node`] };
}
