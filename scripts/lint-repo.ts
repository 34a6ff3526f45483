// The repository's own lint (`npm run lint:repo`): the conventions of CONTRIBUTING.md that no
// formatter or type checker sees. Prints each finding and exits 1 when there is one.
//
// Run: npx tsx scripts/lint-repo.ts [tree]   (tree: another checkout to check; default this one)
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A file of the tree: its path from the root (with `/`) and its text. */
export interface TreeFile {
  path: string;
  text: string;
}

/** The files of a tree, read once and shared by the checks. */
export interface Tree {
  root: string;
  /** Every .ts file under `dir` (a path from the root), sorted; none when `dir` is absent. */
  files(dir: string): Promise<TreeFile[]>;
  /** The names of the folders directly under `dir`, sorted. */
  folders(dir: string): Promise<string[]>;
  /** The text of `path`, or undefined when there is no such file. */
  read(path: string): Promise<string | undefined>;
}

/** One convention and how to find the places that break it. */
export interface RepositoryCheck {
  /** Stable kebab-case id, e.g. `no-focused-tests`. */
  id: string;
  /** The rule, as a sentence. */
  rule: string;
  /** The places that break the rule ("path:line: text" or a path); none when it holds. */
  findings(tree: Tree): Promise<string[]>;
}

/** Reads `root` as a {@link Tree}. */
export function readTree(root: string): Tree {
  const cache = new Map<string, Promise<TreeFile[]>>();
  const list = async (dir: string): Promise<TreeFile[]> => {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    const paths = entries
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((p) => !p.split('/').includes('node_modules'))
      .sort();
    return Promise.all(paths.map(async (path) => ({ path, text: await readFile(join(root, path), 'utf8') })));
  };
  return {
    root,
    files(dir) {
      let files = cache.get(dir);
      if (!files) cache.set(dir, (files = list(dir)));
      return files;
    },
    async folders(dir) {
      const entries = await readdir(join(root, dir), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    },
    read: (path) =>
      readFile(join(root, path), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      }),
  };
}

/**
 * Blanks out block and line comments, keeping line breaks so line numbers hold. Strings are not
 * parsed, so "//" inside a string also ends the line's code: fine for finding calls.
 */
