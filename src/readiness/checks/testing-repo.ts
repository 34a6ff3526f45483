/**
 * Testing, from the checkout: nothing skipped or focused, every src/ folder exercised by some
 * suite, and conformance suites that stay portable (only the imports CONTRIBUTING.md allows,
 * so they really run on Node, Deno, Bun and Chromium). Not applicable without sources.
 */
import { verdict, type Check } from '../check.ts';
import { withSources } from './with-sources.ts';
import { findLines, sample, stripComments } from '../scan.ts';
import { readSources, subdirectories } from '../source-files.ts';

const SKIPPED_OR_FOCUSED =
  /\b(describe|it|test|suite|bench)\.(skip|only|todo|skipIf|runIf)\b|\b(xit|xtest|xdescribe|fit|fdescribe)\s*\(/;

/** Module specifiers of every static and dynamic import in `text`. */
function importsOf(text: string): string[] {
  const code = stripComments(text);
  return [
    ...code.matchAll(
      /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
}

const PORTABLE_IMPORT = /^(vitest|fast-check|\.\.\/\.\.\/src\/.+|\.\.\/fixtures\/.+|\.\/helpers\/.+)$/;

/** The Testing checks that read the test sources. */
export const testingRepoChecks: readonly Check[] = [
  {
    id: 'testing.no-skip-only',
    title: 'No skipped, focused or to-do tests',
    category: 'Testing',
    critical: true,
    expected: '0 uses of .skip/.only/.todo/.skipIf/.runIf, xit/fit and the like in test/',
    run: withSources(async (root) => {
      const files = await readSources(root, 'test');
      const found = findLines(files, SKIPPED_OR_FOCUSED, { codeOnly: true });
      return verdict(found.length === 0, `${found.length} in ${files.length} files`, {
        filesScanned: files.length,
        found: sample(found),
      });
    }),
  },
  {
    id: 'testing.folders-covered',
    title: 'Every src/ folder is imported by at least one test suite',
    category: 'Testing',
    critical: false,
    expected: 'each src/<folder> appears in the imports of some test/**/*.test.ts',
    run: withSources(async (root) => {
      const folders = await subdirectories(root, 'src');
      const suites = (await readSources(root, 'test')).filter((f) => f.path.endsWith('.test.ts'));
      const imported = new Set<string>();
      for (const suite of suites) {
        for (const spec of importsOf(suite.text)) {
          const m = /(?:^|\/)src\/([^/]+)\//.exec(spec);
          if (m) imported.add(m[1]);
        }
      }
      const untested = folders.filter((f) => !imported.has(f));
      return verdict(
        untested.length === 0,
        `${folders.length - untested.length}/${folders.length} folders tested`,
        {
          suites: suites.length,
          untested,
        },
      );
    }),
  },
  {
    id: 'testing.conformance-portable',
    title: 'Conformance suites import only what every runtime has',
    category: 'Testing',
    critical: false,
    expected:
      "test/conformance imports only 'vitest', 'fast-check', ../../src/, ../fixtures/ and its own ./helpers/",
    run: withSources(async (root) => {
      const suites = await readSources(root, 'test/conformance');
      const bad = suites.flatMap((s) =>
        importsOf(s.text)
          .filter((spec) => !PORTABLE_IMPORT.test(spec))
          .map((spec) => `${s.path}: ${spec}`),
      );
      return verdict(
        suites.length > 0 && bad.length === 0,
        `${suites.length} suites, ${bad.length} non-portable imports`,
        {
          suites: suites.length,
          nonPortable: sample(bad),
        },
      );
    }),
  },
];
