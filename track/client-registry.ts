// The clients tracked in this process: metadata only, each client held through a WeakRef, so the registry never
// keeps a client (or its socket) alive; a client collected without being closed leaves the registry through the
// FinalizationRegistry. Only open clients are kept, so memory follows the open clients, not every client ever made.
// State comes from the clients' own events (ioredis 'end', node-redis 'end', a node-redis cluster's
// 'disconnect', a pool's close()/destroy()), checked again whenever the registry is looked at, for ends no
// event tells (a node-redis client whose reconnect strategy gave up).
import type { ClientKind, ClientLibrary } from './client-shapes.js';
import { IdleMeter } from './idle-meter.js';
import { TrackWarning } from './track-options.js';

/** A tracked client as openClients() gives it: plain data, ready for JSON (a health endpoint). */
export interface TrackedClient {
  /** The service part of the name, as the server sees it. */
  readonly service: string;
  /** `src/handlers/user.ts:42` or `#1a2b3c4d`. */
  readonly origin: string;
  /** The connection name: `service@origin`. */
  readonly name: string;
  readonly library: ClientLibrary;
  readonly kind: ClientKind;
  /** ISO 8601, when track() ran (right after the client was created). */
  readonly createdAt: string;
  readonly state: 'open' | 'closed';
  readonly ageSeconds: number;
  /** Idle at least this long (ioredis clients), null when unknown: see idle-meter.ts. */
  readonly idleSeconds: number | null;
  /** node-redis pools: the connections the pool holds now. */
  readonly connections?: number;
}

/** How the registry reads a client when it looks; each takes the client, so nothing here holds it. */
export interface ClientProbe {
  /** True when the client has ended in a way no event told. */
  readonly hasEnded: (client: object) => boolean;
  /** Bytes read and written by its current socket, null when unknown. */
  readonly socketBytes: (client: object) => number | null;
  readonly connections?: (client: object) => number;
}

export interface NewEntry {
  readonly service: string;
  readonly origin: string;
  readonly name: string;
  readonly library: ClientLibrary;
  readonly kind: ClientKind;
  readonly maxClientsPerOrigin: number;
  readonly warn: (warning: TrackWarning) => void;
  readonly reportOpenAtExit: boolean;
  readonly probe: ClientProbe;
}

export interface Entry extends NewEntry {
  readonly ref: WeakRef<object>;
  readonly createdAtMs: number;
  closed: boolean;
  readonly idle: IdleMeter;
}

export class ClientRegistry {
  private readonly open = new Set<Entry>();
  private readonly byClient = new WeakMap<object, Entry>();
  private readonly openByName = new Map<string, Set<Entry>>();
  /** Names warned about, until they are back within their bound. */
  private readonly warned = new Set<string>();
  private readonly collected = new FinalizationRegistry<Entry>((entry) => this.closed(entry));

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a client as open; returns its entry, for the event listeners that close and reopen it. */
  add(client: object, entry: NewEntry): Entry {
    const earlier = this.byClient.get(client);
    if (earlier !== undefined) this.closed(earlier); // tracked again: the latest name is the one it has
    const created: Entry = { ...entry, ref: new WeakRef(client), createdAtMs: this.now(), closed: true, idle: new IdleMeter() };
    this.byClient.set(client, created);
    this.collected.register(client, created, created);
    this.opened(created);
    return created;
  }

  opened(entry: Entry): void {
    if (!entry.closed || entry.ref.deref() === undefined || this.byClient.get(entry.ref.deref() as object) !== entry) return;
    entry.closed = false;
    this.open.add(entry);
    const same = this.openByName.get(entry.name) ?? new Set<Entry>();
    same.add(entry);
    this.openByName.set(entry.name, same);
    if (same.size <= entry.maxClientsPerOrigin || this.warned.has(entry.name)) return;
    // Over the bound and not yet told: count only what is still open (a pool closed since the last look must
    // not count). Only then, so that track() stays O(1) however many clients one line holds.
    for (const other of [...same]) if (other !== entry) this.sweepOne(other);
    if (same.size > entry.maxClientsPerOrigin) {
      this.warned.add(entry.name);
      entry.warn(new TrackWarning('RLA_TRACK_TOO_MANY_CLIENTS',
        `${same.size} Redis clients are open from ${entry.name} (more than ${entry.maxClientsPerOrigin}): a client made per `
        + 'request or per call leaks connections; create one client and share it, or close it (quit(), close()) when done'));
    }
  }

  closed(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    this.open.delete(entry);
    const same = this.openByName.get(entry.name);
    same?.delete(entry);
    if (same !== undefined && same.size === 0) this.openByName.delete(entry.name);
    if ((same?.size ?? 0) <= entry.maxClientsPerOrigin) this.warned.delete(entry.name);
  }

  /** The open clients, oldest first; clients that ended or were collected since the last look leave first. */
  openClients(): TrackedClient[] {
    this.sweep();
    return [...this.open].map((entry) => this.describe(entry)).filter((c): c is TrackedClient => c !== null);
  }

  /** The open entries (after a sweep), for the exit report. */
  openEntries(): Entry[] {
    this.sweep();
    return [...this.open];
  }

  /** What the registry knows of one client, open or closed; undefined when it was never tracked. */
  lookUp(client: object): TrackedClient | undefined {
    const entry = this.byClient.get(client);
    if (entry === undefined) return undefined;
    this.sweepOne(entry);
    return this.describe(entry) ?? undefined;
  }

  private sweep(): void {
    for (const entry of [...this.open]) this.sweepOne(entry);
  }

  private sweepOne(entry: Entry): void {
    const client = entry.ref.deref();
    if (client === undefined || (!entry.closed && safely(() => entry.probe.hasEnded(client), false))) this.closed(entry);
  }

  private describe(entry: Entry): TrackedClient | null {
    const client = entry.ref.deref();
    if (client === undefined) return null;
    const now = this.now();
    const connections = entry.probe.connections ? safely(() => entry.probe.connections?.(client), undefined) : undefined;
    return {
      service: entry.service,
      origin: entry.origin,
      name: entry.name,
      library: entry.library,
      kind: entry.kind,
      createdAt: new Date(entry.createdAtMs).toISOString(),
      state: entry.closed ? 'closed' : 'open',
      ageSeconds: Math.max(0, Math.floor((now - entry.createdAtMs) / 1000)),
      idleSeconds: entry.closed ? null : entry.idle.look(now, safely(() => entry.probe.socketBytes(client), null)),
      ...(connections === undefined ? {} : { connections }),
    };
  }
}

/** Reading a client's state must never throw into the application (a health endpoint, process exit). */
function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
