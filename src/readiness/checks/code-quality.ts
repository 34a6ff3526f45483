/**
 * Code Quality: the checkout type-checks and follows CONTRIBUTING.md (no work-in-progress
 * markers, a header on every folder's index.ts, doc comments on public functions and classes,
 * seeded randomness, `.ts` relative imports and no default exports, short files). Every check
 * here reads the sources, so it is not applicable when run from an installed package.
 */
import { verdict, type Check } from '../check.ts';
import { withSources } from './with-sources.ts';
import { execProgram } from '../exec.ts';
import { findLines, isGenerated, sample, stripComments } from '../scan.ts';
import { readSources, subdirectories, type SourceFile } from '../source-files.ts';

/** Hand-written TypeScript under src/. */
async function handWritten(root: string): Promise<SourceFile[]> {
  return (await readSources(root, 'src')).filter((f) => !isGenerated(f.path));
}

// Built from parts so that this file does not match its own pattern.
const MARKERS = new RegExp(`\\b(${['TO' + 'DO', 'FIX' + 'ME', 'X' + 'XX', 'HA' + 'CK'].join('|')})\\b`);

const MAX_LINES = 400;

/** The Code Quality checks. */
export const codeQualityChecks: readonly Check[] = [
  {
    id: 'quality.typecheck',
    title: 'TypeScript compiles with no errors (tsc --noEmit)',
    category: 'Code Quality',
    critical: true,
    expected: 'tsc -p tsconfig.json exits 0',
    timeoutMs: 90_000,
    run: withSources(async (root) => {
      const path = await import('node:path');
      const result = await execProgram(
        path.join(root, 'node_modules', '.bin', 'tsc'),
        ['-p', 'tsconfig.json', '--noEmit'],
        root,
        85_000,
      );
      const errors = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
      return verdict(result.code === 0, `exit ${result.code}, ${errors.length} errors`, {
        command: 'tsc -p tsconfig.json --noEmit',
        exitCode: result.code,
        errors: sample(errors),
        durationMs: result.durationMs,
      });
    }),
  },
  {
    id: 'quality.markers',
    title: 'No work-in-progress markers in src/ and test/',
    category: 'Code Quality',
    critical: false,
    expected: '0 lines carrying a work-in-progress marker word',
    run: withSources(async (root) => {
      const files = [...(await readSources(root, 'src')), ...(await readSources(root, 'test'))];
      const found = findLines(files, MARKERS);
      return verdict(found.length === 0, `${found.length} markers in ${files.length} files`, {
        filesScanned: files.length,
        found: sample(found),
      });
    }),
  },
  {
    id: 'quality.folder-headers',
    title: 'Every src/ folder has an index.ts that opens with a header comment',
    category: 'Code Quality',
    critical: false,
    expected: 'each src/<folder>/index.ts exists and starts with /** ... */',
    run: withSources(async (root) => {
      const fs = await import('node:fs/promises');
      const path = await import('node:path');
      const folders = await subdirectories(root, 'src');
      const missing: string[] = [];
      const headerless: string[] = [];
      for (const folder of folders) {
        const file = path.join(root, 'src', folder, 'index.ts');
        const text = await fs.readFile(file, 'utf8').catch(() => undefined);
        if (text === undefined) missing.push(`src/${folder}/index.ts`);
        else if (!text.trimStart().startsWith('/**')) headerless.push(`src/${folder}/index.ts`);
      }
      const bad = missing.length + headerless.length;
      return verdict(bad === 0, `${folders.length - bad}/${folders.length} folders documented`, {
        folders,
        missing,
        headerless,
      });
    }),
  },
  {
    id: 'quality.doc-comments',
    title: 'Exported functions and classes have doc comments',
    category: 'Code Quality',
    critical: false,
    expected: '0 undocumented exported functions or classes in src/',
    run: withSources(async (root) => {
      const files = await handWritten(root);
      const undocumented: string[] = [];
      let exported = 0;
      for (const file of files) {
        const lines = file.text.split('\n');
        lines.forEach((line, i) => {
          if (!/^export (async )?(function|class|abstract class)\b/.test(line)) return;
          exported++;
          if (!lines[i - 1]?.trim().endsWith('*/'))
            undocumented.push(`${file.path}:${i + 1}: ${line.trim().slice(0, 80)}`);
        });
      }
      return verdict(undocumented.length === 0, `${exported - undocumented.length}/${exported} documented`, {
        exported,
        undocumented: sample(undocumented),
      });
    }),
  },
  {
    id: 'quality.seeded-randomness',
    title: 'No Math.random in src/ (reproducible runs take a seeded PRNG)',
    category: 'Code Quality',
    critical: false,
    expected: '0 calls to Math.random outside comments',
    run: withSources(async (root) => {
      const files = await handWritten(root);
      const found = findLines(files, /\bMath\.random\s*\(/, { codeOnly: true });
      return verdict(found.length === 0, `${found.length} calls`, {
        filesScanned: files.length,
        found: sample(found),
      });
    }),
  },
  {
    id: 'quality.module-conventions',
    title: 'Relative imports carry .ts and there are no default exports',
    category: 'Code Quality',
    critical: false,
    expected: "every relative import ends in .ts or .json; 0 'export default'",
    run: withSources(async (root) => {
      const files = await handWritten(root);
      const badImports: string[] = [];
      for (const file of files) {
        const code = stripComments(file.text);
        for (const m of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          if (!/\.(ts|json)$/.test(m[1])) badImports.push(`${file.path}: ${m[1]}`);
        }
      }
      const defaults = findLines(files, /^\s*export\s+default\b/, { codeOnly: true });
      return verdict(
        badImports.length + defaults.length === 0,
        `${badImports.length} bad imports, ${defaults.length} default exports`,
        {
          filesScanned: files.length,
          badImports: sample(badImports),
          defaultExports: sample(defaults),
        },
      );
    }),
  },
  {
    id: 'quality.file-length',
    title: `Hand-written source files stay under ${MAX_LINES} lines`,
    category: 'Code Quality',
    critical: false,
    expected: `every non-generated src/ file has at most ${MAX_LINES} lines`,
    run: withSources(async (root) => {
      const files = await handWritten(root);
      const sizes = files
        .map((f) => ({ path: f.path, lines: f.text.split('\n').length }))
        .sort((a, b) => b.lines - a.lines);
      const long = sizes.filter((s) => s.lines > MAX_LINES).map((s) => `${s.path}: ${s.lines}`);
      return verdict(long.length === 0, `longest ${sizes[0]?.lines ?? 0} lines`, {
        filesScanned: files.length,
        longest: sizes.slice(0, 3).map((s) => `${s.path}: ${s.lines}`),
        overLimit: long,
      });
    }),
  },
];
