// The project's own import graph, read from the sources with the TypeScript parser (not regular
// expressions, which miss `import('./x.js').T` in a type and match imports inside strings), and the
// cycles in it. A type-only edge counts: it still ties two files' reasons to change together.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** file (relative to the root, `/`-separated) -> the project files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'cdk.out', 'coverage']);

/** Every .ts file under `dirs` of `root` (declaration files left out), with its relative imports resolved. */
export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((dir) => tsFiles(join(root, dir)))) {
    const text = readFileSync(file, 'utf8');
    const targets = moduleSpecifiers(file, text)
      .map((specifier) => resolveRelative(file, specifier))
      .filter((target): target is string => target !== null)
      .map((target) => toKey(root, target));
    graph.set(toKey(root, file), [...new Set(targets)]);
  }
  return graph;
}

/** Module names a file imports: import and export declarations, `import type`, `import('...')` in types and calls. */
export function moduleSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first !== undefined && ts.isStringLiteralLike(first)) found.push(first.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The cycles of a graph, one line each (`a.ts -> b.ts -> a.ts`): for every strongly connected part, the
 * shortest cycle through each of its files, without repeats. Empty when the graph has none.
 */
export function findCycles(graph: ImportGraph): string[] {
  const cycles = new Set<string>();
  for (const part of stronglyConnected(graph)) {
    const inPart = new Set(part);
    for (const start of part) {
      const cycle = shortestCycle(graph, start, inPart);
      if (cycle === null) continue;
      const files = rotateToSmallest(cycle);
      cycles.add([...files, files[0]].join(' -> '));
    }
  }
  return [...cycles].sort();
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIPPED_DIRS.has(name) ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `./x.js`, `./x` or `./x.ts` from `file` -> the .ts file it names (or its index.ts); null for packages and other files. */
function resolveRelative(file: string, specifier: string): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const base = resolve(dirname(file), specifier);
  const stem = base.replace(/\.(js|ts|mjs|mts)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function toKey(root: string, file: string): string {
  return relative(root, file).split('\\').join('/');
}

/** Tarjan's algorithm, iterative; only the parts that hold a cycle (two files or more, or a file importing itself). */
function stronglyConnected(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const parts: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const part: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        part.push(member);
        if (member === frame.node) break;
      }
      if (part.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) parts.push(part.sort());
    }
  }
  return parts;
}

/** Breadth-first from `start` back to it, inside `allowed`: the files of the cycle, `start` first. */
function shortestCycle(graph: ImportGraph, start: string, allowed: ReadonlySet<string>): string[] | null {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i += 1) {
    const node = queue[i]!;
    for (const to of graph.get(node) ?? []) {
      if (!allowed.has(to)) continue;
      if (to === start) {
        const path = [node];
        for (let at = node; at !== start; at = cameFrom.get(at)!) path.unshift(cameFrom.get(at)!);
        return path;
      }
      if (cameFrom.has(to)) continue;
      cameFrom.set(to, node);
      queue.push(to);
    }
  }
  return null;
}

/** The same cycle always reads the same way: it starts at its alphabetically first file. */
function rotateToSmallest(cycle: readonly string[]): string[] {
  const first = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(first), ...cycle.slice(0, first)];
}
