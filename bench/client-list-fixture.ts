// Deterministic generator of realistic CLIENT LIST replies (and a matching INFO), for the benchmarks.
//
// Field set and order: Redis 7.4's catClientInfoString (7.2 is the same without `watch`), see
// test/fixtures/client-list-redis-7.{2,4}.txt. The population mimics a production server with a leak: a web tier
// and workers on many hosts, one host holding thousands of connections idle since birth, a host that churns
// (young connections), pub/sub listeners (some with no subscription left), blocked and MULTI clients, client
// names (one with `=` in it), several ACL users and libraries, a few IPv6 clients, one unix-socket client, one
// replica link and, last, the auditor's own connection. Same seed, same text, byte for byte.

export type FixtureVersion = '7.2' | '7.4';

export interface FixtureOptions {
  /** Number of client lines, the auditor's own included. */
  readonly lines: number;
  /** @default 20240501 */
  readonly seed?: number;
  /** @default '7.4' */
  readonly version?: FixtureVersion;
}

/** One generated client line: every field as printed, in the server's order. */
export type FixtureFields = Readonly<Record<string, string>>;

export interface ClientListFixture {
  readonly text: string;
  /** The fields of each line, in order: the ground truth the parsers are checked against. */
  readonly records: readonly FixtureFields[];
  /** `addr` of the last line, the auditor's own connection (excluded from the analysis). */
  readonly auditorAddress: string;
}

export const FIXTURE_SIZES = [1_000, 10_000, 65_000] as const;
export const DEFAULT_SEED = 20240501;
const SERVER_ADDR = '10.0.0.5:6379';
const UNIX_SOCKET = '/var/run/redis/redis.sock';

/** mulberry32: small, fast, and the same sequence on every platform. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rng {
  readonly next: () => number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

function rng(seed: number): Rng {
  const next = random(seed);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  };
}

/** What a kind of client looks like; `weight` is its share of the lines. */
interface Profile {
  readonly weight: number;
  readonly hosts: readonly string[];
  readonly make: (r: Rng) => ProfileClient;
}

interface ProfileClient {
  name: string;
  age: number;
  idle: number;
  flags: string;
  db: number;
  sub: number;
  psub: number;
  multi: number;
  watch: number;
  cmd: string;
  user: string;
  libName: string;
  libVer: string;
  resp: number;
}

const hostRange = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);

const plain = (overrides: Partial<ProfileClient>): ProfileClient => ({
  name: '', age: 3600, idle: 0, flags: 'N', db: 0, sub: 0, psub: 0, multi: -1, watch: 0, cmd: 'get',
  user: 'default', libName: '', libVer: '', resp: 2, ...overrides,
});

