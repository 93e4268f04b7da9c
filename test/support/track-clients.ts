// Helpers for the companion's tests (redis-leak-auditor/track): where a test file created a client (found by a
// marker comment in its own source, independently of the stack parsing under test), what the server lists under
// a name, and closing every client a test made, whatever state it is in.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RespClient } from '../../cli/demo/resp-client.js';
import { parseClientList } from '../../lambda/core/parse-client-list.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { waitFor } from './wait.js';

/** `path:line` of the line in `fileUrl` (a test's import.meta.url) that ends with `// origin: <marker>`. */
export function originOfMarker(fileUrl: string, marker: string): string {
  const file = fileURLToPath(fileUrl);
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.trimEnd().endsWith(`// origin: ${marker}`));
  if (index < 0) throw new Error(`no line ends with "// origin: ${marker}" in ${file}`);
  return `${relative(process.cwd(), file)}:${index + 1}`;
}

/** The server's clients, read on a control connection. */
export async function clientList(control: RespClient): Promise<ClientRecord[]> {
  return parseClientList(String(await control.command('CLIENT', 'LIST'))).clients;
}

/** Waits until the server lists `count` connections named `name` (and returns them). */
export async function waitForNamed(control: RespClient, name: string, count = 1, timeoutMs = 5000): Promise<ClientRecord[]> {
  return waitFor(async () => (await clientList(control)).filter((c) => c.name === name), (named) => named.length === count,
    { what: `${count} connection(s) named ${name}`, timeoutMs });
}

/** Anything a test opened: ioredis (disconnect), node-redis client, pool or cluster (destroy). */
export interface Closable {
  disconnect?: () => unknown;
  destroy?: () => unknown;
}

/** Ends every client in `clients` (and empties it), ignoring clients already closed. */
export function closeAll(clients: Closable[]): void {
  for (const client of clients.splice(0)) {
    try {
      if (typeof client.destroy === 'function') client.destroy();
      else client.disconnect?.();
    } catch {
      // already closed
    }
  }
}
