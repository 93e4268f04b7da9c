import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClientLine, parseClientList, splitAddress } from '../../lambda/core/parse-client-list.js';

/** Fixture text without its `//` provenance header. */
function readFixture(name: string): string {
  const raw = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  return raw.split('\n').filter((line) => !line.startsWith('//')).join('\n');
}

// Field lists per version, as documented at the top of each fixture (from networking.c / the command docs).
const redis62 = 'id addr laddr fd name age idle flags db sub psub multi qbuf qbuf-free argv-mem obl oll omem tot-mem events cmd user redir';
const redis70 = 'id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp';
const redis72 = `${redis70} lib-name lib-ver`;
const redis74 = redis72.replace('multi qbuf', 'multi watch qbuf');
const redis80 = `${redis74} io-thread`;
const valkey80 = `${redis74} tot-net-in tot-net-out tot-cmds`;
const valkey81 = valkey80.replace('flags db', 'flags capa db');

const fixtures = [
  {
    file: 'client-list-redis-6.2.txt', fields: redis62, count: 4,
    expected: [
      { id: 3, sourceIp: '10.0.1.17', sourcePort: 52044, idleSeconds: 86400, ssub: 0, libName: '', libVer: '', cmd: 'get' },
      { id: 4, name: 'worker-7', flags: 'b', db: 1, user: 'queue' },
      { id: 9, sourceIp: '2001:db8::17', sourcePort: 41000, sub: 2, psub: 1, flags: 'P' },
      { id: 12, sourceIp: 'unix:/var/run/redis/redis.sock', sourcePort: null, flags: 'U', cmd: 'client' },
    ],
  },
  {
    file: 'client-list-redis-7.0.txt', fields: redis70, count: 7,
    expected: [
      { id: 10, name: '', cmd: 'client|setname' },
      { id: 5, sourceIp: '127.0.0.2', sourcePort: 40941, name: 'orders-api=v2' },
      { id: 11, cmd: 'client|list' },
      { id: 6, sourceIp: '::1', sourcePort: 34086, flags: 'b', cmd: 'blpop' },
      { id: 7, sourceIp: 'unix:/tmp/rla-capture/redis.sock', sourcePort: null, flags: 'PU', sub: 1 },
      { id: 8, flags: 'P', sub: 0, psub: 1 },
      { id: 9, flags: 'x', db: 2, multi: 1, user: 'default', libName: '' },
    ],
  },
  {
    file: 'client-list-redis-7.2.txt', fields: redis72, count: 4,
    expected: [
      { id: 21, libName: 'redis-py', libVer: '5.0.1', idleSeconds: 5400 },
      { id: 22, name: 'billing', user: 'billing', libName: 'go-redis(app=billing,go1.22.1)', libVer: '9.5.1' },
      { id: 25, ssub: 3, flags: 'P', libName: 'node-redis' },
      { id: 30, libName: '', libVer: '', cmd: 'client|list' },
    ],
  },
  {
    file: 'client-list-redis-7.4.txt', fields: redis74, count: 3,
    expected: [
      { id: 40, multi: -1, cmd: 'watch', libName: 'jedis' },
      { id: 41, flags: 'x', db: 3, multi: 3 },
      { id: 47, sourceIp: '127.0.0.1', sourcePort: 50600 },
    ],
  },
  {
    file: 'client-list-redis-8.0.txt', fields: redis80, count: 2,
    expected: [{ id: 7, libName: 'ioredis', libVer: '5.4.1' }, { id: 8, cmd: 'client|list' }],
  },
  {
    file: 'client-list-valkey-8.0.txt', fields: valkey80, count: 3,
    expected: [
      { id: 101, name: 'sessions', libName: 'valkey-glide', idleSeconds: 7100 },
      { id: 102, sourceIp: 'fd00:10:1::22', sourcePort: 40114, flags: 'b', user: 'worker' },
      { id: 107, cmd: 'client|list' },
    ],
  },
  {
    file: 'client-list-valkey-8.1.txt', fields: valkey81, count: 3,
    expected: [
      { id: 5, cmd: 'ping' },
      { id: 6, name: 'reader', flags: 'r', libName: 'valkey-go' },
      { id: 9, sourceIp: 'unix:/run/valkey/valkey.sock', sourcePort: null },
    ],
  },
];