const PROFILES: readonly Profile[] = [
  { // the web tier: pooled, busy, long-lived
    weight: 40,
    hosts: [...hostRange('10.0.1.', 10, 24), '2001:db8:10::21', '2001:db8:10::22'],
    make: (r) => {
      const age = r.int(600, 400_000);
      return plain({ name: r.pick(['api', 'web', 'checkout', 'sessions', '']), age, idle: r.int(0, Math.min(age, 40)),
        cmd: r.pick(['get', 'set', 'hget', 'hgetall', 'mget', 'expire', 'evalsha', 'ping', 'zadd', 'incr']),
        user: r.pick(['app', 'app', 'default']), libName: r.pick(['node-redis', 'node-redis', '']), libVer: '5.8.2', resp: r.pick([2, 3]) });
    },
  },
  { // the leak (two pods of one service): connections opened per request and never closed, idle since birth
    weight: 22,
    hosts: ['10.0.3.17', '10.0.3.18'],
    make: (r) => {
      const age = r.int(300, 90_000);
      return plain({ age, idle: Math.max(0, age - r.int(0, 1)), cmd: r.pick(['get', 'client|setinfo', 'NULL']),
        user: 'app', libName: 'redis-py', libVer: '5.0.1' });
    },
  },
  { // workers: blocking pops, some stuck without a timeout
    weight: 14,
    hosts: hostRange('10.0.2.', 40, 12),
    make: (r) => {
      const blocked = r.chance(0.35);
      const age = r.int(60, 200_000);
      return plain({ name: r.pick(['worker-1', 'worker-2', 'celery', 'job=import']), age, idle: blocked ? r.int(0, Math.min(age, 3600)) : r.int(0, 5),
        flags: blocked ? 'b' : 'N', cmd: blocked ? r.pick(['blpop', 'brpop', 'xreadgroup', 'bzpopmin']) : r.pick(['lpush', 'xack', 'rpush']),
        user: 'worker', libName: 'redis-py', libVer: r.pick(['5.0.1', '4.6.0']) });
    },
  },
  { // churn: a job that connects for every task
    weight: 10,
    hosts: ['10.0.4.9', '10.0.4.10'],
    make: (r) => {
      const age = r.int(0, 45);
      return plain({ name: 'cron', age, idle: r.int(0, age), cmd: r.pick(['set', 'get', 'del']), user: 'app', libName: 'go-redis', libVer: '9.5.1', resp: 3 });
    },
  },
  { // pub/sub listeners, some left with no subscription
    weight: 6,
    hosts: hostRange('10.0.5.', 20, 4),
    make: (r) => {
      const empty = r.chance(0.2);
      const pattern = !empty && r.chance(0.3);
      const age = r.int(600, 500_000);
      return plain({ name: 'notifier', age, idle: r.int(0, age), flags: 'P', sub: empty || pattern ? 0 : r.int(1, 4), psub: pattern ? r.int(1, 2) : 0,
        cmd: empty ? 'unsubscribe' : pattern ? 'psubscribe' : 'subscribe', user: 'app', libName: 'Lettuce', libVer: '6.3.2.RELEASE', resp: 3 });
    },
  },
  { // transactions, a few abandoned inside MULTI
    weight: 3,
    hosts: hostRange('10.0.6.', 5, 3),
    make: (r) => {
      const inMulti = r.chance(0.5);
      const age = r.int(300, 50_000);
      return plain({ name: 'cart', age, idle: r.int(0, age), flags: inMulti ? 'x' : 'N', multi: inMulti ? r.int(0, 4) : -1,
        watch: r.int(0, 2), cmd: inMulti ? r.pick(['multi', 'incr', 'hset']) : 'watch', user: 'app', libName: 'jedis', libVer: '5.1.0' });
    },
  },
  { // tracking clients and reporting jobs
    weight: 4,
    hosts: [...hostRange('10.0.7.', 2, 3), '::1'],
    make: (r) => {
      const age = r.int(60, 86_400);
      return plain({ name: r.pick(['reports', 'cache-sync']), age, idle: r.int(0, age), flags: r.pick(['t', 'N']), db: r.int(0, 3),
        cmd: r.pick(['scan', 'info', 'get', 'hgetall']), user: 'reporting', libName: r.pick(['lettuce', 'redis-rs', '']), libVer: '0.25.3' });
    },
  },
  { // admin tools
    weight: 1,
    hosts: ['127.0.0.1'],
    make: (r) => plain({ age: r.int(0, 5000), idle: r.int(0, 600), cmd: r.pick(['info', 'slowlog|get', 'ping']) }),
  },
];

const TOTAL_WEIGHT = PROFILES.reduce((total, p) => total + p.weight, 0);

function pickProfile(r: Rng): Profile {
  let point = r.next() * TOTAL_WEIGHT;
  for (const profile of PROFILES) {
    point -= profile.weight;
    if (point < 0) return profile;
  }
  return PROFILES[0] as Profile;
}

