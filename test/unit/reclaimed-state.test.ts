// The state's memory of reclaimed client ids (issue 19, core/state.ts): per node and per server run (client ids
// restart at 1 when the server restarts), bounded to the newest MAX_RECLAIMED_IDS, read defensively from a stored
// state and carried from run to run by the audit.
import { describe, expect, it } from 'vitest';
import { assessAudit } from '../../lambda/core/audit.js';
import { encodeIds } from '../../lambda/core/collection-memory.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import {
  MAX_RECLAIMED_IDS, nextState, reclaimedIdsOf, restoreState, withReclaimedIds, type AuditState,
} from '../../lambda/core/state.js';

const T0 = 1_700_000_000_000;
const TARGET = 'redis://orders-cache:6379';
const NODE = '10.0.0.5:6379';
const OTHER_NODE = '10.0.0.6:6379';
const RUN = '0f3c1d9e2b7a4c5d6e8f9a0b1c2d3e4f5a6b7c8d';
const NEXT_RUN = '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b';

/** A fresh state of the target, as a first run leaves it (no reclaimed memory). */
const fresh: AuditState = nextState(null, TARGET, [], T0);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('reclaimedIdsOf', () => {
  const state = withReclaimedIds(fresh, NODE, RUN, [120, 101, 7]);

  it('reads the ids reclaimed on the node during this server run, in order', () => {
    expect(reclaimedIdsOf(state, NODE, RUN)).toEqual([7, 101, 120]);
  });

  it('knows none without a state, or before any was reclaimed', () => {
    expect(fresh.reclaimed).toBeUndefined();
    expect(reclaimedIdsOf(null, NODE, RUN)).toEqual([]);
    expect(reclaimedIdsOf(fresh, NODE, RUN)).toEqual([]);
  });

  it('knows none for another node', () => {
    expect(reclaimedIdsOf(state, OTHER_NODE, RUN)).toEqual([]);
  });

  it('knows none once the server has restarted (another run_id): its ids started again at 1', () => {
    expect(reclaimedIdsOf(state, NODE, NEXT_RUN)).toEqual([]);
  });

  it('knows none when the server did not say its run_id', () => {
    expect(reclaimedIdsOf(state, NODE, null)).toEqual([]);
  });
});

describe('withReclaimedIds', () => {
  it('accumulates the ids of successive runs, each once', () => {
    const first = withReclaimedIds(fresh, NODE, RUN, [105, 103]);
    const second = withReclaimedIds(first, NODE, RUN, [103, 110, 104, 110]);
    expect(reclaimedIdsOf(second, NODE, RUN)).toEqual([103, 104, 105, 110]);
    // The state given is left as it was.
    expect(reclaimedIdsOf(first, NODE, RUN)).toEqual([103, 105]);
    expect(fresh.reclaimed).toBeUndefined();
  });

  it('keeps each node its own memory', () => {
    const state = withReclaimedIds(withReclaimedIds(fresh, NODE, RUN, [1, 2]), OTHER_NODE, NEXT_RUN, [3]);
    expect(reclaimedIdsOf(state, NODE, RUN)).toEqual([1, 2]);
    expect(reclaimedIdsOf(state, OTHER_NODE, NEXT_RUN)).toEqual([3]);
  });

  it('replaces the memory of an earlier server run', () => {
    const before = withReclaimedIds(fresh, NODE, RUN, [500, 501]);
    const after = withReclaimedIds(before, NODE, NEXT_RUN, [12]);
    expect(reclaimedIdsOf(after, NODE, NEXT_RUN)).toEqual([12]);
    expect(reclaimedIdsOf(after, NODE, RUN)).toEqual([]);
    expect(after.reclaimed?.[NODE]?.runId).toBe(NEXT_RUN);
  });

  it('changes nothing when nothing was killed or the run_id is unknown', () => {
    const state = withReclaimedIds(fresh, NODE, RUN, [9]);
    expect(withReclaimedIds(state, NODE, RUN, [])).toBe(state);
    expect(withReclaimedIds(state, NODE, null, [10])).toBe(state);
    expect(reclaimedIdsOf(withReclaimedIds(state, NODE, null, [10]), NODE, RUN)).toEqual([9]);
  });

  it(`keeps at most ${MAX_RECLAIMED_IDS} ids, the newest (highest)`, () => {
    const full = withReclaimedIds(fresh, NODE, RUN, range(1, MAX_RECLAIMED_IDS));
    expect(reclaimedIdsOf(full, NODE, RUN)).toHaveLength(MAX_RECLAIMED_IDS);
    const more = withReclaimedIds(full, NODE, RUN, range(MAX_RECLAIMED_IDS + 1, MAX_RECLAIMED_IDS + 5));
    const kept = reclaimedIdsOf(more, NODE, RUN);
    expect(kept).toHaveLength(MAX_RECLAIMED_IDS);
    expect(kept[0]).toBe(6);
    expect(kept.at(-1)).toBe(MAX_RECLAIMED_IDS + 5);
    expect(kept).toEqual(range(6, MAX_RECLAIMED_IDS + 5));
    // One run's kills alone are bounded the same way, whatever order they came in.
    const once = reclaimedIdsOf(withReclaimedIds(fresh, NODE, RUN, range(1, MAX_RECLAIMED_IDS + 3).reverse()), NODE, RUN);
    expect(once).toEqual(range(4, MAX_RECLAIMED_IDS + 3));
  });
});

