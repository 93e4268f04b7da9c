// The live section's helper processes (connection holders, the PING prober) run as plain .mjs files bundled
// with esbuild, as the memory section's child is: no tsx loader thread in a process whose timing matters.
// Each script lives in one temp directory per bench run, removed by the caller.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Bundles bench/<name>.ts into dir/<name>.mjs and returns its path. */
export async function bundleScript(name: string, dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error',
  });
  return outfile;
}

/** A helper process that speaks one JSON object per stdout line. */
export interface LineChild {
  readonly process: ChildProcess;
  /** The next JSON line, or a rejection when the process ends (or timeoutMs passes) first. */
  next<T>(timeoutMs: number, what: string): Promise<T>;
  send(line: string): void;
  /** SIGKILL, then waits for the exit. Idempotent. */
  kill(): Promise<void>;
}

/**
 * Spawns `command args`; stdin stays a pipe, so that a helper whose parent dies sees its stdin end and exits
 * (the holders and the prober do). stderr is kept (last 2 KB) for error messages.
 */
export function spawnLineChild(command: string, args: readonly string[]): LineChild {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<(line: string | null) => void> = [];
  let stderr = '';
  let ended = false;
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
  child.stdin?.on('error', () => undefined);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  child.once('error', (err) => { stderr += ` ${err.message}`; });
  void exited.then(() => {
    ended = true;
    for (const waiter of waiters.splice(0)) waiter(null);
  });
  return {
    process: child,
    next<T>(timeoutMs: number, what: string): Promise<T> {
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
      return new Promise<T>((resolve, reject) => {
        const fail = (why: string) => reject(new Error(`${what}: ${why}${stderr.trim() ? ` (stderr: ${stderr.trim()})` : ''}`));
        if (ended) return fail(`${command} exited (code ${child.exitCode}, signal ${child.signalCode})`);
        const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
        waiters.push((line) => {
          clearTimeout(timer);
          if (line === null) fail(`${command} exited (code ${child.exitCode}, signal ${child.signalCode})`);
          else resolve(JSON.parse(line) as T);
        });
      });
    },
    send(line: string): void {
      if (!ended) child.stdin?.write(`${line}\n`);
    },
    async kill(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null && !ended) child.kill('SIGKILL');
      await exited;
    },
  };
}
