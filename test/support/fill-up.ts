// Fills a server up to its maxclients: opens connections until it refuses one (at most `limit`).
import type { LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { RespClient } from '../../cli/demo/resp-client.js';

/** The connections the server accepted; the one it refused is closed (and counted in rejected_connections). */
export async function fillUp(redis: LocalRedisServer, limit = 10): Promise<RespClient[]> {
  const held: RespClient[] = [];
  for (let i = 0; i < limit; i += 1) {
    const next = await RespClient.connect({ host: redis.host, port: redis.port });
    try {
      await next.command('PING');
      held.push(next);
    } catch {
      await next.destroy();
      return held;
    }
  }
  throw new Error(`the server never refused a connection in ${limit} tries`);
}
