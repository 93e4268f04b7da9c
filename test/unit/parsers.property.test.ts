import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../lambda/core/model.js';
import { parseClientList, parseClientLine } from '../../lambda/core/parse-client-list.js';
import { parseInfo, readCounters } from '../../lambda/core/parse-info.js';

// What a server may print in a value: printable ASCII without space (CLIENT SETNAME / SETINFO refuse the rest).
const printable = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
const value = fc.string({ unit: printable, maxLength: 24 });
const nonEmptyValue = fc.string({ unit: printable, minLength: 1, maxLength: 24 });
const known = new Set(['id', 'addr', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'cmd', 'user', 'lib-name', 'lib-ver']);
const unknownKey = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/).filter((key) => !known.has(key));
const port = fc.integer({ min: 0, max: 65535 });
const socketPath = fc.array(fc.stringMatching(/^[A-Za-z0-9._:-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

const address = fc.oneof(
  fc.tuple(fc.ipV4(), port).map(([ip, p]) => ({ addr: `${ip}:${p}`, sourceIp: ip, sourcePort: p as number | null, unix: false })),
  fc.tuple(fc.ipV6(), port).map(([ip, p]) => ({ addr: `[${ip}]:${p}`, sourceIp: ip, sourcePort: p as number | null, unix: false })),
  socketPath.map((path) => ({ addr: `${path}:0`, sourceIp: `unix:${path}`, sourcePort: null as number | null, unix: true })),
);

/** A valid CLIENT LIST line in any field order, with optional and unknown fields, and the record it must give. */
const clientLine = fc
  .record({
    id: fc.maxSafeNat(), address, age: fc.maxSafeNat(), idle: fc.maxSafeNat(),
    flags: fc.stringMatching(/^[NPxbtRBdcuArSMOeT]{1,3}$/),
    name: fc.option(value, { nil: undefined }), db: fc.option(fc.nat(), { nil: undefined }),
    sub: fc.option(fc.nat(), { nil: undefined }), psub: fc.option(fc.nat(), { nil: undefined }),
    ssub: fc.option(fc.nat(), { nil: undefined }), multi: fc.option(fc.integer({ min: -1, max: 1e6 }), { nil: undefined }),
    cmd: fc.option(nonEmptyValue, { nil: undefined }), user: fc.option(nonEmptyValue, { nil: undefined }),
    libName: fc.option(value, { nil: undefined }), libVer: fc.option(value, { nil: undefined }),
    unknown: fc.uniqueArray(fc.tuple(unknownKey, value), { selector: ([key]) => key, maxLength: 5 }),
  })
  .chain((c) => {
    const flags = c.address.unix ? `${c.flags}U` : c.flags; // servers flag unix clients with U
    const pairs: [string, string][] = [
      ['id', String(c.id)], ['addr', c.address.addr], ['age', String(c.age)], ['idle', String(c.idle)], ['flags', flags],
    ];
    const optional: [string, string | number | undefined][] = [
      ['name', c.name], ['db', c.db], ['sub', c.sub], ['psub', c.psub], ['ssub', c.ssub], ['multi', c.multi],
      ['cmd', c.cmd], ['user', c.user], ['lib-name', c.libName], ['lib-ver', c.libVer],
    ];
    for (const [key, v] of optional) if (v !== undefined) pairs.push([key, String(v)]);
    pairs.push(...c.unknown);
    const expected: ClientRecord = {
      id: c.id, addr: c.address.addr, sourceIp: c.address.sourceIp, sourcePort: c.address.sourcePort,
      name: c.name ?? '', ageSeconds: c.age, idleSeconds: c.idle, flags, db: c.db ?? 0,
      sub: c.sub ?? 0, psub: c.psub ?? 0, ssub: c.ssub ?? 0, multi: c.multi ?? -1, cmd: c.cmd ?? '',
      user: c.user ?? 'default', libName: c.libName ?? '', libVer: c.libVer ?? '', fields: Object.fromEntries(pairs),
    };
    return fc
      .shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length })
      .map((order) => ({ line: order.map(([key, v]) => `${key}=${v}`).join(' '), expected }));
  });

/** Lines of CLIENT LIST text that hold something besides spaces, tabs and CR (the parser skips the rest). */
function nonBlankLines(text: string): number {
  return text.split('\n').filter((line) => !/^[ \t\r\v\f]*$/.test(line)).length;
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.array(fc.oneof(fc.constantFrom('id=1', 'addr=[::1]:2', 'age=3', 'idle=4', '=', ' ', '\r', '\n', '\t', '#', ':'), fc.string()), { maxLength: 60 })
    .map((parts) => parts.join('')),
);

describe('parseClientLine on generated valid lines', () => {
  it('reads back every field, in any order, with unknown fields, = in values, IPv6 and unix addresses', () => {
    fc.assert(fc.property(clientLine, ({ line, expected }) => {
      expect(parseClientLine(line)).toEqual(expected);
    }));
  });

  it('reads back a whole reply, LF or CRLF, with blank lines', () => {
    fc.assert(fc.property(fc.array(clientLine, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\n\n'), (lines, eol) => {
      const parsed = parseClientList(lines.map((l) => l.line).join(eol) + eol);

      expect(parsed.clients).toEqual(lines.map((l) => l.expected));
      expect(parsed.malformedLines).toBe(0);
    }));
  });

  it('counts garbage lines mixed with valid ones as malformed, and only them', () => {
    const garbage = fc.string({ unit: printable, minLength: 1, maxLength: 40 }).filter((s) => !s.includes('='));
    fc.assert(fc.property(fc.array(fc.oneof(clientLine, garbage), { maxLength: 12 }), (items) => {
      const parsed = parseClientList(items.map((item) => (typeof item === 'string' ? item : item.line)).join('\n'));

      expect(parsed.clients).toEqual(items.flatMap((item) => (typeof item === 'string' ? [] : [item.expected])));
      expect(parsed.malformedLines).toBe(items.filter((item) => typeof item === 'string').length);
    }));
  });
});

/**
 * A reply whose lines mostly share one layout (as a real reply does), with values drawn from small pools so that they
 * repeat. Some lines use a variant layout (two keys swapped, or a key repeated), some are damaged (cut, a token
 * replaced by garbage), some fail validation (empty addr). parseClientList reuses what it learnt from the previous
 * lines; parseClientLine starts from scratch on every line, so it is the reference.
 */
const sameLayoutReply = fc
  .record({
    extra: fc.uniqueArray(fc.constantFrom('laddr', 'fd', 'name', 'flags', 'db', 'sub', 'multi', 'cmd', 'user', 'lib-name', 'capa', '__proto__', 'x-y'), { maxLength: 10 }),
    swap: fc.tuple(fc.nat(), fc.nat()),
    repeat: fc.tuple(fc.nat(), fc.nat()),
  })
  .chain(({ extra, swap, repeat }) => {
    const base = ['id', 'addr', 'age', 'idle', ...extra];
    const swapped = [...base];
    const [a, b] = [swap[0] % base.length, swap[1] % base.length];
    [swapped[a], swapped[b]] = [swapped[b] as string, swapped[a] as string];
    const repeated = [...base];
    repeated.splice(repeat[1] % (base.length + 1), 0, base[repeat[0] % base.length] as string);
    const layouts = [base, base, swapped, repeated, repeated];

    const value = (key: string) => {
      if (key === 'id' || key === 'age' || key === 'idle') return fc.constantFrom('0', '1', '7', '42');
      if (key === 'addr') return fc.constantFrom('10.0.0.1:5', '10.0.0.1:5', '[::1]:6', '/s:0', '');
      return fc.constantFrom('0', '1', '-1', '', 'N', 'a=b', 'get', 'x');
    };
    const line = fc.nat(layouts.length - 1).chain((which) => {
      const keys = layouts[which] as string[];
      return fc.tuple(fc.tuple(...keys.map(value)), fc.constantFrom('none', 'none', 'none', 'cut', 'garbage'), fc.nat()).map(([values, damage, at]) => {
        const tokens = keys.map((key, k) => `${key}=${values[k]}`);
        if (damage === 'garbage') tokens[at % tokens.length] = 'oops';
        const text = tokens.join(' ');
        return damage === 'cut' ? text.slice(0, at % (text.length + 1)) : text;
      });
    });
    return fc.array(line, { maxLength: 30 });
  });

describe('parseClientList on same-layout replies', () => {
  it('gives, line for line, what parseClientLine gives', () => {
    fc.assert(fc.property(sameLayoutReply, (lines) => {
      const parsed = parseClientList(lines.join('\n'));
      const oneByOne = lines.map((line) => parseClientLine(line));

      expect(parsed.clients).toEqual(oneByOne.filter((client) => client !== null));
      expect(parsed.malformedLines).toBe(lines.filter((line, k) => line.trim() !== '' && oneByOne[k] === null).length);
    }), { numRuns: 500 });
  });
});

describe('parseClientList on arbitrary input', () => {
  it('never throws and accounts for every non-blank line', () => {
    fc.assert(fc.property(anyText, (text) => {
      const parsed = parseClientList(text);

      expect(parsed.clients.length + parsed.malformedLines).toBe(nonBlankLines(text));
      expect(parsed.malformedExamples.length).toBe(Math.min(5, parsed.malformedLines));
      for (const example of parsed.malformedExamples) expect(example.length).toBeLessThanOrEqual(200);
    }));
  });

  it('keeps every complete line of a truncated reply', () => {
    fc.assert(fc.property(fc.array(clientLine, { minLength: 1, maxLength: 8 }), fc.nat(), (lines, cutAt) => {
      const text = lines.map((l) => l.line).join('\n');
      const cut = text.slice(0, cutAt % (text.length + 1));
      const complete = cut.split('\n').length - 1;
      const parsed = parseClientList(cut);

      expect(parsed.clients.slice(0, complete)).toEqual(lines.slice(0, complete).map((l) => l.expected));
      expect(parsed.clients.length + parsed.malformedLines).toBe(nonBlankLines(cut));
    }));
  });

  it('handles a huge reply and a huge line', () => {
    const line = 'id=1 addr=10.0.0.1:5 age=1 idle=1 name=n';
    const manyLines = Array.from({ length: 65_000 }, () => line).join('\n');
    const hugeValue = `${line} blob=${'x'.repeat(2_000_000)}`;
    const hugeGarbage = 'y'.repeat(3_000_000);

    expect(parseClientList(manyLines).clients).toHaveLength(65_000);
    expect(parseClientList(hugeValue).clients[0]?.fields.blob).toHaveLength(2_000_000);
    expect(parseClientList(hugeGarbage)).toEqual({ clients: [], malformedLines: 1, malformedExamples: ['y'.repeat(200)] });
  });
});

describe('parseInfo properties', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z_]{0,10}$/);
  const entries = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/), value), { selector: ([key]) => key, maxLength: 8 });
  const sections = fc.uniqueArray(fc.tuple(name, entries), { selector: ([n]) => n.toLowerCase(), maxLength: 6 });

  it('reads back generated sections (values with colons included), CRLF or LF', () => {
    fc.assert(fc.property(sections, fc.constantFrom('\r\n', '\n'), (generated, eol) => {
      const text = generated.map(([n, kv]) => [`# ${n}`, ...kv.map(([k, v]) => `${k}:${v}`)].join(eol)).join(eol + eol) + eol;
      const parsed = parseInfo(text);

      expect(parsed.malformedLines).toBe(0);
      expect(parsed.sections).toEqual(Object.fromEntries(generated.map(([n, kv]) => [n.toLowerCase(), Object.fromEntries(kv)])));
    }));
  });

  it('never throws on arbitrary input and counts at most one malformed line per non-blank line', () => {
    fc.assert(fc.property(anyText, (text) => {
      const parsed = parseInfo(text);

      expect(parsed.malformedLines).toBeLessThanOrEqual(text.split('\n').filter((line) => line.trim() !== '').length);
      expect(() => readCounters(parsed)).not.toThrow();
    }));
  });
});
