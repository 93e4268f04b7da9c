// Runs the CLI in-process with captured stdout/stderr, as a user's shell would see it.
import { runCli, type CliIo } from '../../cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The auditor's clock, when a test lets the interval between samples pass without waiting (see fastClock). */
export type CliClock = Pick<CliIo, 'now' | 'sleep'>;

export async function cli(args: readonly string[], env: Record<string, string | undefined> = {}, clock: CliClock = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    ...clock,
  });
  return { code, stdout, stderr };
}
