// The fix for each pattern, in the words an application developer acts on.
import type { FindingKind } from './types.js';

export const RECOMMENDATIONS: Readonly<Record<FindingKind, string>> = {
  'idle-connections':
    'Reuse connections instead of opening one per request: create one client (or a bounded pool) at start-up and share it. '
    + 'Where a connection is opened on purpose, close it in a finally block (`await client.quit()`), also on error paths. '
    + 'Set a server `timeout` (e.g. 300 s) so abandoned connections are reaped, and `tcp-keepalive` to drop dead peers.',
  'connection-growth':
    'This workload keeps opening connections and not closing them: the leak signature. Look for a client created per request, '
    + 'job or message (`new Redis()` / `createClient()` inside a handler) and not closed with `await client.quit()` in a finally block; '
    + 'cap pools with a maximum size.',
  'connection-churn':
    'Connections are opened and closed at a high rate: the application is not pooling. Keep long-lived clients or a pool '
    + '(one per process), and make sure serverless handlers create the client outside the handler so invocations reuse it.',
  'pubsub-leak':
    'Subscriber connections are created and never closed. Use one subscriber connection per process and add/remove channels on it; '
    + 'when a subscription ends, `UNSUBSCRIBE` and `await subscriber.quit()`.',
  'blocked-clients':
    'Blocking calls (BLPOP, BRPOP, BLMOVE, XREAD BLOCK, WAIT...) with no timeout hold a connection forever when the caller goes away. '
    + 'Pass a timeout (e.g. 5 s) and loop, and close the connection when the worker stops.',
  'open-transaction':
    'Connections are left inside MULTI without EXEC or DISCARD, usually because an error path skipped them. '
    + 'Wrap transactions so that every path ends with EXEC or DISCARD (try/finally), or use the client library\'s pipeline/multi API.',
  'maxclients-pressure':
    'The server is close to maxclients: new connections will soon be refused. Find the largest sources in this report and fix their leaks; '
    + 'raise maxclients (or move to a larger node type) only as a stop-gap.',
  'maxclients-exhausted':
    'The server refuses new connections (maxclients reached): applications are failing now. Close the leaking sources '
    + '(restart the worst offender), set a server `timeout` to reap idle connections, then fix the leak in code.',
  'rejected-connections':
    'The server rejected connections because maxclients was reached. Find the sources holding the most connections and fix their leaks; '
    + 'a server `timeout` reaps idle connections in the meantime.',
  'no-idle-timeout':
    'The server never closes idle connections (`timeout 0`), so every leaked connection lives until the server restarts. '
    + 'Set `timeout` (e.g. 300-3600 s; on ElastiCache in the parameter group) and `tcp-keepalive 300`.',
  'unnamed-clients':
    'Most connections carry no name, so leaks can only be traced to an IP. Name them: `CLIENT SETNAME service-name` '
    + '(ioredis `connectionName`, node-redis `name`, redis-py `client_name`, Jedis `clientName`, go-redis `ClientName`).',
  'client-list-unavailable':
    'CLIENT LIST was refused, so only server-wide counters were checked. Grant the auditor `+client|list` '
    + '(see the README\'s ACL line); on ElastiCache Serverless use the CloudWatch connection metrics instead.',
};
