// The checks run on a list of clients of one node, for unit tests of findings: the policy of the tests, no
// history unless given, one node whose connected_clients is the list's length.
import { ClientAnalyser } from '../../lambda/core/analyse-clients.js';
import { runChecks, type CheckContext, type Finding } from '../../lambda/core/findings/index.js';
import { defaultPolicy, type AuditPolicy, type ClientRecord } from '../../lambda/core/model.js';
import { nodeView } from './builders.js';

export const TEST_POLICY: AuditPolicy = { ...defaultPolicy, idleSeconds: 300, minGroupConnections: 20, minPubsubConnections: 10 };
export const NO_HISTORY = { newConnectionsPerMinute: null, rejectedInWindow: null, windowSeconds: 0, baselineResets: 0 };

/** `youngSeconds`: the window for "opened during the window" (analyse-clients.ts), when the test needs one. */
export function checkClients(clients: readonly ClientRecord[], extra: Partial<CheckContext> = {}, youngSeconds?: number): Finding[] {
  const analyser = new ClientAnalyser(extra.policy ?? TEST_POLICY, youngSeconds);
  for (const c of clients) analyser.add('127.0.0.1:6379', c, new Set());
  return runChecks({
    policy: TEST_POLICY,
    analysis: analyser.finish(),
    nodes: [nodeView({ counters: { connectedClients: clients.length } })],
    window: NO_HISTORY,
    growth: [],
    ...extra,
  });
}
