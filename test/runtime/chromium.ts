/**
 * Finds the Chromium that the browser tests (vitest browser mode, Playwright end to end) drive,
 * and how to start it: as root, headless, on a closed network (TOOLCHAIN.md gotcha 9).
 *
 * Sources, tried in this order, the first found wins:
 * - `path`: the file `CHROMIUM_PATH` names (set but not an executable file is an error);
 * - `system`: a chromium or chrome on `PATH`, or in macOS's Applications folder;
 * - `playwright`: the Chromium in Playwright's own browser cache, if someone installed it;
 * - `npm`: the devDependency `@sparticuz/chromium` (Linux x64 only), which ships a
 *   self-contained Chromium inside the package and unpacks it into the temp folder on first
 *   use, so that `npm install && npm test` needs no browser on the machine.
 *
 * `CHROMIUM_SOURCE=<source>` tries that source alone: CI sets `npm` to test, on every machine,
 * the browser a bare machine gets. Tests that compare screenshots try the sources in
 * {@link SCREENSHOT_ORDER} instead.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';

/** Where a Chromium can come from, in the order they are tried. */
export const CHROMIUM_SOURCES = ['path', 'system', 'playwright', 'npm'] as const;
/** One of {@link CHROMIUM_SOURCES}. */
export type ChromiumSource = (typeof CHROMIUM_SOURCES)[number];

/**
 * The order for tests that compare screenshots (the Playwright end-to-end tests): the npm
 * Chromium before the machine's, because pixels match a baseline only in the build, with the
 * fonts, that made it, and the npm one is the same build with its own fonts on every Linux x64
 * machine. An explicit CHROMIUM_PATH still comes first.
 */
export const SCREENSHOT_ORDER: readonly ChromiumSource[] = ['path', 'npm', 'system', 'playwright'];

/** Flags every source gets: headless as root without a sandbox, and no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A Chromium found, with the options Playwright's `launch` takes to start it. */
export interface FoundChromium {
  source: ChromiumSource;
  executablePath: string;
  launchOptions: { executablePath: string; args: string[]; env?: Record<string, string> };
}

/** What the finder reads; the real process by default, a stand-in in tests. */
export interface FinderEnvironment {
  env: Record<string, string | undefined>;
  platform: string;
  arch: string;
}

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
const MACOS_APPS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Thrown when no Chromium is found, or `CHROMIUM_PATH`/`CHROMIUM_SOURCE` is wrong; one line. */
export class ChromiumNotFoundError extends Error {
  override name = 'ChromiumNotFoundError';
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of SYSTEM_NAMES) {
      if (isExecutableFile(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

async function fromPlaywrightCache(): Promise<string | undefined> {
  const { chromium } = await import('playwright-core');
  const file = chromium.executablePath();
  return isExecutableFile(file) ? file : undefined;
}

async function fromNpm(host: FinderEnvironment): Promise<string | undefined> {
  if (host.platform !== 'linux' || host.arch !== 'x64') return undefined;
  let sparticuz: typeof import('@sparticuz/chromium');
  try {
    sparticuz = await import('@sparticuz/chromium');
  } catch {
    return undefined;
  }
  const file = await sparticuz.default.executablePath();
  return isExecutableFile(file) ? file : undefined;
}

async function find(source: ChromiumSource, host: FinderEnvironment): Promise<string | undefined> {
  switch (source) {
    case 'path': {
      const file = host.env.CHROMIUM_PATH;
      if (file === undefined || file === '') return undefined;
      if (!isExecutableFile(file))
        throw new ChromiumNotFoundError(`CHROMIUM_PATH=${file} is not an executable file`);
      return file;
    }
    case 'system':
      return (
        onPath(host.env.PATH) ?? (host.platform === 'darwin' ? MACOS_APPS.find(isExecutableFile) : undefined)
      );
    case 'playwright':
      return fromPlaywrightCache();
    case 'npm':
      return fromNpm(host);
  }
}

function sourcesToTry(
  requested: string | undefined,
  order: readonly ChromiumSource[],
): readonly ChromiumSource[] {
  if (requested === undefined || requested === '') return order;
  if (!(CHROMIUM_SOURCES as readonly string[]).includes(requested))
    throw new ChromiumNotFoundError(
      `CHROMIUM_SOURCE=${requested} is not one of ${CHROMIUM_SOURCES.join(', ')}`,
    );
  return [requested as ChromiumSource];
}

/** This process's environment, platform and architecture. */
export const THIS_HOST: FinderEnvironment = {
  env: process.env,
  platform: process.platform,
  arch: process.arch,
};

/**
 * The first Chromium found among the sources, tried in `order` (see the module's comment), or a
 * {@link ChromiumNotFoundError} that says where it looked and how to get one.
 */
export async function findChromium(
  host: FinderEnvironment = THIS_HOST,
  order: readonly ChromiumSource[] = CHROMIUM_SOURCES,
): Promise<FoundChromium> {
  const sources = sourcesToTry(host.env.CHROMIUM_SOURCE, order);
  for (const source of sources) {
    const executablePath = await find(source, host);
    if (executablePath === undefined) continue;
    // The npm build reads its fonts from the folder it unpacked them to (its fonts.conf).
    const env =
      source === 'npm' && host.env.FONTCONFIG_PATH === undefined
        ? { FONTCONFIG_PATH: join(tmpdir(), 'fonts') }
        : undefined;
    return {
      source,
      executablePath,
      launchOptions: {
        executablePath,
        args: CHROMIUM_ARGS,
        ...(env && { env: { ...(host.env as Record<string, string>), ...env } }),
      },
    };
  }
  throw new ChromiumNotFoundError(
    `no Chromium found (looked at ${sources.join(', ')}): run \`npm install\` (its @sparticuz/chromium serves Linux x64), install chromium or chrome, or set CHROMIUM_PATH`,
  );
}
