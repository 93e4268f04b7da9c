// Every figure the README gives of the bench comes from the latest results file: the generated block must be
// what bench/readme-figures.ts writes from bench/results.json (run `npm run bench:readme` after a bench).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { END, readResults, renderFigures, START, withFigures } from '../../bench/readme-figures.js';

const root = new URL('../..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const results = readResults(new URL('bench/results.json', root).pathname);

describe('the README\'s measured figures', () => {
  it('are the block bench/readme-figures.ts writes from bench/results.json', () => {
    const block = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
    expect(block).toBe(renderFigures(results));
  });

  it('give the machine, the date and the spread', () => {
    const block = renderFigures(results);
    expect(block).toContain(results.date.slice(0, 10));
    expect(block).toContain(results.machine.cpuModel);
    expect(block).toMatch(/median \(min-max\) of \d+ interleaved repetitions/);
  });

  it('replace only the block between the markers', () => {
    expect(withFigures(`a\n${START}\nold\n${END}\nb`, 'NEW')).toBe('a\nNEW\nb');
    expect(() => withFigures('no markers', 'NEW')).toThrow(/no <!-- bench:figures:start/);
  });
});
