import { describe, expect, it } from 'vitest';
import { decodeIds, encodeIds, planClientList, rememberClients, type PlanOptions } from '../../lambda/core/collection-plan.js';
import { emptyCounters } from '../support/builders.js';

const options: PlanOptions = { batchSize: 4, plainUpTo: 2, maxBatches: 10, idSlack: 2 };
const counters = (connected: number, received: number, runId = 'run-a') => ({ ...emptyCounters, runId, connectedClients: connected, totalConnectionsReceived: received });
const memory = { runId: 'run-a', totalConnectionsReceived: 20, maxId: 21, ids: [3, 7, 21] };

describe('planClientList', () => {
  it('lists a small server plainly: one cheap command', () => {
    expect(planClientList(memory, counters(2, 25), options).method).toBe('client-list');
  });

  it('looks up the known ids and the ids handed out since, in bounded batches', () => {
    const plan = planClientList(memory, counters(5, 23), options);
    // known 3, 7, 21; new range 22..21+3+2 = 26
    expect(plan).toMatchObject({ method: 'client-list-by-id', batches: [[3, 7, 21, 22], [23, 24, 25, 26]] });
  });

  it('scans every id from 1 when there is no memory of this server process', () => {
    const plan = planClientList({ ...memory, runId: 'old-run' }, counters(5, 6), options);
    expect(plan).toMatchObject({ method: 'client-list-by-id', batches: [[1, 2, 3, 4], [5, 6, 7, 8]] });
  });

  it('falls back to a plain listing when the id range would take too many commands', () => {
    const plan = planClientList(memory, counters(5, 20 + 100), options);
    expect(plan.method).toBe('client-list');
    expect(plan.reason).toMatch(/would take \d+ commands/);
  });

  it('lists plainly when the counters went backwards (CONFIG RESETSTAT): the new ids cannot be bounded', () => {
    expect(planClientList(memory, counters(5, 3), options)).toMatchObject({ method: 'client-list', reason: expect.stringMatching(/reset/) });
  });
});

describe('rememberClients and the id encoding', () => {
  it('reads the ids of a reply without parsing the lines', () => {
    const text = 'id=12 addr=a:1 name=x\nid=5 addr=b:2 name=id=9\r\nid=300 addr=c:3\n';
    expect(rememberClients(text, counters(3, 400))).toEqual({ runId: 'run-a', totalConnectionsReceived: 400, maxId: 300, ids: [5, 12, 300] });
  });

  it('round-trips ids through the compact encoding', () => {
    const ids = [1, 2, 3, 1000, 1001, 65_000, 9_007_199_254_740_991];
    // Deltas: 1, 1, 1, 997 (rp), 1, 63999, then the large step.
    expect(encodeIds(ids)).toBe(`1,1,1,rp,1,${(63_999).toString(36)},${(9_007_199_254_740_991 - 65_000).toString(36)}`);
    expect(decodeIds(encodeIds(ids))).toEqual(ids);
  });

  it('refuses a damaged encoding', () => {
    expect(decodeIds('1,x!,3')).toBeNull();
  });
});
