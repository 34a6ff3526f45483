/** Reads the files the package ships (package.json, the runbook Markdown) for the deployment checks (node:fs). */

/** A file of the package: its path relative to the root (with `/`) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** Every file under `root/dir` whose name ends with one of `extensions`, sorted by path. */
export async function readSources(
  root: string,
  dir: string,
  extensions: readonly string[] = ['.ts'],
): Promise<SourceFile[]> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const entries = await fs.readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && extensions.some((x) => e.name.endsWith(x)))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((p) => !p.split('/').includes('node_modules'))
    .sort();
  return Promise.all(
    files.map(async (p) => ({ path: p, text: await fs.readFile(path.join(root, p), 'utf8') })),
  );
}

/** Parsed JSON of `root/file`, or undefined when the file does not exist. */
export async function readJson<T>(root: string, file: string): Promise<T | undefined> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  try {
    return JSON.parse(await fs.readFile(path.join(root, file), 'utf8')) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}
