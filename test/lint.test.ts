import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lintRepository, REPOSITORY_CHECKS } from '../scripts/lint-repo.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes a tree: `files` maps relative paths to contents. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'lint-test-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const manifest = (deps: Record<string, string>) => JSON.stringify({ name: 'x', dependencies: deps });
const lockfile = (deps: Record<string, string>) =>
  JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x', dependencies: deps } } });

// Spelled in parts so this suite does not trip the very checks it tests.
const FOCUSED = 'it.' + 'only';
const MARKER = 'TO' + 'DO';

describe('repository lint (scripts/lint-repo.ts)', () => {
  it('finds markers, focused tests, headerless folders, Math.random, bad imports and a stale lockfile', async () => {
    const root = await tree({
      'package.json': manifest({ yaml: '^2.9.1' }),
      'package-lock.json': lockfile({ yaml: '^2.8.0' }),
      'src/good/index.ts': '/** The good folder. */\nexport const x = 1;\n',
      'src/bad/index.ts': `// ${MARKER} later\nexport default function f() { return Math.random(); }\nimport { y } from './y';\n`,
      'src/none/y.ts': '/** Y. */\nexport function y() {}\n\nexport class Z {}\n',
      'test/a.test.ts': `import { it } from 'vitest';\n${FOCUSED}('x', () => {});\n`,
      'test/conformance/c.test.ts': "import { readFileSync } from 'node:fs';\n",
    });
    const failed = await lintRepository(root);
    expect(Object.fromEntries(failed)).toEqual({
      'no-work-in-progress-markers': [`src/bad/index.ts:1: // ${MARKER} later`],
      'folder-headers': [
        'src/bad/index.ts: no header comment',
        'src/none/index.ts: missing (nor is there a src/none/main.ts)',
      ],
      'doc-comments': ['src/none/y.ts:4: export class Z {}'],
      'seeded-randomness': ['src/bad/index.ts:2: export default function f() { return Math.random(); }'],
      'module-conventions': [
        'src/bad/index.ts: import of ./y',
        'src/bad/index.ts:2: export default function f() { return Math.random(); }',
      ],
      'no-skipped-or-focused-tests': [`test/a.test.ts:2: ${FOCUSED}('x', () => {});`],
      'folders-tested': [
        'src/bad: no suite imports it',
        'src/good: no suite imports it',
        'src/none: no suite imports it',
      ],
      'portable-conformance-suites': ['test/conformance/c.test.ts: import of node:fs'],
      'lockfile-in-sync': ['package-lock.json: dependencies.yaml ^2.8.0, package.json ^2.9.1'],
    });
  });

  it('passes on a clean tree, where a command folder keeps its header in main.ts', async () => {
    const root = await tree({
      'package.json': manifest({ yaml: '^2.9.1' }),
      'package-lock.json': lockfile({ yaml: '^2.9.1' }),
      'src/good/index.ts': "/** The good folder. */\nexport { y } from './y.ts';\n",
      'src/good/y.ts': '/** Y. */\nexport function y() {\n  return 1;\n}\n',
      'src/cli/main.ts':
        '#!/usr/bin/env node\n/** The command. */\nimport { y } from "../good/y.ts";\ny();\n',
      'test/cli.test.ts':
        "import { it } from 'vitest';\nimport '../src/cli/main.ts';\nit('runs', () => {});\n",
      'test/conformance/good.test.ts':
        "import { it, expect } from 'vitest';\nimport { y } from '../../src/good/index.ts';\nit('y', () => expect(y()).toBe(1));\n",
    });
    expect(Object.fromEntries(await lintRepository(root))).toEqual({});
    expect(REPOSITORY_CHECKS.map((c) => c.id)).not.toContain('file-length');
  });
});

describe('dependency check (scripts/lint-deps.ts)', () => {
  const lintDeps = (root?: string) =>
    promisify(execFile)('node_modules/.bin/tsx', ['scripts/lint-deps.ts', ...(root ? [root] : [])]).then(
      (done) => ({ code: 0, stdout: done.stdout }),
      (failed: { code: number; stdout: string }) => ({ code: failed.code, stdout: failed.stdout }),
    );

  it('reports upward, type-only and dynamic imports, folder cycles, workers and test imports', async () => {
    const root = await tree({
      'src/errors.ts': "import { nope } from './missing.ts';\nexport const e = nope;\n",
      'src/kernels/k.ts': "import type { A } from '../analyze/a.ts';\nexport type K = A;\n",
      'src/analyze/a.ts': "import { p } from '../plan/p.ts';\nexport interface A { x: typeof p }\n",
      'src/plan/p.ts': "import type { A } from '../analyze/a.ts';\nexport const p = 1;\nexport type P = A;\n",
      'src/plan/u.ts':
        "import { f } from '../../test/f.ts';\nexport const u = () => import('../../workers/w.ts');\nexport const g = f;\n",
      'src/extra/x.ts': "import { e } from '../errors.ts';\nexport const x = e;\n",
      'workers/w.ts': "import { p } from '../src/plan/p.ts';\nexport const w = p;\n",
      'test/f.ts': 'export const f = 1;\n',
    });
    const { code, stdout } = await lintDeps(root);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    for (const expected of [
      'unresolved import: src/errors.ts: ./missing.ts',
      'no-folder-cycle: src/analyze -> src/plan -> src/analyze',
      '    src/plan/p.ts -> src/analyze/a.ts (type only)',
      'no-upward-from-kernels: src/kernels/k.ts -> src/analyze/a.ts (type only)',
      'no-workers-from-src: src/plan/u.ts -> workers/w.ts (dynamic)',
      'workers-import-runtime-and-kernels-only: workers/w.ts -> src/plan/p.ts',
      'no-test-or-bench-from-shipped-code: src/plan/u.ts -> test/f.ts',
      'no-unlayered-module: src/extra/x.ts -> src/errors.ts',
    ])
      expect(lines).toContain(expected);
    // A cycle of two folders is one finding, not one per folder on it.
    expect(lines.filter((l) => l.startsWith('no-folder-cycle: src/plan -> src/analyze')).length).toBe(0);
  }, 60_000);

  it('passes on a tree that keeps the layers', async () => {
    const root = await tree({
      'src/errors.ts': 'export class E extends Error {}\n',
      'src/kernels/k.ts': "import { E } from '../errors.ts';\nexport const k = new E();\n",
      'src/analyze/a.ts': "import { k } from '../kernels/k.ts';\nexport const a = k;\n",
      'workers/w.ts': "import { k } from '../src/kernels/k.ts';\nexport const w = k;\n",
    });
    const { code, stdout } = await lintDeps(root);
    expect(stdout).toContain('0 dependency violations, 0 unresolved imports (4 files, 3 imports');
    expect(code).toBe(0);
  }, 60_000);
});
