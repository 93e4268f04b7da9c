// The API reference (docs/api.md) is generated from the TSDoc of the package's exports (scripts/api-reference.ts):
// it must be current, and every property of an exported props interface must say what it is and, when optional,
// what happens without it (@default), as CDK users expect of a construct library.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiEntries, apiReference } from '../../scripts/api-reference.js';

const entries = apiEntries();

describe('the API reference', () => {
  it('is generated from the current TSDoc (run `npx tsx scripts/api-reference.ts` after changing a prop)', () => {
    expect(readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8')).toBe(apiReference(entries));
  });

  it('documents every property of every exported interface, with a @default when it is optional', () => {
    const interfaces = entries.filter((e) => e.kind === 'interface');
    expect(interfaces.map((e) => e.name)).toContain('RedisLeakAuditorProps');
    const undocumented = interfaces.flatMap((e) => e.properties.filter((p) => p.description === '').map((p) => `${e.name}.${p.name}: no description`));
    const noDefault = interfaces.flatMap((e) => e.properties.filter((p) => p.optional && !p.defaultText).map((p) => `${e.name}.${p.name}: optional without @default`));
    expect([...undocumented, ...noDefault]).toEqual([]);
  });

  it('documents every construct and its public members', () => {
    const classes = entries.filter((e) => e.kind === 'class');
    expect(classes.map((e) => e.name)).toContain('RedisLeakAuditor');
    expect(classes.filter((e) => e.description === '').map((e) => e.name)).toEqual([]);
    expect(classes.flatMap((e) => e.properties.filter((p) => p.description === '').map((p) => `${e.name}.${p.name}`))).toEqual([]);
  });
});
