// The CLI's progress line (cli/progress.ts) on a fake terminal, with vitest's fake clock and timers: what it
// shows, how often it repaints, and that stopping it erases the line and leaves no timer behind.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditProgress } from '../../lambda/audit-progress.js';
import { ProgressLine, REPAINT_MS } from '../../cli/progress.js';

const ERASE = '\r\x1b[K';

/** A TTY-like stream that records every write. */
function terminal(columns = 100) {
  const writes: string[] = [];
  return { isTTY: true as const, columns, writes, write: (text: string) => writes.push(text), last: () => writes[writes.length - 1] ?? '' };
}

const listing = (listed: number, expected: number | null, node = '10.0.0.5:6379'): AuditProgress =>
  ({ kind: 'listing', node, listed, expected, commands: 1, idsLookedUp: 0 });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressLine', () => {
  it('shows which sample is taken on which node', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 2, of: 6, node: '10.0.0.5:6379' });
    expect(tty.last()).toBe(`${ERASE}sample 2 of 6 on 10.0.0.5:6379`);
    line.stop();
  });

  it('shows the clients listed so far with thousands separators', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 1, node: '10.0.0.5:6379' });
    vi.advanceTimersByTime(REPAINT_MS);
    line.update(listing(12_000, 65_000));
    expect(tty.last()).toBe(`${ERASE}sample 1 of 1 on 10.0.0.5:6379: listing clients: 12,000 of 65,000`);
    line.stop();
  });

  it('counts down to the next sample once a second and stops at zero', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'waiting', sample: 2, of: 6, nextInMs: 60_000 });
    expect(tty.last()).toBe(`${ERASE}next sample in 60 s (sample 2 of 6)`);
    vi.advanceTimersByTime(18_000);
    expect(tty.last()).toBe(`${ERASE}next sample in 42 s (sample 2 of 6)`);
    vi.advanceTimersByTime(42_000);
    expect(tty.last()).toBe(`${ERASE}next sample in 0 s (sample 2 of 6)`);
    expect(vi.getTimerCount()).toBe(0);
    line.stop();
  });

  it('repaints at most once per REPAINT_MS and then shows the latest count', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 1, node: 'n:1' });
    for (let listed = 1000; listed <= 50_000; listed += 1000) line.update(listing(listed, 50_000, 'n:1'));
    expect(tty.writes).toHaveLength(1);
    vi.advanceTimersByTime(REPAINT_MS);
    expect(tty.writes).toHaveLength(2);
    expect(tty.last()).toContain('listing clients: 50,000 of 50,000');
    line.stop();
  });

  it('cuts the line to the terminal width', () => {
    const tty = terminal(30);
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 1, node: 'a-very-long-host-name.example.internal:6379' });
    const painted = tty.last().slice(ERASE.length);
    expect(painted).toHaveLength(29);
    expect(painted.endsWith('…')).toBe(true);
    line.stop();
  });

  it('takes a terminal that reports no width (0, as under `script`) as 80 columns wide', () => {
    const tty = terminal(0);
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 2, of: 6, node: 'cache-0001.example.internal:6379' });
    expect(tty.last().slice(ERASE.length)).toContain('sample 2 of 6 on cache-0001.example.internal:6379');
    line.stop();
  });

  it('never writes control characters from a node name', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 1, node: 'evil\x1b]0;pwned\x07:6379' });
    expect(tty.last().slice(ERASE.length)).not.toMatch(/\p{Cc}/u);
    line.stop();
  });

  it('erases the line on clear, before other output, and paints it again on the next update', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 2, node: 'n:1' });
    line.clear();
    expect(tty.last()).toBe(ERASE);
    vi.advanceTimersByTime(REPAINT_MS);
    line.update(listing(5, 10, 'n:1'));
    expect(tty.last()).toContain('listing clients: 5 of 10');
    line.stop();
  });

  it('erases the line and leaves no timer when stopped while counting down', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'waiting', sample: 2, of: 6, nextInMs: 300_000 });
    line.update({ kind: 'waiting', sample: 2, of: 6, nextInMs: 299_950 }); // a deferred repaint pending too
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    line.stop();
    expect(tty.last()).toBe(ERASE);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes nothing after stop, and stops only once', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'sample', sample: 1, of: 1, node: 'n:1' });
    line.stop();
    const written = tty.writes.length;
    line.stop();
    line.update({ kind: 'waiting', sample: 2, of: 2, nextInMs: 5000 });
    vi.advanceTimersByTime(10_000);
    expect(tty.writes).toHaveLength(written);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a listing that comes while no sample is being taken', () => {
    const tty = terminal();
    const line = new ProgressLine(tty);
    line.update({ kind: 'waiting', sample: 2, of: 2, nextInMs: 5000 });
    vi.advanceTimersByTime(REPAINT_MS);
    line.update(listing(10, 20));
    vi.advanceTimersByTime(REPAINT_MS);
    expect(tty.last()).toBe(`${ERASE}next sample in 5 s (sample 2 of 2)`);
    line.stop();
  });

  it('writes nothing at all when stopped before any progress', () => {
    const tty = terminal();
    new ProgressLine(tty).stop();
    expect(tty.writes).toEqual([]);
  });
});
