/**
 * The package as its users get it: these sources built, packed by npm, installed into a fresh
 * project from npm's cache, imported by name through every subpath of "exports" on Node, Deno
 * and Bun, type-checked by tsc, and judged by publint and are-the-types-wrong. One build, one
 * pack, one install (about a minute).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

type Target = string | { types: string; default: string };
interface Manifest {
  name: string;
  bin: Record<string, string>;
  files: string[];
  exports: Record<string, Target>;
  sideEffects: string[] | false;
}
const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as Manifest;
const subpaths = Object.keys(manifest.exports);
/** The specifier a user writes for a subpath: `x0tta6bl4`, `x0tta6bl4/loop`... */
const specifier = (subpath: string) => manifest.name + subpath.slice(1);
const isJson = (subpath: string) => subpath.endsWith('.json');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never throws, the exit code tells. */
function run(file: string, args: string[], cwd: string, timeout = 300_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

/** Runs a program that must succeed; its output otherwise explains the failure. */
async function mustRun(file: string, args: string[], cwd: string): Promise<string> {
  const ran = await run(file, args, cwd);
  if (ran.code !== 0)
    throw new Error(`${file} ${args.join(' ')} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

/**
 * A module that imports every subpath by name, each on its own so that one failure names its
 * subpath, and prints the sorted export names of each (or the error) as JSON.
 */
function importEverySubpath(): string {
  const lines = subpaths.map((subpath) => {
    // A JSON module's names are its default export's keys (Bun also exposes them as named ones).
    const names = isJson(subpath)
      ? `Object.keys((await import('${specifier(subpath)}', { with: { type: 'json' } })).default)`
      : `Object.keys(await import('${specifier(subpath)}'))`;
    return `try { found['${subpath}'] = ${names}.sort(); } catch (e) { found['${subpath}'] = { error: String(e?.message ?? e) }; }`;
  });
  return ['const found = {};', ...lines, 'console.log(JSON.stringify(found));', ''].join('\n');
}

/** A TypeScript module that imports every code subpath by name, for tsc. */
function typeEverySubpath(): string {
  const code = subpaths.filter((s) => !isJson(s));
  return [
    ...code.map((subpath, i) => `import * as m${i} from '${specifier(subpath)}';`),
    `export const modules = [${code.map((_, i) => `m${i}`).join(', ')}];`,
    '',
  ].join('\n');
}

let work: string;
let tarball: string;
let packed: string[];
let project: string;
let onNode: Record<string, string[] | { error: string }>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'x0tta6bl4-package-'));
  // A fresh build of these sources (the tsc step of `npm run build`; the wasm step's output is
  // in src/ already) into a staging copy, so neither a stale dist/ nor the shared one is used.
  const stage = join(work, 'stage');
  await mustRun(bin('tsc'), ['-p', 'tsconfig.json', '--outDir', join(stage, 'dist')], repo);
  for (const entry of ['package.json', 'README.md', 'LICENSE', ...manifest.files.filter((f) => f !== 'dist')])
    await cp(join(repo, entry), join(stage, entry), { recursive: true });
  const [pack] = JSON.parse(
    await mustRun('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], stage),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, pack.filename);
  packed = pack.files.map((f) => f.path).sort();

  project = join(work, 'project');
  await mkdir(project);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await mustRun(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    project,
  );
  await writeFile(join(project, 'imports.mjs'), importEverySubpath());
  onNode = JSON.parse(await mustRun(process.execPath, ['imports.mjs'], project));
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the build, the runbooks, the JSON Schemas, README and LICENSE: no sources, tests or source maps', () => {
    const unexpected = packed.filter(
      (p) =>
        !/^(package\.json|README\.md|LICENSE|dist\/(src|workers)\/.+\.(js|d\.ts)|knowledge\/runbooks\/[^/]+\.md|knowledge\/runbook\.schema\.json|(dist\/)?schema\/(config|topology)\.schema\.json)$/.test(
          p,
        ),
    );
    // The operator's files' schemas: published for editors and validators, and in the build for the parsers.
    expect(packed).toEqual(
      expect.arrayContaining(['schema/config.schema.json', 'dist/schema/topology.schema.json']),
    );
    expect(unexpected).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(packed.some((p) => p.startsWith('knowledge/runbooks/'))).toBe(true);
    const targets = [
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((t) => (typeof t === 'string' ? [t] : [t.types, t.default])),
    ].map((t) => t.replace(/^\.\//, ''));
    expect(targets.filter((t) => !packed.includes(t))).toEqual([]);
  });

  it('gives each module one subpath, with its declarations beside it', () => {
    const modules = Object.entries(manifest.exports).map(([subpath, t]) => {
      if (typeof t === 'string') return t;
      expect(t.types, subpath).toBe(t.default.replace(/\.js$/, '.d.ts'));
      return t.default;
    });
    expect(new Set(modules).size).toBe(modules.length);
  });

  it('declares side effects for the worker entries and the command, each pattern naming packed files', () => {
    const globs = manifest.sideEffects as string[];
    const matches = (glob: string, path: string) =>
      new RegExp(`^${glob.replace(/^\.\//, '').replace(/\./g, '\\.').replace('*', '[^/]+')}$`).test(path);
    for (const glob of globs)
      expect(
        packed.some((p) => matches(glob, p)),
        glob,
      ).toBe(true);
    // A worker entry exposes its API when loaded: a bundler must never drop it.
    const entries = packed.filter((p) =>
      /^dist\/workers\/[^/]+\.js$|crash-worker\.js$|cli\/main\.js$/.test(p),
    );
    expect(entries.length).toBeGreaterThan(2);
    expect(entries.filter((p) => !globs.some((glob) => matches(glob, p)))).toEqual([]);
  });

  it('passes publint, warnings included', async () => {
    const ran = await run(bin('publint'), ['--strict', tarball], work);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  });

  it('passes are-the-types-wrong as an ESM-only package', async () => {
    const ran = await run(
      bin('attw'),
      ['--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-emoji', tarball],
      work,
    );
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
  });
});

describe('the installed package', () => {
  it('imports by name through every subpath on Node', () => {
    const failed = Object.entries(onNode).filter(([, names]) => !Array.isArray(names));
    expect(failed).toEqual([]);
    expect(Object.keys(onNode).sort()).toEqual([...subpaths].sort());
    for (const [subpath, names] of Object.entries(onNode))
      expect((names as string[]).length, subpath).toBeGreaterThan(0);
  });

  it('imports the same names through every subpath on Deno', async () => {
    const out = await mustRun(
      bin('deno'),
      ['run', '-A', '--node-modules-dir=manual', 'imports.mjs'],
      project,
    );
    expect(JSON.parse(out)).toEqual(onNode);
  });

  it('imports the same names through every subpath on Bun', async () => {
    const out = await mustRun(bin('bun'), ['imports.mjs'], project);
    expect(JSON.parse(out)).toEqual(onNode);
  });

  it("resolves every subpath's types under tsc, and its declarations type-check", async () => {
    await writeFile(join(project, 'types.ts'), typeEverySubpath());
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: [] },
        files: ['types.ts'],
      }),
    );
    const ran = await run(bin('tsc'), ['-p', 'tsconfig.json'], project);
    // Errors inside other packages' declarations are theirs (PGlite's need @types/emscripten).
    const ours = `${ran.stdout}${ran.stderr}`
      .split('\n')
      .filter((line) => /error TS\d+/.test(line))
      .filter(
        (line) => !line.startsWith('node_modules/') || line.startsWith(`node_modules/${manifest.name}/`),
      );
    expect(ours).toEqual([]);
  });

  it('runs its command: help, and readiness of the installed deployment files', async () => {
    const command = join(project, 'node_modules', '.bin', manifest.name);
    expect(await mustRun(command, ['help'], project)).toContain('usage: x0tta6bl4 <command>');
    const report = JSON.parse(
      await mustRun(command, ['readiness', '--only', 'deploy', '--json'], project),
    ) as {
      checks: { id: string; status: string }[];
    };
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({
      'deploy.engines': 'pass',
      'deploy.wasm-artifacts': 'pass',
      'deploy.entry-points': 'pass',
      'deploy.runbook-corpus': 'pass',
    });
  });
});
