// What one sample of a node leaves for listing the next one by id (core/id-scan.ts), kept in the state
// between runs. Ids only grow while the server process runs, so the ids found, the highest id covered and
// the stretch not yet scanned are all the next sample needs.

/** What the previous sample of a node left for planning the next one. */
export interface CollectionMemory {
  readonly runId: string;
  /** INFO's total_connections_received that goes with `maxId`: the next sample's new ids are counted from it. */
  readonly totalConnectionsReceived: number;
  /** The highest id covered: every id up to it was looked up (but those below `unscannedBelow`). */
  readonly maxId: number;
  /** Ids of the clients listed, ascending. */
  readonly ids: readonly number[];
  /** Ids below this one were not looked up yet (a first scan cut short); absent or 1: none left. */
  readonly unscannedBelow?: number;
}

/** Ids for the state file: ascending, delta-encoded in base 36, about 2-3 characters an id. */
export function encodeIds(ids: readonly number[]): string {
  let previous = 0;
  return ids.map((id) => {
    const delta = (id - previous).toString(36);
    previous = id;
    return delta;
  }).join(',');
}

export function decodeIds(text: string): number[] | null {
  if (text === '') return [];
  const ids: number[] = [];
  let previous = 0;
  for (const part of text.split(',')) {
    const delta = Number.parseInt(part, 36);
    if (!/^[0-9a-z]+$/.test(part) || !Number.isSafeInteger(delta)) return null;
    previous += delta;
    ids.push(previous);
  }
  return ids;
}