describe('parseClientList on each server version', () => {
  it.each(fixtures)('reads every line of $file', ({ file, count }) => {
    const parsed = parseClientList(readFixture(file));

    expect(parsed.clients).toHaveLength(count);
    expect(parsed.malformedLines).toBe(0);
    expect(parsed.malformedExamples).toEqual([]);
  });

  it.each(fixtures)('keeps every documented field of $file, in server order', ({ file, fields }) => {
    const { clients } = parseClientList(readFixture(file));

    for (const client of clients) expect(Object.keys(client.fields)).toEqual(fields.split(' '));
  });

  it.each(fixtures)('types the fields of $file', ({ file, expected }) => {
    const { clients } = parseClientList(readFixture(file));

    expected.forEach((want, i) => expect(clients[i]).toMatchObject(want));
  });

  it.each(fixtures)('reads $file the same with CRLF line endings', ({ file }) => {
    const text = readFixture(file);

    expect(parseClientList(text.replace(/\n/g, '\r\n'))).toEqual(parseClientList(text));
  });

  it('reads the capa field of Valkey 8.1, empty or set, as an ordinary field', () => {
    const { clients } = parseClientList(readFixture('client-list-valkey-8.1.txt'));

    expect(clients.map((c) => c.fields.capa)).toEqual(['', 'r', '']);
  });
});

const base = 'id=7 addr=10.0.0.1:5000 age=10 idle=2';

describe('parseClientLine edge cases', () => {
  it.each([
    { case: 'a name containing =', line: `${base} name=a=b=c`, want: { name: 'a=b=c', fields: expect.objectContaining({ name: 'a=b=c' }) } },
    { case: 'an empty name', line: `${base} name= flags=N`, want: { name: '', flags: 'N' } },
    { case: 'a loopback IPv6 address', line: 'id=1 addr=[::1]:1234 age=0 idle=0', want: { sourceIp: '::1', sourcePort: 1234 } },
    { case: 'a full IPv6 address', line: 'id=1 addr=[2001:db8::1]:6379 age=0 idle=0', want: { sourceIp: '2001:db8::1', sourcePort: 6379 } },
    { case: 'an IPv4-mapped IPv6 address', line: 'id=1 addr=[::ffff:10.0.0.1]:5 age=0 idle=0', want: { sourceIp: '::ffff:10.0.0.1', sourcePort: 5 } },
    { case: 'a unix socket', line: 'id=1 addr=/tmp/redis.sock:0 age=0 idle=0 flags=U', want: { sourceIp: 'unix:/tmp/redis.sock', sourcePort: null } },
    { case: 'a relative unix socket path (flag U)', line: 'id=1 addr=redis.sock:0 age=0 idle=0 flags=U', want: { sourceIp: 'unix:redis.sock', sourcePort: null } },
    { case: 'surrounding whitespace and CR', line: `  \t${base} cmd=get \r`, want: { id: 7, cmd: 'get' } },
    { case: 'doubled spaces between tokens', line: 'id=7  addr=10.0.0.1:5000   age=10 idle=2', want: { id: 7, idleSeconds: 2 } },
    { case: 'fields in shuffled order', line: 'cmd=get idle=2 user=app age=10 addr=10.0.0.1:5000 multi=0 id=7 flags=x', want: { id: 7, user: 'app', multi: 0, flags: 'x' } },
    {
      case: 'defaults when an old server omits fields', line: base,
      want: { name: '', flags: '', db: 0, sub: 0, psub: 0, ssub: 0, multi: -1, cmd: '', user: 'default', libName: '', libVer: '' },
    },
    {
      case: 'unknown fields, kept as text', line: `${base} io-thread=3 future-field=x=y __proto__=p constructor=c empty=`,
      want: { fields: { id: '7', addr: '10.0.0.1:5000', age: '10', idle: '2', 'io-thread': '3', 'future-field': 'x=y', ['__proto__']: 'p', constructor: 'c', empty: '' } },
    },
  ])('reads $case', ({ line, want }) => {
    expect(parseClientLine(line)).toMatchObject(want);
  });

  it('keeps a __proto__ field as an own property without touching the prototype', () => {
    const client = parseClientLine(`${base} __proto__=p`);

    expect(Object.getPrototypeOf(client?.fields)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(client?.fields, '__proto__')?.value).toBe('p');
  });

  it.each([
    { case: 'no id', line: 'addr=10.0.0.1:5000 age=1 idle=1' },
    { case: 'no addr', line: 'id=1 age=1 idle=1' },
    { case: 'an empty addr', line: 'id=1 addr= age=1 idle=1' },
    { case: 'no age', line: 'id=1 addr=10.0.0.1:5000 idle=1' },
    { case: 'no idle', line: 'id=1 addr=10.0.0.1:5000 age=1' },
    { case: 'a token without =', line: `${base} oops` },
    { case: 'a token with an empty key', line: `${base} =value` },
    { case: 'a negative id', line: 'id=-1 addr=10.0.0.1:5000 age=1 idle=1' },
    { case: 'a non-numeric age', line: 'id=1 addr=10.0.0.1:5000 age=abc idle=1' },
    { case: 'a fractional idle', line: 'id=1 addr=10.0.0.1:5000 age=1 idle=1.5' },
    { case: 'an id beyond 2^53', line: 'id=99999999999999999 addr=10.0.0.1:5000 age=1 idle=1' },
    { case: 'a corrupt known counter', line: `${base} db=x` },
    { case: 'a multi below -1', line: `${base} multi=-2` },
    { case: 'a line cut mid-token', line: 'id=7 addr=10.0.0.1:5000 age=10 idl' },
    { case: 'a line cut before idle', line: 'id=7 addr=10.0.0.1:5000 age=10' },
    { case: 'binary garbage', line: '\u0000\u00ff\u0001=\u0002 \ufffd' },
    { case: 'a blank line', line: '   ' },
  ])('rejects $case', ({ line }) => {
    expect(parseClientLine(line)).toBeNull();
  });
});

