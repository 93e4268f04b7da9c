// The by-id listing against a scripted server: every command is answered as a server holding the given clients
// would, and INFO cpu reports main-thread CPU time as a server N times slower than the stall model would.
import { describe, expect, it } from 'vitest';
import { chooseListing } from '../../lambda/core/listing-choice.js';
import { commandCostMs, MEASURED_STALL_MODEL } from '../../lambda/core/stall-model.js';
import { readClientList, type Send } from '../../lambda/redis/client-list-reader.js';
import { RespTimeoutError } from '../../lambda/redis/resp-connection.js';

const SELF = '127.0.0.1:50000';

/** A server holding `live` client ids (the auditor is the newest), `slower` times slower than the model. */
function scriptedServer(live: readonly number[], slower: number | null) {
  const alive = new Set(live);
  const sent: string[][] = [];
  let cpuMs = 0;
  const line = (id: number) => `id=${id} addr=${id === Math.max(...live) ? SELF : `10.0.0.1:${id}`} name= cmd=get\n`;
  const send: Send = async (args) => {
    sent.push(args);
    if (args[0] === 'INFO') {
      return Buffer.from(slower === null ? '# CPU\r\n' : `# CPU\r\nused_cpu_sys_main_thread:${(cpuMs / 2000).toFixed(6)}\r\nused_cpu_user_main_thread:${(cpuMs / 2000).toFixed(6)}\r\n`);
    }
    const ids = args.slice(3).map(Number);
    const found = ids.filter((id) => alive.has(id));
    cpuMs += commandCostMs(MEASURED_STALL_MODEL, ids.length, found.length) * (slower ?? 1);
    return Buffer.from(found.map(line).join(''));
  };
  return { send, sent };
}

function byIdChoice(expected: number, top: number) {
  const choice = chooseListing({
    memory: null, counters: { runId: 'r', connectedClients: expected, totalConnectionsReceived: top }, replicas: 0, selfId: top,
    stall: { maxStallMs: 1, overBudget: 'info-only' },
  });
  if (choice.method !== 'client-list-by-id') throw new Error(`expected a by-id listing, got ${choice.method}`);
  return choice;
}

const options = { auditorAddresses: [SELF], stall: { maxStallMs: 1, overBudget: 'info-only' as const }, connectedClients: 3000, runId: 'r', received: 3000 };

describe('readClientList by id, calibrated by the server\'s own CPU time', () => {
  it('shortens its batches for a server three times slower than the model, and says so', async () => {
    const live = Array.from({ length: 3000 }, (_, i) => i + 1);
    const server = scriptedServer(live, 3);

    const read = await readClientList(server.send, byIdChoice(3000, 3000), options);

    expect(read.problem).toBeNull();
    expect(read.clientsListed).toBe(3000);
    expect(read.speedFactor).toBeCloseTo(3, 1);
    const batches = server.sent.filter((a) => a[0] === 'CLIENT').map((a) => a.length - 3);
    expect(batches[0]).toBe(468);
    expect(Math.max(...batches.slice(1))).toBeLessThanOrEqual(Math.ceil(468 / 3));
    // Every batch's cost on that slower server stays within the budget once measured.
    expect(read.estimatedLongestMs).toBeLessThanOrEqual(1.01);
  });

  it('keeps the model\'s batches where the server does not report its CPU time', async () => {
    const live = Array.from({ length: 3000 }, (_, i) => i + 1);
    const server = scriptedServer(live, null);

    const read = await readClientList(server.send, byIdChoice(3000, 3000), options);

    expect(read.speedFactor).toBe(1);
    expect(read.clientsListed).toBe(3000);
    expect(server.sent.filter((a) => a[0] === 'INFO')).toHaveLength(1); // asked once, then not again
  });

  it('ends the listing as cut short by the deadline when INFO cpu times out because the deadline passed', async () => {
    const live = Array.from({ length: 3000 }, (_, i) => i + 1);
    const server = scriptedServer(live, 1);
    let past = false;
    // The deadline passes while the first calibration read waits: its timeout is the deadline's, not a fault.
    const send: Send = async (args, limits) => {
      if (args[0] === 'INFO' && server.sent.some((a) => a[0] === 'CLIENT')) {
        past = true;
        throw new RespTimeoutError(1);
      }
      return server.send(args, limits);
    };

    const read = await readClientList(send, byIdChoice(3000, 3000), { ...options, deadlinePassed: () => past });

    expect(read.text).toBeNull();
    expect(read.deferred).toBe(false); // a failure that makes the report partial, not a budget choice
    expect(read.problem).toMatch(/^listing by id was cut short by the audit deadline \(468 ids looked up, 212 clients found, [\d,]+ ids still to look up\)$/);
    expect(server.sent.filter((a) => a[0] === 'CLIENT')).toHaveLength(1); // no batch after the deadline
  });

  it('still fails on an INFO cpu timeout while the deadline is far', async () => {
    const server = scriptedServer(Array.from({ length: 3000 }, (_, i) => i + 1), 1);
    const send: Send = async (args, limits) => {
      if (args[0] === 'INFO') throw new RespTimeoutError(5000);
      return server.send(args, limits);
    };

    await expect(readClientList(send, byIdChoice(3000, 3000), { ...options, deadlinePassed: () => false })).rejects.toBeInstanceOf(RespTimeoutError);
  });
});