export function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Lines of `files` that match `pattern` ("path:line: text"); with `codeOnly`, comments are ignored. */
function findLines(files: readonly TreeFile[], pattern: RegExp, codeOnly = false): string[] {
  const found: string[] = [];
  for (const file of files) {
    const text = codeOnly ? stripComments(file.text) : file.text;
    text.split('\n').forEach((line, i) => {
      if (pattern.test(line)) found.push(`${file.path}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  return found;
}

/** Module specifiers of every static and dynamic import and re-export in `text`. */
function importsOf(text: string): string[] {
  const code = stripComments(text);
  return [
    ...code.matchAll(
      /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The first of `paths` that exists, with its text; the last path and undefined when none does. */
async function firstOf(tree: Tree, paths: string[]): Promise<[string, string | undefined]> {
  for (const path of paths) {
    const text = await tree.read(path);
    if (text !== undefined) return [path, text];
  }
  return [paths[paths.length - 1], undefined];
}

/** Generated files are not held to the hand-written conventions. */
const isGenerated = (path: string) => path.startsWith('src/kernels/wasm/') || path.endsWith('.generated.ts');

/** Hand-written TypeScript that ships: src/ and workers/. */
async function shipped(tree: Tree): Promise<TreeFile[]> {
  const files = [...(await tree.files('src')), ...(await tree.files('workers'))];
  return files.filter((f) => !isGenerated(f.path));
}

// Spelled in parts so that this file does not match its own pattern.
const MARKERS = new RegExp(`\\b(${['TO' + 'DO', 'FIX' + 'ME', 'X' + 'XX', 'HA' + 'CK'].join('|')})\\b`);

const SKIPPED_OR_FOCUSED =
  /\b(describe|it|test|suite|bench)\.(skip|only|todo|skipIf|runIf)\b|\b(xit|xtest|xdescribe|fit|fdescribe)\s*\(/;

const PORTABLE_IMPORT = /^(vitest|fast-check|\.\.\/\.\.\/src\/.+|\.\.\/fixtures\/.+|\.\/helpers\/.+)$/;

const CODE_DIRS = ['src', 'workers', 'test', 'bench', 'scripts', 'demo'];

/** The repository's conventions, in the order they are checked. */
export const REPOSITORY_CHECKS: readonly RepositoryCheck[] = [
  {
    id: 'no-work-in-progress-markers',
    rule: `no work-in-progress marker word in ${CODE_DIRS.join('/, ')}/`,
    async findings(tree) {
      const files = (await Promise.all(CODE_DIRS.map((dir) => tree.files(dir)))).flat();
      return findLines(files, MARKERS);
    },
  },
  {
    id: 'folder-headers',
    rule: 'every src/<folder> opens its index.ts (main.ts for a command) with a /** header */ saying what it owns',
    async findings(tree) {
      const found: string[] = [];
      for (const folder of await tree.folders('src')) {
        const index = `src/${folder}/index.ts`;
        const main = `src/${folder}/main.ts`;
        const [path, text] = await firstOf(tree, [index, main]);
        if (text === undefined) found.push(`${index}: missing (nor is there a ${main})`);
        else if (
          !text
            .replace(/^#!.*\n/, '')
            .trimStart()
            .startsWith('/**')
        )
          found.push(`${path}: no header comment`);
      }
      return found;
    },
  },
  {
    id: 'doc-comments',
    rule: 'exported functions and classes of src/ and workers/ have a doc comment',
    async findings(tree) {
      const found: string[] = [];
      for (const file of await shipped(tree)) {
        const lines = file.text.split('\n');
        lines.forEach((line, i) => {
          if (
            /^export (async )?(function|class|abstract class)\b/.test(line) &&
            !lines[i - 1]?.trim().endsWith('*/')
          )
            found.push(`${file.path}:${i + 1}: ${line.trim().slice(0, 80)}`);
        });
      }
      return found;
    },
  },
  {
    id: 'seeded-randomness',
    rule: 'no Math.random in src/ or workers/ (reproducible runs take a seeded PRNG)',
    async findings(tree) {
      return findLines(await shipped(tree), /\bMath\.random\s*\(/, true);
    },
  },
  {
    id: 'module-conventions',
    rule: 'relative imports in src/ and workers/ end in .ts or .json, and nothing is a default export',
    async findings(tree) {
      const files = await shipped(tree);
      const badImports = files.flatMap((file) =>
        importsOf(file.text)
          .filter((spec) => spec.startsWith('.') && !/\.(ts|json)$/.test(spec))
          .map((spec) => `${file.path}: import of ${spec}`),
      );
      return [...badImports, ...findLines(files, /^\s*export\s+default\b/, true)];
    },
  },
  {
    id: 'no-skipped-or-focused-tests',
    rule: 'no .skip/.only/.todo/.skipIf/.runIf, xit/fit or the like in test/ and bench/',
    async findings(tree) {
      const files = [...(await tree.files('test')), ...(await tree.files('bench'))];
      return findLines(files, SKIPPED_OR_FOCUSED, true);
    },
  },
  {
    id: 'folders-tested',
    rule: 'every src/<folder> is imported by at least one test/**/*.test.ts',
    async findings(tree) {
      const imported = new Set<string>();
      for (const suite of await tree.files('test')) {
        if (!suite.path.endsWith('.test.ts')) continue;
        for (const spec of importsOf(suite.text)) {
          const m = /(?:^|\/)src\/([^/]+)\//.exec(spec);
          if (m) imported.add(m[1]);
        }
      }
      return (await tree.folders('src'))
        .filter((f) => !imported.has(f))
        .map((f) => `src/${f}: no suite imports it`);
    },
  },
  {
    id: 'portable-conformance-suites',
    rule: "test/conformance imports only 'vitest', 'fast-check', ../../src/, ../fixtures/ and its ./helpers/",
    async findings(tree) {
      const suites = await tree.files('test/conformance');
      return suites.flatMap((s) =>
        importsOf(s.text)
          .filter((spec) => !PORTABLE_IMPORT.test(spec))
          .map((spec) => `${s.path}: import of ${spec}`),
      );
    },
  },
  {
    id: 'lockfile-in-sync',
    rule: 'package-lock.json (v2+) pins the same dependencies and devDependencies as package.json',
    async findings(tree) {
      type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const pkgText = await tree.read('package.json');
      const lockText = await tree.read('package-lock.json');
      if (pkgText === undefined || lockText === undefined)
        return ['package.json or package-lock.json: missing'];
      const pkg = JSON.parse(pkgText) as Manifest;
      const lock = JSON.parse(lockText) as { lockfileVersion?: number; packages?: Record<string, Manifest> };
      const locked = lock.packages?.[''] ?? {};
      const found =
        (lock.lockfileVersion ?? 0) >= 2 ? [] : [`package-lock.json: lockfile v${lock.lockfileVersion}`];
      for (const kind of ['dependencies', 'devDependencies'] as const) {
        const a = pkg[kind] ?? {};
        const b = locked[kind] ?? {};
        for (const name of new Set([...Object.keys(a), ...Object.keys(b)]))
          if (a[name] !== b[name])
            found.push(
              `package-lock.json: ${kind}.${name} ${b[name] ?? '-'}, package.json ${a[name] ?? '-'}`,
            );
      }
      return found;
    },
  },
];

/** Runs every check on `root`: the findings of each check that found something, by id. */
export async function lintRepository(root: string): Promise<Map<string, string[]>> {
  const tree = readTree(root);
  const failed = new Map<string, string[]>();
  for (const check of REPOSITORY_CHECKS) {
    const found = await check.findings(tree);
    if (found.length > 0) failed.set(check.id, found);
  }
  return failed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
  const failed = await lintRepository(root);
  for (const check of REPOSITORY_CHECKS) {
    const found = failed.get(check.id);
    console.log(`${found ? 'FAIL' : 'ok  '} ${check.id}: ${check.rule}`);
    for (const line of found ?? []) console.log(`       ${line}`);
  }
  process.exitCode = failed.size === 0 ? 0 : 1;
}
