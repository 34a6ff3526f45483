// `deno doc` over the package's public entry points, deno.json's "exports" (the subpaths of
// package.json's, pointing at the sources): `npm run docs` writes the HTML API reference to
// docs/api/ (git-ignored); `npm run lint:docs` fails on an exported symbol without a doc comment.
//
// Run: npx tsx scripts/deno-doc.ts <deno doc flags...>
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { exports } = JSON.parse(readFileSync(join(root, 'deno.json'), 'utf8')) as {
  exports: Record<string, string>;
};
const deno = join(root, 'node_modules', '.bin', 'deno');
// deno doc makes the output folder but not its parents.
const output = process.argv.find((arg) => arg.startsWith('--output='));
if (output) mkdirSync(join(root, output.slice('--output='.length), '..'), { recursive: true });
const ran = spawnSync(deno, ['doc', ...process.argv.slice(2), ...Object.values(exports)], {
  cwd: root,
  stdio: 'inherit',
});
if (ran.error) {
  console.error(`deno doc did not start (${ran.error.message}): run \`npm rebuild deno\``);
  process.exit(1);
}
process.exit(ran.status ?? 1);
