// CLIENT SETINFO lib-name (Redis 7.2+, Valkey): both libraries already send their own, `ioredis` or
// `node-redis`, and both follow the Redis convention `<library>(<suffix>)` through their `clientInfoTag` option.
// The companion sets that option, so the library keeps sending lib-name (and lib-ver) in its own handshake, on
// every reconnect, ignoring a server that refuses SETINFO (Redis < 7.2). It never replaces a tag the application
// chose, nor turns client info on where the application turned it off.
import type { ClientInfoOptions } from './client-shapes.js';

export const CLIENT_INFO_TAG = 'rla-track';

/** Sets the tag when the application has none; returns the lib-name the library will now send, or null. */
export function tagClientInfo(options: ClientInfoOptions, library: 'ioredis' | 'node-redis'): string | null {
  if (options.disableClientInfo === true) return null;
  if (options.clientInfoTag === undefined || options.clientInfoTag === null || options.clientInfoTag === '') {
    options.clientInfoTag = CLIENT_INFO_TAG;
    return `${library}(${CLIENT_INFO_TAG})`;
  }
  return null;
}

/** Swallows the reply: SETINFO is refused by Redis < 7.2, and a client must not care. */
export function ignoreFailure(promise: Promise<unknown>): void {
  promise.then(() => undefined, () => undefined);
}
