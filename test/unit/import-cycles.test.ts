// No import cycles in the shipped code (lambda/, lib/, cli/, bin/): a cycle means two files that cannot be
// understood, tested or changed apart, and each back edge is usually a type declared in the wrong file.
// Type-only imports count, `import type` and `import('./x.js').T` alike.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, moduleSpecifiers } from '../support/import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the import graph of lambda/, lib/, cli/ and bin/', () => {
  it('has no cycle', () => {
    const graph = importGraph(ROOT, ['lambda', 'lib', 'cli', 'bin']);
    expect(graph.size).toBeGreaterThan(100); // the files were really read
    expect(findCycles(graph)).toEqual([]);
  });
});

describe('reading imports', () => {
  it('finds value, type, re-export, type-position and dynamic imports, and nothing inside strings or comments', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "type E = import('./e.js').E;",
      "const f = await import('./f.js');",
      "const text = \"import { g } from './g.js'\";",
      "// import { h } from './h.js';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(moduleSpecifiers('x.ts', text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js', 'node:fs']);
  });
});

describe('finding cycles', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it('finds none in a graph without one', () => {
    expect(findCycles(graph({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([]);
  });

  it('names a two-file cycle once, from its first file', () => {
    expect(findCycles(graph({ 'b.ts': ['a.ts'], 'a.ts': ['b.ts'], 'c.ts': ['a.ts'] }))).toEqual(['a.ts -> b.ts -> a.ts']);
  });

  it('names every shortest cycle of a tangle, and a file importing itself', () => {
    expect(findCycles(graph({
      'a.ts': ['b.ts'], 'b.ts': ['c.ts', 'a.ts'], 'c.ts': ['b.ts'], 'd.ts': ['d.ts'],
    }))).toEqual(['a.ts -> b.ts -> a.ts', 'b.ts -> c.ts -> b.ts', 'd.ts -> d.ts']);
  });

  it('finds a long cycle', () => {
    expect(findCycles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['d.ts'], 'd.ts': ['a.ts'] }))).toEqual(['a.ts -> b.ts -> c.ts -> d.ts -> a.ts']);
  });
});
