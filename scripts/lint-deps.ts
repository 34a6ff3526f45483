// The dependency check (`npm run lint:deps`): the layering rules of .dependency-cruiser.cjs over
// every import of src/ and workers/, type-only and dynamic imports included. Exits 1 on a
// violation and prints each one with the imports behind it.
//
// dependency-cruiser reads TypeScript only through the TypeScript API (absent from the native
// typescript 7.0; it returns in 7.1), swc or babel, and its CLI refuses Node 20. So Deno's
// parser (`deno info --json`) reads the import graph, each module becomes a JavaScript file of
// bare imports in a temporary mirror of the tree, and dependency-cruiser's API checks the rules
// there. With typescript 7.1 and Node 22, `depcruise src workers` does the same on its own.
//
// Run: npx tsx scripts/lint-deps.ts [tree]   (tree: another checkout to check; default this one)
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';

const repository = fileURLToPath(new URL('..', import.meta.url));
const root = resolve(process.argv[2] ?? repository);
const ROOTS = ['src', 'workers'];

/** One import of the graph: the importing and imported files (repository paths) and its kind. */
interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  dynamic: boolean;
}

/** The part of `deno info --json` read here. */
interface DenoGraph {
  modules: {
    specifier: string;
    local?: string;
    error?: string;
    dependencies?: {
      specifier: string;
      isDynamic?: boolean;
      code?: { specifier?: string; error?: string };
      type?: { specifier?: string; error?: string };
    }[];
  }[];
}

const toPosix = (path: string) => path.split(sep).join('/');

/** Every .ts file under the roots, as repository paths. */
async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ROOTS) {
    for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts'))
        files.push(toPosix(relative(root, join(entry.parentPath, entry.name))));
    }
  }
  return files.sort();
}

/** The repository path of a file: URL, or undefined when it lies outside the repository. */
function repositoryPath(url: string | undefined): string | undefined {
  if (!url?.startsWith('file:')) return undefined;
  const path = toPosix(relative(root, fileURLToPath(url)));
  return path.startsWith('..') || path.startsWith('node_modules/') ? undefined : path;
}

/** The imports between repository files reachable from `files`, read by Deno's parser. */
async function importGraph(
  files: string[],
  scratch: string,
): Promise<{ edges: Edge[]; unresolved: string[] }> {
  const entry = join(scratch, 'all.ts');
  await writeFile(entry, files.map((f) => `import '${pathToFileURL(join(root, f)).href}';\n`).join(''));
  const deno = join(repository, 'node_modules', '.bin', 'deno');
  const { stdout } = await promisify(execFile)(deno, ['info', '--json', entry], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  const graph = JSON.parse(stdout) as DenoGraph;
  const missing = new Set(graph.modules.filter((m) => m.error !== undefined).map((m) => m.specifier));
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const module of graph.modules) {
    const from = repositoryPath(module.specifier);
    if (from === undefined || module.error !== undefined) continue;
    for (const dependency of module.dependencies ?? []) {
      const target = dependency.code?.specifier ?? dependency.type?.specifier;
      const error = dependency.code?.error ?? dependency.type?.error;
      if (error !== undefined || (target !== undefined && missing.has(target))) {
        // Packages are tsc's business; a relative import must name a file of the tree.
        if (dependency.specifier.startsWith('.')) unresolved.push(`${from}: ${dependency.specifier}`);
        continue;
      }
      const to = repositoryPath(target);
      if (to === undefined) continue;
      edges.push({
        from,
        to,
        typeOnly: dependency.code === undefined,
        dynamic: dependency.isDynamic === true,
      });
    }
  }
  return { edges, unresolved };
}

/** The mirror's name for a repository file: dependency-cruiser parses .js without TypeScript. */
const mirrored = (path: string) => `${path.replace(/\.ts$/, '')}.js`;

/** Writes the mirror: one file per module, holding one bare import per dependency. */
async function writeMirror(edges: Edge[], files: string[], mirror: string): Promise<void> {
  const bodies = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const edge of edges) {
    let spec = toPosix(relative(dirname(edge.from), mirrored(edge.to)));
    if (!spec.startsWith('.')) spec = `./${spec}`;
    const lines = bodies.get(edge.from) ?? [];
    lines.push(edge.dynamic ? `import('${spec}');` : `import '${spec}';`);
    bodies.set(edge.from, lines);
    if (!bodies.has(edge.to)) bodies.set(edge.to, []);
  }
  for (const [file, lines] of bodies) {
    const target = join(mirror, mirrored(file));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, `${lines.join('\n')}\n`);
  }
}

