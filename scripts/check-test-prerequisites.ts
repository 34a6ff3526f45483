// The pre-flight of `npm test` (and of `test:browser`, `test:e2e` for Chromium alone): checks in
// a few seconds that everything the suites run on is here, so that a missing piece fails the run
// at once with one line saying what is missing and how to get it, not minutes later with a stack.
//
// Run: npx tsx scripts/check-test-prerequisites.ts [node|deps|wasm|deno|bun|chromium|servers ...]
// (no argument: all). Prints one line per missing prerequisite and exits 1, or one summary line.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, SCREENSHOT_ORDER, THIS_HOST } from '../test/runtime/chromium.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** A prerequisite's check: what it found (for the summary), or throws with the line to print. */
type Check = () => Promise<string>;

class Missing extends Error {}

/** The first line a program prints for `args`, or a Missing with `fix` when it does not run. */
function firstLine(file: string, args: string[], what: string, fix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 8_000 }, (error, stdout, stderr) => {
      if (error) {
        const why = (stderr.trim() || error.message).split('\n')[0];
        reject(new Missing(`${what} does not run (${why}): ${fix}`));
      } else resolve(stdout.trim().split('\n')[0]);
    });
  });
}

/** Whether version a.b.c is at least the one in a `>=x.y[.z]` range. */
function atLeast(version: string, range: string): boolean {
  const want = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!want) throw new Error(`engines.node "${range}" is not of the form >=x.y.z`);
  const have = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const need = Number(want[i + 1] ?? 0);
    if (have[i] !== need) return have[i] > need;
  }
  return true;
}

const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Where Debian's `postgresql` package puts the newest server's binaries (`/usr/lib/postgresql/<major>/bin`). */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((name) => /^\d+$/.test(name)) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0] ?? '<none installed>';
  return join(base, newest, 'bin');
}

/** The real servers the tests start: program, the arguments that print its version, its name. */
const SERVERS: ReadonlyArray<readonly [string, string[], string]> = [
  ['/usr/bin/prometheus', ['--version'], 'Prometheus'],
  ['/usr/bin/prometheus-node-exporter', ['--version'], 'node_exporter'],
  ['/usr/bin/prometheus-alertmanager', ['--version'], 'Alertmanager'],
  ['/usr/sbin/nats-server', ['--version'], 'nats-server'],
  ['openssl', ['version'], 'OpenSSL'],
  [join(postgresBin(), 'postgres'), ['--version'], 'PostgreSQL'],
  [join(postgresBin(), 'initdb'), ['--version'], 'initdb (PostgreSQL)'],
];

/** The first dotted version number in a program's version line. */
const versionIn = (line: string) => /\d+\.\d+(\.\d+)?/.exec(line)?.[0] ?? line;

const checks: Record<string, Check> = {
  async node() {
    const range = manifest.engines.node;
    if (!atLeast(process.versions.node, range))
      throw new Missing(
        `Node ${process.versions.node} is too old (package.json engines: ${range}): install Node ${range.replace('>=', '')} or newer`,
      );
    return `Node ${process.versions.node}`;
  },
  async deps() {
    const names = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];
    const absent = names.filter((name) => !existsSync(join(root, 'node_modules', name, 'package.json')));
    if (absent.length > 0)
      throw new Missing(`npm dependencies not installed (${absent.join(', ')}): run \`npm install\``);
    return `${names.length} npm packages`;
  },
  async wasm() {
    const kernels = readdirSync(join(root, 'assembly')).filter((f) => f.endsWith('.ts'));
    const unbuilt = kernels
      .map((f) => f.slice(0, -3))
      .filter((k) => !existsSync(join(root, 'src', 'kernels', k, 'embedded.ts')));
    if (unbuilt.length > 0)
      throw new Missing(`wasm kernels not built (${unbuilt.join(', ')}): run \`npm run build:wasm\``);
    return `${kernels.length} wasm kernels`;
  },
  deno: () =>
    firstLine(bin('deno'), ['--version'], 'Deno (npm package deno)', 'run `npm rebuild deno`').then(
      (v) => `Deno ${v.split(' ')[1]}`,
    ),
  bun: () =>
    firstLine(bin('bun'), ['--version'], 'Bun (npm package bun)', 'run `npm rebuild bun`').then(
      (v) => `Bun ${v}`,
    ),
  async servers() {
    // The real servers the service's tests start on loopback (Debian's packages; `.ci/run` installs them).
    const apt =
      'apt-get install prometheus prometheus-node-exporter prometheus-alertmanager openssl postgresql nats-server';
    const found = await Promise.all(
      SERVERS.map(([file, args, what]) =>
        firstLine(file, args, what, apt).then((line) => `${what} ${versionIn(line)}`),
      ),
    );
    return found.join(', ');
  },
  async chromium() {
    // The vitest browser tests take the first Chromium in the usual order, the screenshot tests
    // the first in SCREENSHOT_ORDER: check each (once if they are the same).
    const seen = new Map<string, string>();
    for (const order of [undefined, SCREENSHOT_ORDER]) {
      let chromium: Awaited<ReturnType<typeof findChromium>>;
      try {
        chromium = await findChromium(THIS_HOST, order);
      } catch (error) {
        throw new Missing(`Chromium: ${(error as Error).message}`);
      }
      if (seen.has(chromium.executablePath)) continue;
      const version = await firstLine(
        chromium.executablePath,
        ['--version'],
        `Chromium at ${chromium.executablePath}`,
        'set CHROMIUM_PATH to a working Chromium or CHROMIUM_SOURCE=npm',
      );
      const use = seen.size === 0 ? '' : 'for screenshots ';
      seen.set(chromium.executablePath, `${use}${version.replace(/ built on .*/, '')} (${chromium.source})`);
    }
    return [...seen.values()].join(', ');
  },
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in checks));
if (unknown.length > 0) {
  console.error(`unknown prerequisite ${unknown.join(', ')}: expected ${Object.keys(checks).join(', ')}`);
  process.exit(2);
}
const names = asked.length > 0 ? asked : Object.keys(checks);
const results = await Promise.allSettled(names.map((name) => checks[name]()));
const failed = names.filter((_, i) => results[i].status === 'rejected');
// Without the npm packages the runtimes they bring fail too: name the cause alone.
const shown = failed.includes('deps') ? ['deps'] : failed;
const missing = shown.map((name) => (results[names.indexOf(name)] as PromiseRejectedResult).reason);
for (const reason of missing) console.error(reason instanceof Missing ? reason.message : String(reason));
if (missing.length > 0) process.exit(1);
console.error(
  `test prerequisites: ${results.map((r) => (r.status === 'fulfilled' ? r.value : '')).join(', ')}`,
);
