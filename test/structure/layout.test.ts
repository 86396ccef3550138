// The layout stays a tree: no file under src/ reaches itself through its relative imports, no two
// top-level folders of src/ import each other, and the domain imports no storage engine (type-only
// and dynamic imports included: they are how a newcomer reads the dependencies).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.{1,2}\/[^']+)'|\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/gm;
/** The domain: what the app does, declaring what it needs of storage as interfaces of its own. */
const DOMAIN = ['accounts', 'session', 'signin', 'state', 'verify'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => resolve(dirname(file), match[1] ?? match[2]));
}

/** Every cycle found by a depth-first walk, each as the files along it. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/** `accounts/` for src/accounts/..., `app.ts` for a file directly under src/. */
const topLevel = (file: string) => {
  const [first, ...rest] = relative(SRC, file).split('/');
  return rest.length === 0 ? first : `${first}/`;
};

/** Each import from one top-level folder into another, as "from -> to: file -> file". */
function folderImports(graph: Map<string, string[]>): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const [file, imports] of graph) {
    for (const target of imports) {
      const [from, to] = [topLevel(file), topLevel(target)];
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      edges.set(key, [...(edges.get(key) ?? []), `${relative(SRC, file)} -> ${relative(SRC, target)}`]);
    }
  }
  return edges;
}

/** Pairs of top-level folders that import each other, with the imports each way. */
export function mutualFolders(graph: Map<string, string[]>): string[] {
  const edges = folderImports(graph);
  return [...edges.keys()]
    .filter((key) => key.endsWith('/') && key.split(' -> ')[0].endsWith('/'))
    .filter((key) => {
      const [from, to] = key.split(' -> ');
      return from < to && edges.has(`${to} -> ${from}`);
    })
    .flatMap((key) => {
      const [from, to] = key.split(' -> ');
      return [...(edges.get(key) ?? []), ...(edges.get(`${to} -> ${from}`) ?? [])];
    });
}

const sourceGraph = () => new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));

describe('the source layout', () => {
  it('finds a cycle when there is one (the walk itself works)', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no import cycles under src/', () => {
    const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => relative(SRC, file)).join(' → '));
    expect(cycles).toEqual([]);
  });

  it('finds two folders that import each other, a type import included (the check itself works)', () => {
    const file = (path: string) => join(SRC, path);
    const graph = new Map([
      [file('a/one.ts'), [file('b/two.ts')]],
      [file('b/two.ts'), [file('c.ts')]],
      [file('b/three.ts'), [file('a/four.ts')]],
    ]);
    expect(mutualFolders(graph)).toEqual(['a/one.ts -> b/two.ts', 'b/three.ts -> a/four.ts']);
  });

  it('has no two top-level folders under src/ that import each other', () => {
    expect(mutualFolders(sourceGraph())).toEqual([]);
  });

  it('keeps storage engines out of the domain: no domain folder imports src/storage/', () => {
    const intoStorage = [...folderImports(sourceGraph())]
      .filter(([key]) => DOMAIN.some((folder) => key === `${folder}/ -> storage/`))
      .flatMap(([, imports]) => imports);
    expect(intoStorage).toEqual([]);
  });
});
