// The connection name the companion (`redis-leak-auditor/track`) gives a client: its service and the line of
// code that created it, `orders-api@src/handlers/user.ts:42` (or `orders-api@#1a2b3c4d` when the origin is
// hashed). One module for both sides: the companion writes names with formatOriginName, the auditor reads them
// with parseOriginName, so the form cannot drift. Pure, and free of imports: the companion ships it as is.
//
// Redis refuses a name with a space, a newline or any byte outside '!'..'~' (CLIENT SETNAME); every name made
// here is printable ASCII without spaces, at most MAX_ORIGIN_NAME_CHARS long.

/** The service part: what the companion was told, reduced to these characters. */
const SERVICE_CHARS = /[^A-Za-z0-9._-]/g;
const MAX_SERVICE_CHARS = 40;
/** A path part: relative to the application's root, '/' separated. */
const PATH_CHARS = /[^A-Za-z0-9._/-]/g;
const MAX_ORIGIN_CHARS = 80;
export const MAX_ORIGIN_NAME_CHARS = MAX_SERVICE_CHARS + 1 + MAX_ORIGIN_CHARS;
/** Marks a path whose beginning was cut to fit. */
const CUT = '...';

/** A source file's name: `name@host:port` conventions (no '/', no such extension) are not taken for origins. */
const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/**
 * `service@path:line` or `service@#hash`: what parseOriginName accepts, exactly what formatOriginName makes. The
 * path holds a '/', ends in a JavaScript or TypeScript extension, or was cut to fit ('...'), so `worker@ip-10-0-1-5:8080`
 * is no origin.
 */
export const ORIGIN_NAME = /^([A-Za-z0-9._-]{1,40})@((?:\.\.\.[A-Za-z0-9._/-]+|[A-Za-z0-9._-]*\/[A-Za-z0-9._/-]*|[A-Za-z0-9._-]*\.[cm]?[jt]sx?):\d{1,7}|#[0-9a-f]{8})$/;

export interface OriginName {
  readonly service: string;
  /** `src/handlers/user.ts:42`, `.../deep/path/file.js:7`, or `#1a2b3c4d` (hashed). */
  readonly origin: string;
}

/** The service as a name part: unsupported characters become '-', at most 40 characters, never empty. */
export function serviceNamePart(service: string): string {
  const part = service.replace(SERVICE_CHARS, '-').slice(0, MAX_SERVICE_CHARS);
  return part === '' ? 'app' : part;
}

/**
 * A code location as a name part: `path` relative to the application root (backslashes become '/', other
 * unsupported characters '_'), cut from the left at a '/' to fit, with the line number.
 */
export function locationPart(path: string, line: number): string {
  const suffix = `:${Math.max(0, Math.min(9_999_999, Math.trunc(line)))}`;
  let clean = path.replace(/\\/g, '/').replace(/^\.?\/+/, '').replace(PATH_CHARS, '_');
  if (clean === '') clean = 'unknown';
  if (!clean.includes('/') && !SOURCE_FILE.test(clean)) clean = `./${clean}`; // still read as a path (ORIGIN_NAME)
  const room = MAX_ORIGIN_CHARS - suffix.length;
  if (clean.length > room) {
    const tail = clean.slice(clean.length - (room - CUT.length));
    const slash = tail.indexOf('/');
    clean = CUT + (slash >= 0 && slash < tail.length - 1 ? tail.slice(slash) : tail);
  }
  return clean + suffix;
}

/** `service@origin`, where origin is a locationPart or `#` and 8 hex digits. */
export function formatOriginName(service: string, origin: string): string {
  return `${serviceNamePart(service)}@${origin}`;
}

/** The service and origin of a name in the companion's form; null for any other name. */
export function parseOriginName(name: string): OriginName | null {
  const match = ORIGIN_NAME.exec(name);
  if (match === null || (match[2] as string).length > MAX_ORIGIN_CHARS) return null;
  return { service: match[1] as string, origin: match[2] as string };
}