describe('the reclaimed memory in a stored state', () => {
  it('round-trips through the stored text', () => {
    const state = withReclaimedIds(withReclaimedIds(fresh, NODE, RUN, [42, 7, 1000]), OTHER_NODE, NEXT_RUN, [3]);
    const restored = restoreState(JSON.stringify(state), TARGET);
    expect(restored.warning).toBeNull();
    expect(reclaimedIdsOf(restored.state, NODE, RUN)).toEqual([7, 42, 1000]);
    expect(reclaimedIdsOf(restored.state, OTHER_NODE, NEXT_RUN)).toEqual([3]);
    expect(restored.state?.reclaimed).toEqual(state.reclaimed);
  });

  it('drops damaged entries and keeps the valid ones', () => {
    const stored = {
      ...fresh,
      reclaimed: {
        [NODE]: { runId: RUN, ids: encodeIds([4, 8, 15]) },
        [OTHER_NODE]: { runId: NEXT_RUN, ids: encodeIds([16, 23]), extra: 'dropped' },
        'bad-ids:6379': { runId: RUN, ids: '4,!2' },
        'upper-case:6379': { runId: RUN, ids: 'A' },
        'ids-number:6379': { runId: RUN, ids: 4 },
        'no-run:6379': { ids: encodeIds([1]) },
        'run-number:6379': { runId: 5, ids: encodeIds([1]) },
        'string:6379': 'x',
        'array:6379': [RUN, '1'],
        'null:6379': null,
      },
    };
    const restored = restoreState(JSON.stringify(stored), TARGET);
    expect(restored.warning).toBeNull();
    expect(restored.state?.reclaimed).toEqual({
      [NODE]: { runId: RUN, ids: encodeIds([4, 8, 15]) },
      [OTHER_NODE]: { runId: NEXT_RUN, ids: encodeIds([16, 23]) },
    });
    expect(reclaimedIdsOf(restored.state, NODE, RUN)).toEqual([4, 8, 15]);
    expect(reclaimedIdsOf(restored.state, 'bad-ids:6379', RUN)).toEqual([]);
  });

  it('ignores a reclaimed record that is no record, and keeps the rest of the state', () => {
    for (const reclaimed of [[{ runId: RUN, ids: '1' }], 'x', 7]) {
      const restored = restoreState(JSON.stringify({ ...fresh, reclaimed }), TARGET);
      expect(restored.state).not.toBeNull();
      expect(restored.state?.reclaimed).toBeUndefined();
      expect(restored.state?.target).toBe(TARGET);
    }
  });
});

describe('the reclaimed memory from run to run', () => {
  it('nextState carries it forward unchanged', () => {
    const previous = withReclaimedIds(withReclaimedIds(fresh, NODE, RUN, [100, 101]), OTHER_NODE, RUN, [5]);
    const next = nextState(previous, TARGET, [], T0 + 60_000);
    expect(next.reclaimed).toEqual(previous.reclaimed);
    expect(reclaimedIdsOf(next, NODE, RUN)).toEqual([100, 101]);
    expect(next.updatedAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(nextState(fresh, TARGET, [], T0).reclaimed).toBeUndefined();
  });

  it('the audit keeps it in the state it returns, through the stored text, and the break-glass adds to it', () => {
    const info = `# Server\r\nredis_version:7.2.4\r\nrun_id:${RUN}\r\n# Clients\r\nconnected_clients:1\r\nmaxclients:10000\r\n`;
    const list = 'id=1 addr=10.0.0.1:5000 name= age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 cmd=get user=default\n';
    const previous = restoreState(JSON.stringify(withReclaimedIds(fresh, NODE, RUN, [300, 301])), TARGET).state;
    const { report, state } = assessAudit({
      target: TARGET, samples: [[{ node: NODE, takenAtMs: T0, infoText: info, clientListText: list,
        config: { timeoutSeconds: 300, maxClients: 10000, tcpKeepaliveSeconds: 300 }, auditorAddresses: [], errors: [],
        cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 } }]],
      failedNodes: [], previousState: previous, policy: defaultPolicy, startedAtMs: T0, nowMs: T0, toolVersion: '0.1.0',
    });
    const runId = report.nodes[0]?.run_id ?? null;
    expect(runId).toBe(RUN);
    expect(reclaimedIdsOf(state, NODE, runId)).toEqual([300, 301]);
    const after = withReclaimedIds(state, NODE, runId, [302]);
    expect(reclaimedIdsOf(restoreState(JSON.stringify(after), TARGET).state, NODE, runId)).toEqual([300, 301, 302]);
  });
});
