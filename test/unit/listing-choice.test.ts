// How a sample lists clients within the stall budget: plain when one CLIENT LIST fits, by id otherwise, and
// what the user chose (--over-budget) when neither can.
import { describe, expect, it } from 'vitest';
import { chooseListing, type ListingInput } from '../../lambda/core/listing-choice.js';
import { plainListingCostMs, MEASURED_STALL_MODEL } from '../../lambda/core/stall-model.js';

function input(over: Partial<ListingInput> & { connected?: number | null; received?: number | null; runId?: string } = {}): ListingInput {
  const { connected = 15_000, received = 300_000, runId = 'run-a', ...rest } = over;
  return {
    memory: null, counters: { runId, connectedClients: connected, totalConnectionsReceived: received }, replicas: 0, selfId: null,
    stall: { maxStallMs: 1, overBudget: 'info-only' }, ...rest,
  };
}

describe('chooseListing', () => {
  it('lists a small server plainly when one CLIENT LIST fits the budget', () => {
    const choice = chooseListing(input({ connected: 200 }));
    expect(choice).toMatchObject({ method: 'client-list', reason: expect.stringContaining('200 clients: one CLIENT LIST fits the 1 ms stall budget') });
  });

  it('lists by id from the newest ids when one CLIENT LIST would not fit, whatever the connections received', () => {
    for (const received of [20_000, 300_000, 10_000_000]) {
      const choice = chooseListing(input({ received }));
      expect(choice.method).toBe('client-list-by-id');
      if (choice.method === 'client-list-by-id') expect(choice.scan.next()?.[0]).toBe(received + 256);
    }
  });

  it('takes the auditor\'s own id as the newest when INFO\'s counter was reset (CONFIG RESETSTAT)', () => {
    const choice = chooseListing(input({ received: 12, selfId: 5_000_000 }));
    expect(choice.method === 'client-list-by-id' && choice.scan.next()?.[0]).toBe(5_000_256);
  });

  it('drops a memory of another server process or of a reset counter, and scans from the newest ids instead', () => {
    const memory = { runId: 'run-a', totalConnectionsReceived: 400_000, maxId: 400_000, ids: [1, 2, 3] };
    const reset = chooseListing(input({ memory, received: 1000, selfId: 450_000 }));
    expect(reset.method === 'client-list-by-id' && reset.reason).toMatch(/^no ids from an earlier sample/);
    const restarted = chooseListing(input({ memory, runId: 'run-b' }));
    expect(restarted.method === 'client-list-by-id' && restarted.reason).toMatch(/^no ids from an earlier sample/);
    const same = chooseListing(input({ memory, received: 400_100 }));
    expect(same.method === 'client-list-by-id' && same.reason).toMatch(/^3 known ids/);
  });

  it('lists nothing when only a plain listing is possible and it does not fit, saying why and what would list them', () => {
    const choice = chooseListing(input({ byIdUnsupported: true }));
    expect(choice.method).toBe('none');
    const estimate = plainListingCostMs(MEASURED_STALL_MODEL, 15_000);
    expect(choice.reason).toContain('CLIENT LIST ID needs Redis 6.2');
    expect(choice.reason).toContain(`about ${Math.round(estimate)} ms, over the 1 ms stall budget`);
    expect(choice.reason).toContain('--over-budget list-all');
  });

  it('lists them all at once when the user allows it', () => {
    const choice = chooseListing(input({ byIdUnsupported: true, stall: { maxStallMs: 1, overBudget: 'list-all' } }));
    expect(choice).toMatchObject({ method: 'client-list', reason: expect.stringContaining('as --over-budget list-all allows') });
    const noCounter = chooseListing(input({ received: null, stall: { maxStallMs: 1, overBudget: 'list-all' } }));
    expect(noCounter.method).toBe('client-list');
  });

  it('counts replicas, which CLIENT LIST lists but connected_clients leaves out, in the plain listing\'s cost', () => {
    expect(chooseListing(input({ connected: 100 })).method).toBe('client-list');
    expect(chooseListing(input({ connected: 100, replicas: 2000 })).method).toBe('client-list-by-id');
  });

  it('a larger budget lists more servers plainly', () => {
    expect(chooseListing(input({ connected: 3000 })).method).toBe('client-list-by-id');
    expect(chooseListing(input({ connected: 3000, stall: { maxStallMs: 10, overBudget: 'info-only' } })).method).toBe('client-list');
  });
});
