// The project carries its own design (docs/design.md): no file may point at a design document outside the
// repository, and the sections that comments cite must exist there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCANNED = ['bench', 'bin', 'cli', 'docs', 'lambda', 'lib', 'scripts', 'test', 'README.md', 'eslint.config.js'];
const SKIPPED = new Set(['node_modules', 'dist', '__snapshots__', 'fixtures']);

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((name) => !SKIPPED.has(name)).flatMap((name) => filesUnder(join(path, name)));
}

const files = SCANNED.flatMap((entry) => filesUnder(join(ROOT, entry))).filter((f) => /\.(ts|js|mjs|cjs|md|sh)$/.test(f));
const design = readFileSync(join(ROOT, 'docs', 'design.md'), 'utf8');

describe('the design document', () => {
  it('is the repository\'s own: no file refers to a DESIGN.md elsewhere', () => {
    const outside = files.filter((f) => !f.endsWith('design-references.test.ts') && readFileSync(f, 'utf8').includes('DESIGN.md'));
    expect(outside.map((f) => f.slice(ROOT.length + 1))).toEqual([]);
  });

  it('has every section that a file cites as "docs/design.md, <section>"', () => {
    const cited = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/docs\/design\.md,? \(?(Layers|Contract: [A-Za-z ]+?|Facts)\b/g)) cited.add(m[1] as string);
    }
    expect(cited.size).toBeGreaterThan(2);
    const headings = [...design.matchAll(/^## (.+)$/gm)].map((m) => m[1] as string);
    for (const section of cited) expect(headings.some((h) => h.startsWith(section)), `section "${section}"`).toBe(true);
  });
});