/** Generates the fields of every line. Deterministic for a given size, seed and version. */
export function generateClientRecords(options: FixtureOptions): FixtureFields[] {
  const r = rng(options.seed ?? DEFAULT_SEED);
  const version = options.version ?? '7.4';
  const count = Math.max(1, Math.floor(options.lines));
  const records: FixtureFields[] = [];
  const nextPort = new Map<string, number>();
  let id = 1000 + r.int(0, 50);
  for (let i = 0; i < count; i++) {
    id += r.int(1, 4);
    const fd = 8 + i;
    if (i === count - 1) {
      records.push(line(version, id, '10.0.0.99:51000', SERVER_ADDR, fd,
        plain({ name: 'redis-leak-auditor', age: 0, idle: 0, cmd: 'client|list', user: 'auditor' }), { qbuf: 26, qbufFree: 20448, argvMem: 10 }));
      continue;
    }
    if (count > 20 && i === Math.floor(count / 3)) {
      records.push(line(version, id, `${UNIX_SOCKET}:0`, `${UNIX_SOCKET}:0`, fd, plain({ age: r.int(100, 9000), idle: r.int(0, 90), flags: 'U', cmd: 'ping' })));
      continue;
    }
    if (count > 20 && i === 1) {
      records.push(line(version, id, '10.0.9.2:6379', SERVER_ADDR, fd, plain({ age: 700_000, idle: 0, flags: 'S', cmd: 'replconf', libName: '', libVer: '' })));
      continue;
    }
    const profile = pickProfile(r);
    const host = r.pick(profile.hosts);
    // Ephemeral ports 32768-60999 (Linux), rising per source as a real client's do.
    const previousPort = nextPort.get(host) ?? 32768 + r.int(0, 10000);
    const port = previousPort >= 60990 ? 32768 : previousPort + r.int(1, 3);
    nextPort.set(host, port);
    const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    records.push(line(version, id, addr, host === '::1' ? '[::1]:6379' : host.includes(':') ? '[2001:db8:10::5]:6379' : SERVER_ADDR, fd, profile.make(r), {
      qbuf: 0, qbufFree: r.chance(0.1) ? 20474 : 0, argvMem: 0, rbs: r.pick([1024, 1024, 16384, 32768]),
    }));
  }
  return records;
}

interface Buffers {
  qbuf?: number;
  qbufFree?: number;
  argvMem?: number;
  rbs?: number;
}

function line(version: FixtureVersion, id: number, addr: string, laddr: string, fd: number, c: ProfileClient, b: Buffers = {}): FixtureFields {
  const rbs = b.rbs ?? 16384;
  const multiMem = c.multi > 0 ? 96 * c.multi : 0;
  const fields: Record<string, string> = {
    id: String(id), addr, laddr, fd: String(fd), name: c.name, age: String(c.age), idle: String(c.idle), flags: c.flags,
    db: String(c.db), sub: String(c.sub), psub: String(c.psub), ssub: '0', multi: String(c.multi),
  };
  if (version === '7.4') fields.watch = String(c.watch);
  Object.assign(fields, {
    qbuf: String(b.qbuf ?? 0), 'qbuf-free': String(b.qbufFree ?? 0), 'argv-mem': String(b.argvMem ?? 0), 'multi-mem': String(multiMem),
    rbs: String(rbs), rbp: String(b.qbuf ?? 0), obl: '0', oll: '0', omem: '0', 'tot-mem': String(1928 + rbs + multiMem + (b.qbufFree ?? 0)),
    events: 'r', cmd: c.cmd, user: c.user, redir: '-1', resp: String(c.resp), 'lib-name': c.libName, 'lib-ver': c.libName === '' ? '' : c.libVer,
  });
  return fields;
}

/** The reply text as the server sends it: `key=value` tokens joined by spaces, every line ending in `\n`. */
export function formatClientList(records: readonly FixtureFields[]): string {
  let text = '';
  for (const record of records) {
    let first = true;
    for (const key in record) {
      text += `${first ? '' : ' '}${key}=${record[key] ?? ''}`;
      first = false;
    }
    text += '\n';
  }
  return text;
}

export function generateClientList(options: FixtureOptions): ClientListFixture {
  const records = generateClientRecords(options);
  const last = records[records.length - 1];
  return { text: formatClientList(records), records, auditorAddress: last?.addr ?? '' };
}

/** An INFO reply consistent with the fixture (what assessAudit reads next to CLIENT LIST). */
export function generateInfoText(connectedClients: number): string {
  const sections: Record<string, Record<string, string | number>> = {
    Server: { redis_version: '7.4.1', redis_mode: 'standalone', run_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', uptime_in_seconds: 864_000 },
    Clients: { connected_clients: connectedClients, maxclients: 65_000, blocked_clients: Math.round(connectedClients * 0.05), pubsub_clients: Math.round(connectedClients * 0.06), tracking_clients: 0 },
    Stats: { total_connections_received: connectedClients * 40, rejected_connections: 0 },
    Replication: { role: 'master', connected_slaves: 1 },
  };
  return Object.entries(sections)
    .map(([name, fields]) => `# ${name}\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n`)
    .join('\r\n');
}
