// What an audit tells while it runs (RunAuditOptions.onProgress): the CLI's progress line on a terminal.
// Advisory only: a listener that throws never changes the audit (`guarded`).
import type { ListingProgress } from './redis/node-collector.js';

export type AuditProgress =
  /** A sample of one node starts; `sample` counts from 1. */
  | { readonly kind: 'sample'; readonly sample: number; readonly of: number; readonly node: string }
  /** Told once, before the pause between two samples: `sample` is the one that comes next, `nextInMs` from now. */
  | { readonly kind: 'waiting'; readonly sample: number; readonly of: number; readonly nextInMs: number }
  /** After each listing command of one node's sample (NodeCollector's ListingProgress). */
  | ({ readonly kind: 'listing' } & ListingProgress);

export type ProgressListener = (event: AuditProgress) => void;

/** The listener, or nothing, made safe to call from the audit: its errors are dropped. */
export function guarded(listener: ProgressListener | undefined): ProgressListener {
  if (listener === undefined) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // A progress display must not fail or stop an audit.
    }
  };
}
