// Node connections held at once by this process, across every cluster audited at the same time (the Lambda
// audits up to TARGET_CONCURRENCY targets in parallel; each cluster run holds one socket per node for its whole
// length). Past the budget a node is not contacted and is reported as such: Lambda allows 1,024 descriptors,
// and the SDK clients and the seeds need some of them. Process-wide state at the edge, never in the core.
import { MAX_NODE_CONNECTIONS_PER_PROCESS } from './core/cluster-rules.js';

export class ConnectionBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Takes one connection from the budget; false when none is left. */
  tryAcquire(): boolean {
    if (this.held >= this.limit) return false;
    this.held += 1;
    return true;
  }

  release(): void {
    this.held = Math.max(0, this.held - 1);
  }

  get inUse(): number {
    return this.held;
  }
}

/** The budget every cluster run of this process shares. */
export const NODE_CONNECTIONS = new ConnectionBudget(MAX_NODE_CONNECTIONS_PER_PROCESS);
