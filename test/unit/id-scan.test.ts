// The by-id scan planner against simulated servers: which ids it looks up, in what batches, what each batch
// costs by the stall model, when it stops, and what it leaves for the next sample. A simulated server is a set
// of live ids; the scan is driven as the reader drives it (next, then record what the server would list).
import { describe, expect, it } from 'vitest';
import { decodeIds, encodeIds, type CollectionMemory } from '../../lambda/core/collection-memory.js';
import { DEFAULT_SCAN_OPTIONS, IdScan, listedIds, type ScanOptions } from '../../lambda/core/id-scan.js';
import { commandCostMs } from '../../lambda/core/stall-model.js';

const OPTIONS: ScanOptions = { ...DEFAULT_SCAN_OPTIONS, maxStallMs: 1 };

interface Drive { batches: number[][]; found: number[]; maxCostMs: number; scan: IdScan }

/** Runs a scan to its end against the live ids given; each batch's cost is what the model says it cost. */
function drive(scan: IdScan, live: ReadonlySet<number>, options: ScanOptions = OPTIONS): Drive {
  const batches: number[][] = [];
  const found: number[] = [];
  let maxCostMs = 0;
  for (let batch = scan.next(); batch !== null; batch = scan.next()) {
    const listed = batch.filter((id) => live.has(id));
    batches.push(batch);
    found.push(...listed);
    maxCostMs = Math.max(maxCostMs, commandCostMs(options.model, batch.length, listed.length));
    scan.record(listed);
  }
  return { batches, found, maxCostMs, scan };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function lowest(batches: readonly number[][]): number {
  let min = Infinity;
  for (const batch of batches) for (const id of batch) if (id < min) min = id;
  return min;
}

describe('a first scan (no memory)', () => {
  it('walks down from the newest ids and stops once it has found as many clients as INFO counted', () => {
    // A long-lived server: 1,000,000 connections received, 3,000 held: 1,000 old ones, 2,000 recent.
    const live = new Set([...range(400_000, 400_999), ...range(998_001, 1_000_000)]);
    const run = drive(new IdScan(null, 1_000_000, live.size, OPTIONS), live);

    expect(run.found.length).toBe(3000);
    expect(run.scan.complete).toBe(true);
    expect(lowest(run.batches)).toBeGreaterThan(390_000); // stopped near the oldest client, far above id 1
    expect(run.batches[0]?.[0]).toBe(1_000_256); // the newest ids first, slack included
    expect(run.maxCostMs).toBeLessThanOrEqual(OPTIONS.maxStallMs);
    expect(run.scan.progress.estimatedLongestMs).toBeLessThanOrEqual(OPTIONS.headroom * OPTIONS.maxStallMs + 1e-9);
    expect(run.scan.progress.idsLookedUp).toBeLessThan(610_000); // the 400,000 ids below the oldest client were not looked up
  });

  it('keeps every batch within the budget on 10,000,000 ids with 65,000 clients spread in dense clusters', () => {
    // Pools opened at deploys: clusters of 500 consecutive ids every 75,000 ids, plus the newest 2,000.
    const live = new Set<number>();
    for (let start = 5_000; live.size < 63_000; start += 75_000) for (const id of range(start, start + 499)) live.add(id);
    for (const id of range(9_998_001, 10_000_000)) live.add(id);
    const run = drive(new IdScan(null, 10_000_000, live.size, OPTIONS), live);

    expect(run.found.length).toBe(live.size);
    expect(run.scan.complete).toBe(true);
    expect(run.maxCostMs).toBeLessThanOrEqual(OPTIONS.maxStallMs);
    expect(run.scan.progress.commands).toBeLessThanOrEqual(OPTIONS.maxCommands);
  });

  it('does not let a client that connected after INFO stop the scan one old client short', () => {
    // INFO counted 2 clients: an old one (id 100) and the auditor (id 50,000); id 50,001 connected after INFO.
    const live = new Set([100, 50_000, 50_001]);
    expect(drive(new IdScan(null, 50_000, 2, OPTIONS), live).found).not.toContain(100); // without its own id: one short
    expect(drive(new IdScan(null, 50_000, 2, OPTIONS, 50_000), live).found).toContain(100);
  });

  it('scans down to id 1 when clients closed during the scan keep the count out of reach', () => {
    const live = new Set(range(50_001, 50_100));
    const run = drive(new IdScan(null, 50_100, 150, OPTIONS), live); // INFO said 150; 50 closed since
    expect(run.found.length).toBe(100);
    expect(lowest(run.batches)).toBe(1);
    expect(run.scan.complete).toBe(true);
  });

  it('stops at the command allowance and remembers where to go on', () => {
    const live = new Set([...range(1, 10), ...range(199_991, 200_000)]);
    const scan = new IdScan(null, 200_000, 20, { ...OPTIONS, maxCommands: 10 });
    const run = drive(scan, live);
    expect(run.batches.length).toBe(10);
    expect(scan.complete).toBe(false);
    const memory = scan.memory('run-a', 200_000);
    const stoppedAt = lowest(run.batches);
    expect(memory).toEqual({ runId: 'run-a', totalConnectionsReceived: 200_000, maxId: 200_000, ids: range(199_991, 200_000), unscannedBelow: stoppedAt });

    // The next sample looks up the ids it found, the ids handed out since, and goes on below where it stopped.
    const next = drive(new IdScan(memory, 200_005, 21, OPTIONS), new Set([...live, 200_003]));
    expect(next.found.sort((a, b) => a - b)).toEqual([...range(1, 10), ...range(199_991, 200_000), 200_003]);
    expect(next.batches.flat().filter((id) => id > 200_000 - 1 && id < stoppedAt).length).toBe(0);
    expect(next.scan.memory('run-a', 200_005)?.unscannedBelow).toBeUndefined();
  });

  it('keeps short batches while many clients are left to find, and long ones once few can be', () => {
    const live = new Set(range(900_001, 901_000)); // a dense cluster in the middle of empty ids
    const run = drive(new IdScan(null, 1_000_000, 1000, OPTIONS), live);
    const sizes = run.batches.map((b) => b.length);
    // Every id of the first batches could be one of the 1,000 clients: no more than the budget's worth of clients.
    expect(sizes[0]).toBe(Math.floor((OPTIONS.headroom * 1000) / (OPTIONS.model.perIdUs + OPTIONS.model.perClientUs)));
    expect(run.maxCostMs).toBeLessThanOrEqual(OPTIONS.maxStallMs);
    expect(run.found.length).toBe(1000);
  });

  it('looks up long runs of ids in one command once few clients can be left', () => {
    const live = new Set([...range(1, 5), ...range(99_991, 100_000)]);
    const run = drive(new IdScan(null, 100_000, 20, OPTIONS), live);
    expect(Math.max(...run.batches.map((b) => b.length))).toBeGreaterThan(5000);
    expect(run.maxCostMs).toBeLessThanOrEqual(OPTIONS.maxStallMs);
    expect(run.found.length).toBe(15);
  });

  it('sizes batches to the budget: a budget ten times larger takes several times fewer commands', () => {
    const live = new Set(range(1, 2000));
    const small = drive(new IdScan(null, 500_000, 2000, OPTIONS), live).batches.length;
    const larger = { ...OPTIONS, maxStallMs: 10 };
    const large = drive(new IdScan(null, 500_000, 2000, larger), live, larger).batches.length;
    expect(large).toBeLessThan(small / 4);
  });

  it('hands back a batch that was not sent, to be looked up next time', () => {
    const scan = new IdScan(null, 5000, 10, OPTIONS);
    const first = scan.next() ?? [];
    scan.abandon();
    expect(scan.complete).toBe(false);
    expect(scan.memory('run-a', 5000)?.unscannedBelow).toBeUndefined(); // nothing was scanned: the whole range is ahead
    expect(scan.next()).toEqual(first);
  });
});

describe('calibration to the server\'s speed', () => {
  it('shortens the next batches as much as the server\'s CPU time exceeds the model, never lengthens them', () => {
    const live = new Set(range(1, 5000));
    const scan = new IdScan(null, 5000, 5000, OPTIONS);
    let modelMs = 0;
    let size = 0;
    for (let i = 0; i < 3; i += 1) {
      const batch = scan.next() ?? [];
      const listed = batch.filter((id) => live.has(id));
      size = batch.length;
      modelMs += commandCostMs(OPTIONS.model, batch.length, listed.length);
      scan.record(listed);
    }
    expect(scan.calibrate(modelMs * 3)).toBeCloseTo(3, 5);
    expect((scan.next() ?? []).length).toBe(Math.floor(size / 3));
    scan.record([]);
    expect(scan.calibrate(0.0001)).toBe(1); // a server faster than the model is not trusted to be
    scan.next();
    scan.record([]);
    expect(scan.calibrate(1e9)).toBe(20); // nor an absurd reading to stop the scan
  });
});

describe('a scan with the previous sample\'s memory', () => {
  const memory: CollectionMemory = { runId: 'run-a', totalConnectionsReceived: 1000, maxId: 1000, ids: [3, 500, 990] };

  it('looks up the known ids and the ids handed out since, nothing else', () => {
    const run = drive(new IdScan(memory, 1100, 4, OPTIONS), new Set([3, 990, 1050]));
    expect(run.batches.flat().sort((a, b) => a - b)).toEqual([3, 500, 990, ...range(1001, 1100 + 256)]);
    expect(run.found.sort((a, b) => a - b)).toEqual([3, 990, 1050]);
    expect(run.scan.memory('run-a', 1100)).toEqual({ runId: 'run-a', totalConnectionsReceived: 1100, maxId: 1050, ids: [3, 990, 1050] });
  });

  it('counts as covered only ids up to the newest client found: a free id above it may be taken after the scan', () => {
    // INFO said 1,100 received, but the newest client is 1,050: ids 1,051 on were free when looked up.
    const scan = new IdScan(memory, 1100, 3, OPTIONS);
    drive(scan, new Set([3, 990, 1050]));
    const next = new IdScan(scan.memory('run-a', 1100), 1101, 4, OPTIONS);
    const run = drive(next, new Set([3, 990, 1050, 1060])); // 1,060 connected after the first scan passed it
    expect(run.found).toContain(1060);
  });

  it('keeps the slack from piling up across samples: the next new range starts above the newest id found', () => {
    let current: CollectionMemory = memory;
    for (let run = 1; run <= 5; run += 1) {
      const received = 1000 + run * 100;
      const scan = new IdScan(current, received, 2, OPTIONS);
      drive(scan, new Set([3, received]));
      current = scan.memory('run-a', received) as CollectionMemory;
    }
    expect(current.maxId).toBe(1500);
  });
});

describe('the id helpers', () => {
  it('reads the ids of a reply without parsing the lines', () => {
    expect(listedIds('id=12 addr=a:1 name=x\nid=5 addr=b:2 name=id=9\r\nid=300 addr=c:3\n')).toEqual([12, 5, 300]);
  });

  it('round-trips ids through the compact encoding', () => {
    const ids = [1, 2, 3, 1000, 1001, 65_000, 9_007_199_254_740_991];
    expect(encodeIds(ids)).toBe(`1,1,1,rp,1,${(63_999).toString(36)},${(9_007_199_254_740_991 - 65_000).toString(36)}`);
    expect(decodeIds(encodeIds(ids))).toEqual(ids);
  });

  it('refuses a damaged encoding', () => {
    expect(decodeIds('1,x!,3')).toBeNull();
  });
});
