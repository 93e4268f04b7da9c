// Runs a child process under bounds and measures it: wall time, peak resident memory (VmHWM from
// /proc/<pid>/status, polled), exit code or signal, and its output (kept up to a cap, counted beyond).
// A child that runs over its time or memory bound is killed (SIGKILL) and the run says which bound it broke.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface MeasuredRun {
  /** Exit code, null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** Bytes written beyond the kept `maxOutputBytes` (the output was larger than what is kept). */
  readonly stdoutDroppedBytes: number;
  readonly stderrDroppedBytes: number;
  readonly wallMs: number;
  /** Highest VmHWM seen, kB (a lower bound: the last poll before exit). */
  readonly peakRssKb: number;
  /** The bound the child broke, when it was killed for one. */
  readonly killedFor: 'time' | 'memory' | null;
}

export interface MeasureOptions {
  readonly timeoutMs: number;
  readonly maxRssKb: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly pollMs?: number;
  /** Output kept per stream; the rest is counted only. */
  readonly maxOutputBytes?: number;
}

/** VmHWM (peak resident set) of a live process, kB; 0 when it is gone or /proc is not there. */
export function peakRssKbOf(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

class CappedSink {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function runMeasured(command: string, args: readonly string[], options: MeasureOptions): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const cap = options.maxOutputBytes ?? 64 * 1024 * 1024;
  const out = new CappedSink(cap);
  const err = new CappedSink(cap);
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  let peakRssKb = 0;
  let killedFor: MeasuredRun['killedFor'] = null;
  const kill = (reason: 'time' | 'memory') => {
    if (killedFor === null) killedFor = reason;
    child.kill('SIGKILL');
  };
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    peakRssKb = Math.max(peakRssKb, peakRssKbOf(child.pid));
    if (peakRssKb > options.maxRssKb) kill('memory');
  }, options.pollMs ?? 20);
  const timer = setTimeout(() => kill('time'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        code, signal, stdout: out.buffer, stderr: err.buffer, stdoutDroppedBytes: out.dropped, stderrDroppedBytes: err.dropped,
        wallMs: Math.round(performance.now() - started), peakRssKb, killedFor,
      });
    });
  });
}

/** ESC (0x1b) or U+202E (right-to-left override, UTF-8 e2 80 ae) anywhere in the bytes. */
export function hasEscapeBytes(bytes: Buffer | string): boolean {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return buffer.includes(0x1b) || buffer.includes(Buffer.from('\u202e', 'utf8'));
}

/** A Node stack frame line (`    at fn (file:1:2)`). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+/m.test(text);
}
