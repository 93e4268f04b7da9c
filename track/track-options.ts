// What track() accepts, its defaults, and the warnings it gives. One place for each default.

export interface TrackOptions {
  /** The application's name, the first part of every connection name (`orders-api`). */
  readonly service: string;
  /** Paths in names are relative to this directory. @default process.cwd() */
  readonly root?: string;
  /** Name the origin `#` + 8 hex digits of its SHA-256 instead of `path:line`. @default false */
  readonly hashOrigin?: boolean;
  /** Warn when one origin holds more open clients than this. @default 10 */
  readonly maxClientsPerOrigin?: number;
  /** Receives the companion's warnings. @default process.emitWarning */
  readonly onWarning?: (warning: TrackWarning) => void;
  /** At process exit, print the clients still open, grouped by origin, on stderr. @default false */
  readonly reportOpenAtExit?: boolean;
}

export const DEFAULT_MAX_CLIENTS_PER_ORIGIN = 10;

export type TrackWarningCode =
  /** One origin holds more than maxClientsPerOrigin open clients. */
  | 'RLA_TRACK_TOO_MANY_CLIENTS'
  /** A name could not be set: the client works, unnamed (or under its old name). */
  | 'RLA_TRACK_NAME_FAILED'
  /** The object given is no client the companion knows: returned untouched. */
  | 'RLA_TRACK_UNKNOWN_CLIENT'
  /** Two node-redis clients share one options object, so they share one name. */
  | 'RLA_TRACK_SHARED_OPTIONS';

/** A warning from the companion; `process.emitWarning` prints its name, code and message. */
export class TrackWarning extends Error {
  override name = 'RedisLeakAuditorTrackWarning';
  constructor(readonly code: TrackWarningCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ResolvedTrackOptions {
  readonly service: string;
  readonly root: string;
  readonly hashOrigin: boolean;
  readonly maxClientsPerOrigin: number;
  readonly warn: (warning: TrackWarning) => void;
  /** The handler itself: warnOnce remembers what each handler was told. */
  readonly warningHandler: object;
  readonly reportOpenAtExit: boolean;
}

const emitWarning = (warning: TrackWarning): void => process.emitWarning(warning);

/** Defaults filled in; a bad value throws (a programming error at start-up, not a Redis failure). */
export function resolveTrackOptions(options: TrackOptions): ResolvedTrackOptions {
  if (typeof options?.service !== 'string' || options.service.trim() === '') {
    throw new TypeError('track(client, { service }): service must be the application\'s name, e.g. "orders-api"');
  }
  const max = options.maxClientsPerOrigin ?? DEFAULT_MAX_CLIENTS_PER_ORIGIN;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`track(): maxClientsPerOrigin must be a whole number of 1 or more, got ${String(max)}`);
  }
  const onWarning = options.onWarning ?? emitWarning;
  return {
    service: options.service,
    root: options.root ?? process.cwd(),
    hashOrigin: options.hashOrigin === true,
    maxClientsPerOrigin: max,
    // A warning handler that throws must not break the application's client either.
    warn: (warning) => {
      try {
        onWarning(warning);
      } catch {
        // ignored: see above
      }
    },
    warningHandler: onWarning,
    reportOpenAtExit: options.reportOpenAtExit === true,
  };
}

/** Name failures are told once per handler and code: a fleet of clients failing alike makes one warning. */
const told = new WeakMap<object, Set<TrackWarningCode>>();
export function warnOnce(options: ResolvedTrackOptions, warning: TrackWarning): void {
  const codes = told.get(options.warningHandler) ?? new Set<TrackWarningCode>();
  if (codes.has(warning.code)) return;
  codes.add(warning.code);
  told.set(options.warningHandler, codes);
  options.warn(warning);
}
