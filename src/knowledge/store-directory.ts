/**
 * Opening a store directory the way the commands need it: for writing, under the writer lock
 * (src/knowledge/store-lock.ts), creating the store in a new or empty folder and refusing any
 * other folder; or for reading, as a snapshot: the directory is copied to a temporary folder and
 * the copy opened, because PGlite writes to any data directory it opens (recovery, checkpoints),
 * so a verifier that must never write cannot open the original. Node, Deno and Bun only.
 */
import { cp, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { StoreLockedError } from './errors.ts';
import { NotAStoreError, assertStoreDirectory, isStoreDirectory } from './existing-store.ts';
import { PGliteStore } from './pglite-store.ts';
import { LOCK_FILE, acquireStoreLock, readStoreLock, type LockState, type StoreLock } from './store-lock.ts';

/** An opened store directory; `close()` closes the database and lets go of the lock or snapshot. */
export interface OpenStoreDirectory {
  /** The directory as given. */
  readonly path: string;
  readonly knowledge: PGliteStore;
  /** The writer lock this process holds (writing only). */
  readonly lock?: StoreLock;
  close(): Promise<void>;
}

/**
 * Opens `path` for writing: takes its writer lock (StoreLockedError naming the holder if a live
 * process has it; a stale lock is taken over), creating the store when `path` is missing or an
 * empty folder. A file, or a folder holding anything but a store, is a NotAStoreError and is
 * left untouched.
 */
export async function openStoreForWriting(path: string): Promise<OpenStoreDirectory> {
  const found = await stat(path).catch(() => undefined);
  if (found && !found.isDirectory()) throw new NotAStoreError(path, 'is a file, not a store directory');
  if (found && !(await isStoreDirectory(path))) {
    const files = (await readdir(path)).filter((name) => !name.startsWith(LOCK_FILE));
    if (files.length > 0)
      throw new NotAStoreError(
        path,
        `is a folder holding ${files.length} files but no store; refusing to create a database in it (give a new or empty folder)`,
      );
  }
  await mkdir(path, { recursive: true });
  const lock = await acquireStoreLock(path);
  try {
    const knowledge = await PGliteStore.open(path);
    return {
      path,
      knowledge,
      lock,
      async close() {
        try {
          await knowledge.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * Opens a snapshot of the existing store at `path` for reading, writing nothing there: a missing
 * path, a file or a folder without a store is a NotAStoreError; a store a live process is writing
 * is a StoreLockedError (its files are mid-write). A store a crashed writer left (stale lock) is
 * read as it is, recovered in the copy.
 */
export async function openStoreForReading(path: string): Promise<OpenStoreDirectory> {
  await assertStoreDirectory(path, path);
  const before = await readStoreLock(path);
  if (before && before.status !== 'dead')
    throw new StoreLockedError(
      path,
      before.holder,
      'reading a store while it is written would see half-written files: read it when the writer has stopped',
    );
  const copy = await mkdtemp(join(tmpdir(), 'x0tta6bl4-snapshot-'));
  try {
    await cp(path, copy, { recursive: true, filter: (source) => !basename(source).startsWith(LOCK_FILE) });
    const after = await readStoreLock(path);
    if (holderKey(after) !== holderKey(before))
      throw new StoreLockedError(
        path,
        (after ?? before)!.holder,
        'a writer used the store while it was being read: read it again when the writer has stopped',
      );
    const knowledge = await PGliteStore.open(copy, { existing: true, label: path });
    return {
      path,
      knowledge,
      async close() {
        try {
          await knowledge.close();
        } finally {
          await rm(copy, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(copy, { recursive: true, force: true });
    throw error;
  }
}

function holderKey(state: LockState | undefined): string {
  return state ? JSON.stringify(state.holder) : '';
}
