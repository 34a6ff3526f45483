import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreLockedError } from '../src/knowledge/errors.ts';
import { LOCK_FILE, acquireStoreLock, currentHolder, readStoreLock } from '../src/knowledge/store-lock.ts';

const run = promisify(execFile);

/** The pid of a process that has exited (so no process has it, barring reuse). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.on('exit', done));
  return child.pid!;
}

describe('the writer lock of a store directory', () => {
  let root: string;
  let n = 0;
  const fresh = async () => {
    const dir = join(root, `store-${++n}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    return dir;
  };
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'x0-lock-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is held by one holder at a time, names it to the next, and is gone once released', async () => {
    const dir = await fresh();
    const lock = await acquireStoreLock(dir);
    const written = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(written).toEqual(lock.holder);
    expect(written).toMatchObject({ pid: process.pid, host: hostname() });
    const error = await acquireStoreLock(dir).catch((e) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error.holder).toEqual(lock.holder);
    expect(error.message).toBe(
      `${dir} is in use by process ${process.pid} on host ${hostname()} since ${lock.holder.since}; one process writes a store at a time: wait for it to finish`,
    );
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    const again = await acquireStoreLock(dir);
    await again.release();
  });

  it('takes over the lock of a dead process, and of a pid now used by a later process', async () => {
    const dir = await fresh();
    const stale = { pid: await deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
    expect(await readStoreLock(dir)).toEqual({ holder: stale, status: 'dead' });
    const lock = await acquireStoreLock(dir);
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();

    const me = currentHolder();
    if (me.processStart !== undefined) {
      // Our own pid, but recorded for a process that started at another time: a reused pid.
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...me, processStart: '1' }));
      expect((await readStoreLock(dir))?.status).toBe('dead');
      await (await acquireStoreLock(dir)).release();
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a holder on another host, an unreadable lock, and a takeover left half-done by a dead process', async () => {
    const dir = await fresh();
    const remote = { pid: 4242, host: `not-${hostname()}`, since: '2026-01-01T00:00:00.000Z' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(remote));
    await expect(acquireStoreLock(dir)).rejects.toThrow(
      new RegExp(
        `process 4242 on host not-${hostname()}.*cannot be checked from here; if it no longer runs, delete`,
      ),
    );
    await writeFile(join(dir, LOCK_FILE), '{"pid":');
    await expect(acquireStoreLock(dir)).rejects.toThrow(/lock file .* is unreadable/);
    const dead = { pid: await deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(dead));
    await writeFile(join(dir, `${LOCK_FILE}.takeover`), JSON.stringify(dead));
    await expect(acquireStoreLock(dir)).rejects.toThrow(/died while taking over a stale lock/);
  });

  it('lets exactly one of several processes take over the same stale lock', { timeout: 60_000 }, async () => {
    const dir = await fresh();
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: await deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }),
    );
    const script = join(root, 'contender.mts');
    const lockModule = resolve('src/knowledge/store-lock.ts');
    await writeFile(
      script,
      `import { acquireStoreLock } from ${JSON.stringify(lockModule)};
       const start = Number(process.argv[3]);
       while (Date.now() < start) {}
       try {
         const lock = await acquireStoreLock(process.argv[2]);
         console.log('held ' + process.pid);
         await new Promise((r) => setTimeout(r, 3000));
         await lock.release();
       } catch (error) {
         console.log('refused ' + error.message);
       }`,
    );
    // All start spinning well after tsx has loaded, then race for the lock together.
    const start = Date.now() + 4000;
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() =>
        run(process.execPath, ['--import', 'tsx', script, dir, String(start)], { timeout: 30_000 }).then(
          (r) => r.stdout.trim(),
        ),
      ),
    );
    const held = outcomes.filter((o) => o.startsWith('held '));
    expect(held, outcomes.join('\n')).toHaveLength(1);
    const winner = held[0].slice(5);
    for (const o of outcomes.filter((o) => !o.startsWith('held ')))
      expect(o).toMatch(new RegExp(`^refused .* in use by process ${winner} on host`));
    expect(await readdir(dir)).toEqual([]);
  });
});
