/**
 * One writer per store directory. Two PGlite instances on one data directory corrupt it (lost
 * tables, duplicate primary keys, unreadable TOAST chunks), and PGlite itself takes no lock, so
 * a writer holds `x0tta6bl4.lock` in the directory: a JSON {@link LockHolder} (pid, host, since,
 * process start) created atomically (written aside, then hard-linked into place, which fails if
 * the lock exists). A lock whose process is gone from this host (no such pid, or the pid now
 * belongs to a process started at another time) is stale and taken over; a live holder, or one
 * on another host that cannot be checked, gets a StoreLockedError naming it.
 *
 * Taking over a stale lock is guarded by a second file, `x0tta6bl4.lock.takeover`, created
 * exclusively: only its creator may remove the stale lock, after re-reading it unchanged, so two
 * processes finding the same stale lock cannot both end up holding the store. Node, Deno and Bun
 * only (node:fs, node:os).
 */
import { link, open, readFile, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { StoreLockedError, type LockHolder } from './errors.ts';

/** The lock file's name inside a store directory. */
export const LOCK_FILE = 'x0tta6bl4.lock';
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/** A held writer lock; `release()` removes it (only if it is still this process's). */
export interface StoreLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

/** What the lock file of `dir` says, and whether its holder still runs. */
export interface LockState {
  holder: LockHolder;
  /** 'alive', 'dead' (stale: safe to take over) or 'unknown' (another host). */
  status: 'alive' | 'dead' | 'unknown';
}

/** This process as a lock holder. */
export function currentHolder(now: Date = new Date()): LockHolder {
  const start = processStart(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    since: now.toISOString(),
    ...(start === undefined ? {} : { processStart: start }),
  };
}

/**
 * Takes the writer lock of the existing directory `dir`, taking over a stale one; throws
 * StoreLockedError when a live process (or one on another host) holds it.
 */
export async function acquireStoreLock(dir: string): Promise<StoreLock> {
  const path = join(dir, LOCK_FILE);
  const holder = currentHolder();
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(path, text)) return heldLock(path, holder, text);
    const state = await readStoreLock(dir);
    if (!state) continue; // released in between: try again
    if (state.status === 'alive')
      throw new StoreLockedError(
        dir,
        state.holder,
        'one process writes a store at a time: wait for it to finish',
      );
    if (state.status === 'unknown')
      throw new StoreLockedError(
        dir,
        state.holder,
        `that host's processes cannot be checked from here; if it no longer runs, delete ${path}`,
      );
    await takeOver(dir, path, state.holder);
  }
  throw new StoreLockedError(
    dir,
    (await readStoreLock(dir))?.holder ?? holder,
    'the lock kept changing hands',
  );
}

/** Reads the lock of `dir`: undefined when there is none. */
export async function readStoreLock(dir: string): Promise<LockState | undefined> {
  const path = join(dir, LOCK_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const holder = parseHolder(text);
  if (!holder)
    throw new StoreLockedError(
      dir,
      { pid: 0, host: 'unknown', since: 'unknown' },
      `its lock file ${path} is unreadable; if no x0tta6bl4 process uses the store, delete it`,
    );
  return { holder, status: holderStatus(holder) };
}

/** Whether the process that wrote `holder` still runs on this host. */
function holderStatus(holder: LockHolder): LockState['status'] {
  if (holder.host !== hostname()) return 'unknown';
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  const start = processStart(holder.pid);
  if (holder.processStart !== undefined && start !== undefined && start !== holder.processStart)
    return 'dead';
  return 'alive';
}

/** Removes the stale lock left by `stale` under the takeover guard (see the file comment). */
async function takeOver(dir: string, path: string, stale: LockHolder): Promise<void> {
  const guard = join(dir, TAKEOVER_FILE);
  const mine = `${JSON.stringify(currentHolder())}\n`;
  if (!(await createExclusive(guard, mine))) {
    const other = parseHolder(await readFile(guard, 'utf8').catch(() => ''));
    if (other && holderStatus(other) === 'dead')
      throw new StoreLockedError(
        dir,
        other,
        `it died while taking over a stale lock; if no x0tta6bl4 process uses the store, delete ${guard}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20)); // another process is taking over
    return;
  }
  try {
    const now = await readStoreLock(dir);
    if (now && now.status === 'dead' && sameHolder(now.holder, stale)) await unlink(path);
  } finally {
    await unlink(guard);
  }
}

function heldLock(path: string, holder: LockHolder, text: string): StoreLock {
  return {
    path,
    holder,
    async release() {
      // Never remove a lock that is not ours (e.g. after an operator deleted ours by hand).
      if ((await readFile(path, 'utf8').catch(() => '')) === text) await unlink(path);
    },
  };
}

let asideCount = 0;

/** Creates `path` holding `text`, atomically, unless it exists; returns whether it did. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${++asideCount}`;
  // The name is this process's: a leftover from an earlier process with our pid may be overwritten.
  const file = await open(aside, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(aside);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as LockHolder;
    const ok =
      Number.isSafeInteger(h?.pid) &&
      h.pid > 0 &&
      typeof h.host === 'string' &&
      typeof h.since === 'string' &&
      (h.processStart === undefined || typeof h.processStart === 'string');
    return ok ? h : undefined;
  } catch {
    return undefined;
  }
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && a.since === b.since && a.processStart === b.processStart;
}

/**
 * The start time of process `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), so
 * a pid reused by a later process is not mistaken for the holder; undefined without /proc.
 */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
