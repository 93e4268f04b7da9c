// Waiting in tests: for something observable (a client in CLIENT LIST, a file, a line, a sample), never for
// a fixed time. `waitFor` polls and fails with what it waited for and the last value it saw; `sleep` is only
// for real time that must pass on a server (Redis measures idle itself), and each use says why.
import { RespClient } from '../../cli/demo/resp-client.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** What is awaited, for the failure message. @default 'the condition' */
  readonly what?: string;
  /** Give up after this long. @default 3000 */
  readonly timeoutMs?: number;
  /** Pause between two probes. @default 25 */
  readonly intervalMs?: number;
}

/**
 * Probes until `ok(value)` holds and returns that value; after timeoutMs throws naming `what` and the last
 * value seen (or the probe's last error).
 */
export async function waitFor<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, options: WaitOptions = {}): Promise<T> {
  const { what = 'the condition', timeoutMs = 3000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen = last === undefined ? 'nothing' : 'error' in last ? `an error: ${String(last.error)}` : describe(last.value);
      throw new Error(`waited ${timeoutMs} ms for ${what}; last seen ${seen}`);
    }
    await sleep(intervalMs);
  }
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 500 ? `${text.slice(0, 500)}... (${text.length} characters)` : text;
}

/** A promise and the function that settles it: an event a test awaits (a callback was called). */
export function signal<T = void>(): { readonly promise: Promise<T>; readonly fire: (value: T) => void } {
  let fire: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => { fire = resolve; });
  return { promise, fire };
}

/**
 * A clock for the auditor (`cli(args, env, clock)`, runAudit's options): `sleep` returns at once and moves
 * `now` on by as much, so that an interval between samples passes for the auditor without real time passing;
 * `startOffsetMs` puts the whole run that much later (a next run, a second on).
 */
export function fastClock(startOffsetMs = 0): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let offsetMs = startOffsetMs;
  return {
    now: () => Date.now() + offsetMs,
    sleep: async (ms) => { offsetMs += ms; },
  };
}

/**
 * Where CLIENT LIST is read: a function that reads it (an existing control connection: nothing new on the
 * server), or a server, through one probe connection from 127.0.0.1 for the whole wait, closed at its end.
 */
export type ClientListSource = { readonly host: string; readonly port: number } | (() => Promise<unknown>);

/**
 * Waits until at least `count` clients from `source` are idle for `idleSeconds` or more, as the server itself
 * says (CLIENT LIST `idle`): Redis measures idle time, so this is real time passing, only no more than needed.
 */
export async function waitForIdle(
  from: ClientListSource, source: string, count: number, idleSeconds: number, timeoutMs = idleSeconds * 1000 + 5000,
): Promise<ClientRecord[]> {
  const probe = typeof from === 'function' ? undefined : await RespClient.connect({ host: from.host, port: from.port });
  const list = probe ? () => probe.command('CLIENT', 'LIST') : (from as () => Promise<unknown>);
  try {
    return await waitFor(async () => parseClientList(String(await list())).clients.filter((c) => c.sourceIp === source),
      (clients) => clients.filter((c) => c.idleSeconds >= idleSeconds).length >= count,
      { what: `${count} clients from ${source} idle ${idleSeconds} s or more`, timeoutMs, intervalMs: 100 });
  } finally {
    await probe?.close();
  }
}
