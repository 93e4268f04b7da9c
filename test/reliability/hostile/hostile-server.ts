// Starts hostile_server.py (a fake RESP server with one misbehaviour) on a free loopback port and stops it.
// Its stdin is a pipe from this process: the server exits by itself when this process is gone.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const HOSTILE_MODES = [
  'healthy', 'huge-array-header', 'fast-huge-list', 'many-lines', 'slow-drip', 'cluster-fanout', 'nil-list', 'swapped',
  'escape', 'escape-error', 'absurd', 'long-names', 'many-findings', 'malformed-lines',
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

const SCRIPT = fileURLToPath(new URL('./hostile_server.py', import.meta.url));

export interface HostileServer {
  readonly mode: HostileMode;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcessWithoutNullStreams;
  /** The most connections the server held open at once so far (both listeners of cluster-fanout). */
  peakConnections(): number;
  /** malformed-lines only: every command received so far, as `NAME SUB` (`CLIENT KILL`); empty for other modes. */
  commands(): string[];
  stop(): Promise<void>;
}

export interface HostileOptions {
  /** Seconds the server lives at most (it also exits when our stdin pipe closes). */
  readonly lifetimeSeconds?: number;
  /** slow-drip: how long each CLIENT LIST reply takes, ms. */
  readonly dripMs?: number;
  readonly python?: string;
}

export function startHostileServer(mode: HostileMode, options: HostileOptions = {}): Promise<HostileServer> {
  const args = [SCRIPT, '--mode', mode, '--port', '0', '--lifetime', String(options.lifetimeSeconds ?? 120)];
  if (options.dripMs !== undefined) args.push('--drip-ms', String(options.dripMs));
  const child = spawn(options.python ?? 'python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let first = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`hostile server (${mode}) printed no port within 60 s: ${stderr}`));
    }, 60_000); // the large modes write their listing to a temporary file first
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (resolved) return;
      reject(new Error(`hostile server (${mode}) exited with ${code}: ${stderr}`));
    });
    let peak = 0;
    const commands: string[] = [];
    let resolved = false;
    child.stdout.on('data', (chunk: Buffer) => {
      first += chunk.toString();
      const lines = first.split('\n');
      first = lines.pop() ?? '';
      for (const line of lines) {
        const peakLine = /^peak-connections (\d+)$/.exec(line.trim());
        const commandLine = /^command (.+)$/.exec(line.trim());
        if (peakLine) {
          peak = Math.max(peak, Number(peakLine[1]));
        } else if (commandLine) {
          commands.push(commandLine[1] ?? '');
        } else if (!resolved && /^\d+$/.test(line.trim())) {
          resolved = true;
          clearTimeout(timer);
          const port = Number(line.trim());
          resolve({ mode, port, url: `redis://127.0.0.1:${port}`, process: child, peakConnections: () => peak, commands: () => [...commands], stop });
        }
      }
    });
  });
}