describe('parseClientList accounting', () => {
  it('reads an empty reply as zero clients and zero malformed lines', () => {
    expect(parseClientList('')).toEqual({ clients: [], malformedLines: 0, malformedExamples: [] });
  });

  it('skips blank and whitespace-only lines, including the trailing one', () => {
    const parsed = parseClientList(`\n${base}\r\n   \r\n\t\n${base.replace('id=7', 'id=8')}\n`);

    expect(parsed.clients.map((c) => c.id)).toEqual([7, 8]);
    expect(parsed.malformedLines).toBe(0);
  });

  it('counts every malformed line but keeps only the first five examples, each cut to 200 chars', () => {
    const bad = Array.from({ length: 7 }, (_, i) => `garbage-${i} ${'x'.repeat(300)}`);
    const parsed = parseClientList([base, ...bad].join('\n'));

    expect(parsed.clients).toHaveLength(1);
    expect(parsed.malformedLines).toBe(7);
    expect(parsed.malformedExamples).toEqual(bad.slice(0, 5).map((line) => line.slice(0, 200)));
  });
});

describe('splitAddress', () => {
  it.each([
    { addr: '127.0.0.1:6379', sourceIp: '127.0.0.1', sourcePort: 6379 },
    { addr: '[::1]:1234', sourceIp: '::1', sourcePort: 1234 },
    { addr: '[fe80::1%eth0]:80', sourceIp: 'fe80::1%eth0', sourcePort: 80 },
    { addr: '/tmp/dir:with:colons/redis.sock:0', sourceIp: 'unix:/tmp/dir:with:colons/redis.sock', sourcePort: null },
    { addr: '?:0', sourceIp: '?', sourcePort: 0 },
    { addr: '10.0.0.1:notaport', sourceIp: '10.0.0.1', sourcePort: null },
    { addr: '10.0.0.1:70000', sourceIp: '10.0.0.1', sourcePort: null },
    { addr: '2001:db8::1', sourceIp: '2001:db8::1', sourcePort: null },
    { addr: 'hostonly', sourceIp: 'hostonly', sourcePort: null },
  ])('splits $addr', ({ addr, sourceIp, sourcePort }) => {
    expect(splitAddress(addr)).toEqual({ sourceIp, sourcePort });
  });
});
