/**
 * Telling an existing PGlite store from any other folder before opening it. PGlite turns
 * whatever directory it is given into a new 39 MB database, so a command that only reads, or
 * that is handed a user's folder, checks first and refuses a folder that is not a store.
 * Node, Deno and Bun only (node:fs); browsers address their stores by `idb://` name.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError } from '../errors.ts';
import { NotAStoreError } from './errors.ts';

export { NotAStoreError };

/** True when `path` is a PGlite (Postgres) data directory: a directory holding `PG_VERSION`. */
export async function isStoreDirectory(path: string): Promise<boolean> {
  const version = await stat(join(path, 'PG_VERSION')).catch(() => undefined);
  return version?.isFile() === true;
}

/**
 * Resolves when `path` is an existing store directory; otherwise throws a NotAStoreError naming
 * `argument` (e.g. `--store`) and saying what `path` is instead.
 */
export async function assertStoreDirectory(path: string, argument = 'store'): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new ArgumentError(argument, 'expected a directory path');
  if (await isStoreDirectory(path)) return;
  const found = await stat(path).catch(() => undefined);
  const what = !found
    ? 'does not exist'
    : found.isDirectory()
      ? 'is a folder but not a store (no PG_VERSION); refusing to create a database in it'
      : 'is a file, not a store directory';
  throw new NotAStoreError(argument, `${path} ${what}`);
}
