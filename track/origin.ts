// The origin part of a connection name: where the client was created, as a path relative to the application's
// root and a line (`src/handlers/user.ts:42`), or, with hashOrigin, `#` and the first 8 hex digits of that
// location's SHA-256 (`#1a2b3c4d`): a name then says which line without telling the server the source layout.
// Relative paths make the name (and its hash) the same on every machine and in every container.
import { createHash } from 'node:crypto';
import { isAbsolute, relative, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locationPart } from '../lambda/core/origin-name.js';
import { applicationCallSite, type CallSite } from './call-site.js';

/** What the name says when no application frame is found (the stack was cut, or all of it is dependencies). */
export const UNKNOWN_LOCATION = locationPart('unknown', 0); // `./unknown:0`, still read as an origin

/** `src/handlers/user.ts:42` for a call site under `root`; a path outside root keeps its `../`. */
export function relativeLocation(site: CallSite, root: string): string {
  return locationPart(relativePath(site.file, root), site.line);
}

function relativePath(file: string, root: string): string {
  let path = file;
  if (path.startsWith('file://')) {
    try {
      path = fileURLToPath(path);
    } catch {
      path = path.slice('file://'.length); // a Windows file URL read on POSIX: keep what it says
    }
  }
  if (/^[A-Za-z]:[\\/]/.test(path)) return /^[A-Za-z]:[\\/]/.test(root) ? win32.relative(root, path) : path;
  return isAbsolute(path) ? relative(root, path) : path;
}

/** `#` and 8 hex digits: the first 32 bits of the location's SHA-256. */
export function hashedLocation(location: string): string {
  return `#${createHash('sha256').update(location).digest('hex').slice(0, 8)}`;
}

/** The origin of the call whose stack is given, as a name part. */
export function originOf(stack: string, options: { readonly selfDir: string; readonly root: string; readonly hash: boolean }): string {
  const site = applicationCallSite(stack, options.selfDir);
  const location = site === null ? UNKNOWN_LOCATION : relativeLocation(site, options.root);
  return options.hash ? hashedLocation(location) : location;
}
