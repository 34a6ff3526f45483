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
const lint = process.argv.includes('--lint');
const ran = spawnSync(deno, ['doc', ...process.argv.slice(2), ...Object.values(exports)], {
  cwd: root,
  stdio: lint ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  env: { ...process.env, NO_COLOR: '1' },
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (ran.error) {
  console.error(`deno doc did not start (${ran.error.message}): run \`npm rebuild deno\``);
  process.exit(1);
}
if (!lint) process.exit(ran.status ?? 1);

// The lint follows our exports into the types of the packages they name (x0tta6bl4/cluster takes a
// NatsConnection), whose own doc gaps are not ours to fix: only findings in our files count.
const printed = `${ran.stdout}${ran.stderr}`;
const findings = printed
  .split(/\n(?=error)/)
  .filter((block) => block.startsWith('error['))
  .map((block) => ({ block, file: /--> (\S+)/.exec(block)?.[1] ?? '' }));
const ours = findings.filter((f) => !f.file.includes('/node_modules/'));
for (const f of ours) console.error(f.block);
const theirs = findings.length - ours.length;
if (theirs > 0) console.error(`deno doc --lint: ${theirs} finding(s) in dependencies' types, not counted`);
// A failure with no finding to show (deno itself failed): show everything it printed.
const unexplained = ran.status !== 0 && findings.length === 0;
if (unexplained) console.error(printed);
console.error(`deno doc --lint: ${ours.length} finding(s) in x0tta6bl4's exports`);
process.exit(ours.length > 0 || unexplained ? 1 : 0);
