// How long a client has been idle, with nothing done per command: neither library emits an event per command,
// and wrapping commands is what the companion promises not to do. An ioredis client exposes its socket
// (`client.stream`), whose byte counters Node keeps anyway; the meter reads them only when someone looks
// (openClients(), the exit report). Counters that moved since the last look mean the client was used in between,
// so idle is counted from that look: a lower bound ("idle at least"), never an idle client that was in fact
// busy, and exact to the interval between looks. The first look starts the count. node-redis hides its socket,
// so its idle is unknown (null) and the age is what the registry gives; the server's CLIENT LIST has each
// connection's exact idle, and the connection name is what joins it to this line of code.

export class IdleMeter {
  private lastBytes: number | null = null;
  private activeAt: number | null = null;

  /**
   * Seconds idle at least, as of `now` (ms), given the socket's bytes read and written so far; null when unknown
   * (no socket now, or this is the first look).
   */
  look(now: number, bytes: number | null): number | null {
    if (bytes === null) return null;
    if (bytes !== this.lastBytes) {
      this.lastBytes = bytes;
      const first = this.activeAt === null;
      this.activeAt = now;
      return first ? null : 0;
    }
    return this.activeAt === null ? null : Math.max(0, Math.floor((now - this.activeAt) / 1000));
  }
}