const kind = (e: Edge) => (e.typeOnly ? ' (type only)' : e.dynamic ? ' (dynamic)' : '');

/** One line for a violation between two modules. */
function describeImport(violation: IViolation, edges: Edge[], original: Map<string, string>): string {
  const [from, to] = [violation.from, violation.to].map((p) => original.get(p) ?? p);
  const edge = edges.find((e) => e.from === from && e.to === to);
  return `${violation.rule.name}: ${from} -> ${to}${edge ? kind(edge) : ''}`;
}

/**
 * Folder cycles, one finding per group of folders that cycles connect (dependency-cruiser reports
 * a cycle once from every folder on it, and cycles that share a folder are one tangle to undo):
 * the folders, the shortest cycle, and the imports behind each step of every cycle.
 */
function describeCycles(cycles: IViolation[], edges: Edge[]): string[] {
  const chains = cycles.map((v) => [v.from, ...(v.cycle ?? []).map((step) => step.name)]);
  const group = new Map<string, string>();
  const find = (f: string): string => {
    const parent = group.get(f) ?? f;
    return parent === f ? f : find(parent);
  };
  for (const chain of chains) for (const f of chain) group.set(find(f), find(chain[0]));
  const lines: string[] = [];
  for (const root of new Set(chains.map((chain) => find(chain[0])))) {
    const mine = chains.filter((chain) => find(chain[0]) === root).sort((a, b) => a.length - b.length);
    const folders = [...new Set(mine.flat())].sort();
    lines.push(
      `${cycles[0].rule.name}: ${folders.join(', ')} (${mine.length} cycles; shortest: ${mine[0].join(' -> ')})`,
    );
    // A folder's own modules include its sub-folders'; a dependency on a folder is on a module
    // directly inside it (dependency-cruiser's folder scope).
    const steps = new Set(mine.flatMap((chain) => chain.slice(1).map((to, i) => `${chain[i]} ${to}`)));
    const behind = new Set<string>();
    for (const step of [...steps].sort()) {
      const [a, b] = step.split(' ');
      for (const e of edges)
        if (e.from.startsWith(`${a}/`) && dirname(e.to) === b && !e.to.startsWith(`${a}/`))
          behind.add(`    ${e.from} -> ${e.to}${kind(e)}`);
    }
    lines.push(...behind);
  }
  return lines;
}

const scratch = await mkdtemp(join(tmpdir(), 'x0tta6bl4-lint-deps-'));
try {
  const files = await sourceFiles();
  const { edges, unresolved } = await importGraph(files, scratch);
  const mirror = join(scratch, 'tree');
  await writeMirror(edges, files, mirror);
  const { forbidden } = createRequire(import.meta.url)(join(repository, '.dependency-cruiser.cjs'));
  process.chdir(mirror);
  const result = await cruise(ROOTS, {
    validate: true,
    ruleSet: { forbidden },
    doNotFollow: { path: 'node_modules' },
    outputType: 'json',
  });
  const output = (
    typeof result.output === 'string' ? JSON.parse(result.output) : result.output
  ) as ICruiseResult;
  const original = new Map(
    [...new Set(edges.flatMap((e) => [e.from, e.to]).concat(files))].map((f) => [mirrored(f), f]),
  );
  // src/ as a whole holds every other folder, so it closes a cycle with workers/ only when
  // something in src/ imports workers/ (or test/, bench/): that import has a rule of its own.
  const cycles = output.summary.violations.filter(
    (v) => v.cycle !== undefined && ![v.from, ...v.cycle.map((step) => step.name)].includes('src'),
  );
  const imports = output.summary.violations.filter((v) => v.cycle === undefined);
  const findings = [
    ...(cycles.length > 0 ? describeCycles(cycles, edges) : []),
    ...imports.map((v) => describeImport(v, edges, original)),
  ];
  for (const line of unresolved) console.log(`unresolved import: ${line}`);
  for (const line of findings) console.log(line);
  const violations = findings.filter((line) => !line.startsWith(' '));
  console.log(
    `${violations.length} dependency violations, ${unresolved.length} unresolved imports ` +
      `(${files.length} files, ${edges.length} imports between repository files)`,
  );
  process.exitCode = violations.length + unresolved.length === 0 ? 0 : 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
