/**
 * The context a readiness run gives its checks: the package's own root (for its package.json and
 * shipped files), the deployment's keys and store when given, temporary directories, and results
 * shared between checks (one 10,000-tick loop run feeds the throughput and both memory checks).
 */
import type { CheckContext } from './check.ts';

/** Options of {@link createContext}. */
export interface ContextOptions {
  /** Public-keys JSON of the deployment (`CheckContext.keysPath`). */
  keysPath?: string;
  /** Knowledge-store directory of the deployment (`CheckContext.storePath`). */
  storePath?: string;
  /** Wall clock in ms since the epoch (default Date.now). */
  now?: () => number;
}

/** A context plus `dispose()`, which removes the temporary directories it made. */
export interface RunContext extends CheckContext {
  /** Removes the temporary directories the run made. */
  dispose(): Promise<void>;
}

/** Builds the context of a run (Node, Deno or Bun: it uses node:fs). */
export async function createContext(options: ContextOptions = {}): Promise<RunContext> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const os = await import('node:os');
  const { fileURLToPath } = await import('node:url');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const temps: string[] = [];
  const memo = new Map<string, Promise<unknown>>();
  return {
    packageRoot: await findUp(here, isPackageRoot),
    keysPath: options.keysPath ?? null,
    storePath: options.storePath ?? null,
    now: options.now ?? Date.now,
    async tempDir() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'x0tta6bl4-readiness-'));
      temps.push(dir);
      return dir;
    },
    shared<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let value = memo.get(key) as Promise<T> | undefined;
      if (!value) memo.set(key, (value = compute()));
      return value;
    },
    async dispose() {
      await Promise.all(temps.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
    },
  };
}

async function findUp(start: string, test: (dir: string) => Promise<boolean>): Promise<string | null> {
  const path = await import('node:path');
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (await test(dir)) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** True when `dir` holds the package.json of x0tta6bl4. */
async function isPackageRoot(dir: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  try {
    const pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'x0tta6bl4';
  } catch {
    return false;
  }
}
