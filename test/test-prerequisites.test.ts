/**
 * Tests that set themselves up: the Chromium finder (test/runtime/chromium.ts) tries its sources
 * in order, and the pre-flight of `npm test` (scripts/check-test-prerequisites.ts) fails at once
 * with one line naming what is missing and how to get it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromiumNotFoundError, CHROMIUM_ARGS, findChromium, SCREENSHOT_ORDER } from './runtime/chromium.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const linux = { platform: 'linux', arch: 'x64' };

let work: string;
/** A folder holding an executable `chromium` (a shell script) and a non-executable `chrome`. */
let bin: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'x0-prereq-'));
  bin = join(work, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'chromium'), '#!/bin/sh\necho "Chromium 1.2.3"\n');
  await chmod(join(bin, 'chromium'), 0o755);
  await writeFile(join(bin, 'chrome'), 'not a program');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('findChromium', () => {
  it('takes CHROMIUM_PATH first, with the shared flags', async () => {
    const found = await findChromium({ env: { CHROMIUM_PATH: join(bin, 'chromium'), PATH: '' }, ...linux });
    expect(found.source).toBe('path');
    expect(found.executablePath).toBe(join(bin, 'chromium'));
    expect(found.launchOptions).toEqual({ executablePath: join(bin, 'chromium'), args: CHROMIUM_ARGS });
  });

  it('refuses a CHROMIUM_PATH that is not an executable file, naming it', async () => {
    for (const file of [join(work, 'absent'), join(bin, 'chrome'), bin]) {
      const finding = findChromium({ env: { CHROMIUM_PATH: file, PATH: bin }, ...linux });
      await expect(finding).rejects.toThrow(ChromiumNotFoundError);
      await expect(finding).rejects.toThrow(`CHROMIUM_PATH=${file} is not an executable file`);
    }
  });

  it('finds an executable chromium or chrome on PATH, skipping files it cannot run', async () => {
    const found = await findChromium({ env: { PATH: `${join(work, 'absent')}:${bin}` }, ...linux });
    expect(found).toMatchObject({ source: 'system', executablePath: join(bin, 'chromium') });
  });

  it('tries only the source CHROMIUM_SOURCE names, and says where it looked', async () => {
    const systemOnly = { CHROMIUM_SOURCE: 'system', CHROMIUM_PATH: join(bin, 'chromium') };
    await expect(findChromium({ env: { ...systemOnly, PATH: '' }, ...linux })).rejects.toThrow(
      /^no Chromium found \(looked at system\): run `npm install`/,
    );
    const pathOnly = { CHROMIUM_SOURCE: 'path', PATH: bin };
    await expect(findChromium({ env: pathOnly, ...linux })).rejects.toThrow('looked at path');
    await expect(findChromium({ env: { CHROMIUM_SOURCE: 'firefox' }, ...linux })).rejects.toThrow(
      'CHROMIUM_SOURCE=firefox is not one of path, system, playwright, npm',
    );
  });

  it('takes the npm Chromium only on Linux x64', async () => {
    const npmOnly = { env: { CHROMIUM_SOURCE: 'npm' } };
    await expect(findChromium({ ...npmOnly, platform: 'darwin', arch: 'arm64' })).rejects.toThrow(
      'looked at npm',
    );
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const found = await findChromium({ ...npmOnly, ...linux });
    expect(found.source).toBe('npm');
    // It reads the fonts it ships from where it unpacked them.
    expect(found.launchOptions.env?.FONTCONFIG_PATH).toBe(join(tmpdir(), 'fonts'));
    const version = await runProgram(found.executablePath, ['--version']);
    expect(version.stdout).toMatch(/^Chromium \d+\./);
  }, 60_000);

  it("puts the npm Chromium before the machine's for screenshots, where it runs", async () => {
    const onPath = { env: { PATH: bin } };
    const mac = await findChromium({ ...onPath, platform: 'darwin', arch: 'arm64' }, SCREENSHOT_ORDER);
    expect(mac.source).toBe('system');
    expect((await findChromium({ ...onPath, ...linux })).source).toBe('system');
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    expect((await findChromium({ ...onPath, ...linux }, SCREENSHOT_ORDER)).source).toBe('npm');
    const pinned = { env: { PATH: bin, CHROMIUM_PATH: join(bin, 'chromium') }, ...linux };
    expect((await findChromium(pinned, SCREENSHOT_ORDER)).source).toBe('path');
  }, 60_000);
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function runProgram(file: string, args: string[], cwd = repo): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

const tsx = join(repo, 'node_modules', '.bin', 'tsx');

/**
 * A copy of the repository's pre-flight beside a node_modules that holds links to the real
 * packages except those named, so that a check meets a machine where they are missing.
 */
async function treeWithout(missing: string[]): Promise<string> {
  const tree = await mkdtemp(join(work, 'tree-'));
  await cp(join(repo, 'package.json'), join(tree, 'package.json'));
  await cp(
    join(repo, 'scripts', 'check-test-prerequisites.ts'),
    join(tree, 'scripts', 'check-test-prerequisites.ts'),
  );
  await cp(join(repo, 'test', 'runtime', 'chromium.ts'), join(tree, 'test', 'runtime', 'chromium.ts'));
  await mkdir(join(tree, 'node_modules', '.bin'), { recursive: true });
  for (const name of ['deno', 'bun'].filter((n) => !missing.includes(n)))
    await symlink(join(repo, 'node_modules', '.bin', name), join(tree, 'node_modules', '.bin', name));
  return tree;
}

describe('the pre-flight of npm test', () => {
  it('passes here, with one summary line', async () => {
    const ran = await runProgram(tsx, [
      join(repo, 'scripts', 'check-test-prerequisites.ts'),
      'node',
      'deno',
      'bun',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(
      /^test prerequisites: Node \d+\.\d+\.\d+, Deno \d+\.\d+\.\d+, Bun \d+\.\d+\.\d+\n$/,
    );
  }, 60_000);

  it('fails within 10 seconds with one line per missing runtime, saying how to get it', async () => {
    const tree = await treeWithout(['deno']);
    const ran = await runProgram(tsx, [join(tree, 'scripts', 'check-test-prerequisites.ts'), 'deno', 'bun']);
    expect(ran.code).toBe(1);
    expect(ran.ms).toBeLessThan(10_000);
    expect(ran.stderr).toMatch(/^Deno \(npm package deno\) does not run \(.*\): run `npm rebuild deno`\n$/);
  }, 60_000);

  it('names the npm packages that are not installed, and only them', async () => {
    const tree = await treeWithout(['deno', 'bun']);
    const ran = await runProgram(tsx, [join(tree, 'scripts', 'check-test-prerequisites.ts')]);
    expect(ran.code).toBe(1);
    expect(ran.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^npm dependencies not installed \(@bufbuild\/protobuf, @electric-sql\/pglite, .*vitest\): run `npm install`$/,
      ),
      '',
    ]);
  }, 60_000);

  it('refuses a prerequisite it does not know', async () => {
    const ran = await runProgram(tsx, [join(repo, 'scripts', 'check-test-prerequisites.ts'), 'python']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(
      /^unknown prerequisite python: expected node, deps, wasm, deno, bun, servers, chromium\n$/,
    );
  }, 60_000);
});
