// What the audited redis-server itself says about the listing commands, read over the bench's control
// connection: INFO commandstats (calls and total µs of `client|list`, exact) and SLOWLOG with a 0 µs threshold
// (each command's own µs: the longest one). The slow log times the command's loop only, not the parsing of its
// arguments nor freeing them; the PING prober sees those too. CONFIG RESETSTAT is never used: it would zero
// total_connections_received, which the by-id listing plans from.
import type { RespClient, RespValue } from '../cli/demo/resp-client.js';

/** Slow log entries kept: the prober's PINGs are logged too (about 3,000 a second). */
export const SLOWLOG_MAX_LEN = 200_000;

export interface CommandStats {
  readonly calls: number;
  readonly usec: number;
}

export interface SlowlogRead {
  /** Server µs of each CLIENT LIST command (any form: plain, ID ...), oldest first. */
  readonly clientListUs: readonly number[];
  /** Every entry, PINGs included: at SLOWLOG_MAX_LEN the oldest were dropped and the read is incomplete. */
  readonly entries: number;
  readonly overflowed: boolean;
}

async function info(control: RespClient, section: string): Promise<string> {
  return String(await control.command('INFO', section));
}

function field(text: string, name: string): number {
  const value = new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`INFO has no ${name}`);
  return Number(value);
}

export async function totalConnectionsReceived(control: RespClient): Promise<number> {
  return field(await info(control, 'stats'), 'total_connections_received');
}

export async function connectedClients(control: RespClient): Promise<number> {
  return field(await info(control, 'clients'), 'connected_clients');
}

export async function serverVersion(control: RespClient): Promise<string> {
  return /^redis_version:(\S+)/m.exec(await info(control, 'server'))?.[1] ?? 'unknown';
}

export async function configNumber(control: RespClient, name: string): Promise<number> {
  const reply = await control.command('CONFIG', 'GET', name);
  return Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
}

/** calls and usec of each named command (`client|list`, `client|kill`) so far, from one INFO commandstats (zero before the first). */
export async function commandStats<N extends string>(control: RespClient, names: readonly N[]): Promise<Record<N, CommandStats>> {
  const text = await info(control, 'commandstats');
  const stats = {} as Record<N, CommandStats>;
  for (const name of names) {
    const match = new RegExp(`^cmdstat_${name.replace('|', '\\|')}:calls=(\\d+),usec=(\\d+)`, 'm').exec(text);
    stats[name] = { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0) };
  }
  return stats;
}

/** calls and usec of `client|list` so far (zero before the first one). */
export async function clientListStats(control: RespClient): Promise<CommandStats> {
  return (await commandStats(control, ['client|list']))['client|list'];
}

/** Every command logged from now on (threshold 0 µs), up to SLOWLOG_MAX_LEN entries. */
export async function logEveryCommand(control: RespClient): Promise<void> {
  await control.command('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await control.command('CONFIG', 'SET', 'slowlog-max-len', String(SLOWLOG_MAX_LEN));
}

export async function resetSlowlog(control: RespClient): Promise<void> {
  await control.command('SLOWLOG', 'RESET');
}

/**
 * The slow log's entries of the named commands (`client list`, `client kill`: name and subcommand) since the last
 * reset (`SLOWLOG GET -1`: all of them, Redis 7+), the server µs of each, oldest first.
 */
export async function readSlowlog<N extends string>(control: RespClient, commands: readonly N[]): Promise<{ readonly us: Record<N, number[]>; readonly entries: number; readonly overflowed: boolean }> {
  const entries = await control.command('SLOWLOG', 'GET', '-1');
  if (!Array.isArray(entries)) throw new Error('SLOWLOG GET answered no list');
  const us = Object.fromEntries(commands.map((c) => [c, [] as number[]])) as Record<N, number[]>;
  for (const entry of [...(entries as RespValue[])].reverse()) {
    if (!Array.isArray(entry)) continue;
    const [, , micros, args] = entry;
    const command = Array.isArray(args) ? args.slice(0, 2).map(String).join(' ').toLowerCase() : '';
    if (typeof micros === 'number' && (commands as readonly string[]).includes(command)) us[command as N].push(micros);
  }
  return { us, entries: entries.length, overflowed: entries.length >= SLOWLOG_MAX_LEN };
}

/** The CLIENT LIST entries of the slow log since the last reset. */
export async function readClientListSlowlog(control: RespClient): Promise<SlowlogRead> {
  const { us, entries, overflowed } = await readSlowlog(control, ['client list']);
  return { clientListUs: us['client list'], entries, overflowed };
}
