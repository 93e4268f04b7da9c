// The words for a leak's origins, shared by the finding's message and fix and by every output that lists
// them (terminal, e-mail, chat): the place in the code first, since that is what the reader opens.
import type { AuditPolicy } from '../model.js';
import { formatSeconds } from './format.js';
import type { LeakBasis, OriginsOfLeak } from './leaking-origins.js';
import type { FindingOrigin } from './types.js';

/** Origins a sentence names one by one; the rest are summed. */
const NAMED_IN_TEXT = 2;

/** `src/handlers/user.ts:42`, or `hashed origin #1a2b3c4d`. */
export function originWords(origin: string): string {
  return origin.startsWith('#') ? `hashed origin ${origin}` : origin;
}

function basisWords(basis: LeakBasis, policy: AuditPolicy): string {
  switch (basis) {
    case 'used-once': return 'idle since they were opened';
    case 'idle': return `idle for ${formatSeconds(policy.idleSeconds)} or more`;
    case 'young': return 'opened during the comparison window and still open';
    case 'subscribers': return 'idle, or with no subscription left';
  }
}

/**
 * `312 connections opened at src/handlers/user.ts:42 are never closed (idle since they were opened)`;
 * several origins: `200 ... at src/a.ts:1 and 150 at src/b.ts:9 ...`, then `and 40 at 3 more origins`.
 */
export function originSentence(leak: OriginsOfLeak, policy: AuditPolicy): string {
  const named = leak.origins.slice(0, NAMED_IN_TEXT);
  const rest = leak.origins.slice(NAMED_IN_TEXT);
  const total = leak.origins.reduce((sum, o) => sum + o.leakingConnections, 0);
  const noun = leak.basis === 'subscribers' ? 'subscriber connection' : 'connection';
  const places = named.map((o, i) => `${o.leakingConnections}${i === 0 ? ` ${noun}${o.leakingConnections === 1 ? '' : 's'} opened` : ''} at ${originWords(o.origin)}`);
  if (rest.length > 0) {
    places.push(`${rest.reduce((sum, o) => sum + o.leakingConnections, 0)} at ${rest.length} more origin${rest.length === 1 ? '' : 's'}`);
  }
  return `${places.join(' and ')} ${total === 1 ? 'is' : 'are'} never closed (${basisWords(leak.basis, policy)})`;
}

/**
 * The fix, pointing at the line: `Open src/handlers/user.ts:42: a client is created there per call and never
 * closed; ...`. A hashed origin is said to be one: the service's own tracking maps it to its file and line.
 */
export function originRecommendation(leak: OriginsOfLeak): string {
  const named = leak.origins.slice(0, NAMED_IN_TEXT);
  const more = leak.origins.length - named.length;
  const places = named.map((o) => (o.hashed ? `the line behind hashed origin ${o.origin}` : o.origin)).join(' and ')
    + (more > 0 ? ` (and ${more} more origin${more === 1 ? '' : 's'} in the report)` : '');
  const there = named.length === 1 ? 'there' : 'at each';
  // Said last: a chat's next step is cut to a few hundred characters, and the fix matters more.
  const hashed = named.filter((o) => o.hashed).length;
  const hashNote = hashed === 0 ? '' : ` The service's own origin tracking maps ${hashed === 1 ? 'the hash' : 'each hash'} to its file and line.`;
  return `Open ${places}: ${fixWords(leak.basis, there)}${hashNote}`;
}

function fixWords(basis: LeakBasis, there: string): string {
  switch (basis) {
    case 'subscribers':
      return `a subscriber connection is created ${there} and never closed; use one subscriber connection per process and add or remove `
        + 'channels on it, and when a subscription ends, `UNSUBSCRIBE` and `await subscriber.quit()`.';
    case 'idle':
      return `connections created ${there} stay open and idle; close them when done (in a finally block), or share one client `
        + '(or a bounded pool with an idle timeout) per process.';
    case 'used-once':
    case 'young':
      return `a client is created ${there} per call and never closed; create one client at startup and share it, or close it in a `
        + 'finally block (`await client.quit()`).';
  }
}

/** `src/handlers/user.ts:42 (312 of its 312 connections), hashed origin #1a2b3c4d (40 of 41)`, each origin escaped by the caller. */
export function originList(origins: readonly FindingOrigin[], escape: (untrusted: string) => string): string {
  return origins.map((o, i) => `${escape(originWords(o.origin))} (${o.leakingConnections} of ${i === 0 ? 'its ' : ''}${o.connections}${i === 0 ? ` connection${o.connections === 1 ? '' : 's'}` : ''})`).join(', ');
}
