/**
 * The store and the audit log under crashes and concurrency, with real processes: two `run
 * --store D` at once, `kill -9` at seeded random points of runs on one store (during start,
 * recovery, the run and its seals), and loops killed the moment an executor is called. After
 * each, the store must open, its log verify (the sealed part, and any unsealed tail reported as
 * such), its knowledge be covered by the log, and its ids be unique; every executor call must find
 * its intent in the log.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCoverage } from '../src/knowledge/audit-coverage.ts';
import { PGliteAuditStore } from '../src/knowledge/pglite-audit-store.ts';
import { openStoreForReading } from '../src/knowledge/store-directory.ts';
import { Rng } from '../src/random.ts';
import { isSealedEntry } from '../src/security/audit-entry.ts';
import { verifyAuditLog } from '../src/security/audit-verify.ts';
import { runAudit } from './audit-cli.ts';

/** Starts `x0tta6bl4 run` as a process of its own; `started` resolves once its run has begun. */
function startRun(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let begun: () => void;
  const started = new Promise<void>((resolve) => (begun = resolve));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (/run [0-9A-Z]{26} started/.test(stderr)) begun();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return { child, started, exited, stderr: () => stderr };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a verifier can say about the store at `path`, read from a snapshot. */
async function inspect(path: string) {
  const opened = await openStoreForReading(path);
  try {
    const db = opened.knowledge.database;
    const audit = await PGliteAuditStore.existing(db, path);
    const runs = await opened.knowledge.listRuns();
    const verdict = await verifyAuditLog(audit, await audit.keyRing(), {
      checkpoints: runs.flatMap((r) => (r.audit ? [r.audit] : [])),
    });
    const coverage = await auditCoverage(await opened.knowledge.listActions(), runs, audit);
    const size = await audit.size();
    const stored = await audit.entries(0, size.entries);
    const unsealed = stored.filter((e) => !isSealedEntry(e));
    const ids = await db.query<{ rows: number; ids: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM incidents',
    );
    return { verdict, coverage, entries: stored, unsealed, runs, incidents: ids.rows[0] };
  } finally {
    await opened.close();
  }
}

describe('a store under concurrent writers and kill -9', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'x0-crash-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lets one of two concurrent runs write and refuses the other, naming the holder', {
    timeout: 120_000,
  }, async () => {
    const store = join(root, 'shared');
    const runs = [1, 2].map((seed) =>
      startRun([
        '--hours',
        '4',
        '--faults',
        '3',
        '--seed',
        String(seed),
        '--store',
        store,
        '--out',
        join(root, `shared-${seed}.json`),
      ]),
    );
    const ends = await Promise.all(runs.map((r) => r.exited));
    const refused = ends.findIndex((e) => e.code === 2);
    if (refused >= 0) {
      const holder = runs[1 - refused].child.pid;
      expect(ends[1 - refused].code).toBe(0);
      expect(runs[refused].stderr()).toMatch(
        new RegExp(
          `run: ${store} is in use by process ${holder} on host .+ since \\d{4}-\\d\\d-\\d\\dT.*one process writes a store at a time`,
        ),
      );
    } else {
      // Serialised: both finished, one after the other.
      expect(ends.map((e) => e.code)).toEqual([0, 0]);
    }
    const state = await inspect(store);
    expect(state.verdict).toMatchObject({ ok: true, unsealed: 0 });
    expect(state.coverage.gaps).toEqual([]);
    expect(state.incidents.rows).toBe(state.incidents.ids);
    expect(state.runs.map((r) => r.status)).toEqual(refused >= 0 ? ['finished'] : ['finished', 'finished']);
    if (refused < 0) expect(state.runs[0].endedAt!).toBeLessThanOrEqual(state.runs[1].startedAt);
  });

  it('keeps the store intact and the log verifiable after kill -9 at 20+ random points', {
    timeout: 240_000,
  }, async () => {
    const rng = new Rng(18);
    const chains = [0, 1].map(async (chain) => {
      const store = join(root, `killed-${chain}`);
      const points: string[] = [];
      let tails = 0;
      for (let kill = 0; kill < 11; kill++) {
        // The first run of a chain creates the store and is killed once seals have been due
        // several times; the others at random points from their start (open, recovery, run).
        const delay = kill === 0 ? 6000 : 800 + Math.floor(rng.next() * 4200);
        const run = startRun([
          '--hours',
          '24',
          '--seed',
          String(kill + 1),
          '--store',
          store,
          '--out',
          join(root, `k${chain}.json`),
        ]);
        if (kill === 0) await run.started;
        await sleep(delay);
        const killedAt = Date.now();
        run.child.kill('SIGKILL');
        const end = await run.exited;
        expect(end.signal, run.stderr()).toBe('SIGKILL');
        points.push(`${delay} ms`);
        const context = `chain ${chain}, kill ${kill} at ${delay} ms`;
        const state = await inspect(store);
        expect(state.verdict, context).toMatchObject({ ok: true, unsealed: state.unsealed.length });
        expect(state.coverage.gaps, context).toEqual([]);
        expect(state.incidents.rows, context).toBe(state.incidents.ids);
        if (state.unsealed.length > 0 && tails++ === 0) {
          const { out } = await runAudit(['verify', store, '--trust-embedded']);
          expect(out, context).toContain(
            `WARNING: ${state.unsealed.length} entries after the last seal are unsealed: they chain to the sealed head but nobody signed them (the writer stopped before sealing; the next run on the store seals them)`,
          );
        }
        if (kill === 0)
          // The seal timer ran during the run: nothing stayed unsealed for long.
          for (const e of state.unsealed) expect(killedAt - e.ts, context).toBeLessThan(3000);
      }
      return { store, points, tails };
    });
    const results = await Promise.all(chains);
    expect(results.flatMap((r) => r.points).length).toBeGreaterThanOrEqual(20);

    // A clean run seals what the killed ones left and the whole history verifies.
    const { store } = results[0];
    const last = startRun([
      '--hours',
      '0.5',
      '--faults',
      '1',
      '--store',
      store,
      '--out',
      join(root, 'final.json'),
    ]);
    expect((await last.exited).code, last.stderr()).toBe(0);
    const state = await inspect(store);
    expect(state.verdict).toMatchObject({ ok: true, unsealed: 0 });
    expect(state.coverage.gaps).toEqual([]);
    expect(state.runs.at(-1)?.status).toBe('finished');
    if (results[0].tails > 0) expect(state.verdict.ok && state.verdict.recovered.length).toBeGreaterThan(0);
    const { code, out, err } = await runAudit(['verify', store, '--trust-embedded']);
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(
      /knowledge: each of the \d+ actions and \d+ runs in the store has its audit entries/,
    );
  });

  it('finds the intent of every action and rollback in the log when the loop is killed as its executor is called', {
    timeout: 120_000,
  }, async () => {
    const store = join(root, 'intents');
    const rng = new Rng(1818);
    // Entries of earlier runs: each run's calls must find their intents among its own entries.
    let earlier = 0;
    for (let run = 0; run < 4; run++) {
      // Calls alternate apply, rollback: odd call numbers are applies, even ones rollbacks.
      const killAt = 2 * Math.floor(rng.next() * 6) + 1 + (run % 2);
      const markers = join(root, `intents-${run}.txt`);
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/crash-loop-writer.ts', store, markers, String(killAt)],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const signal = await new Promise((done) => child.on('exit', (_code, signal) => done(signal)));
      expect(signal, stderr).toBe('SIGKILL');
      const calls = (await readFile(markers, 'utf8')).trim().split('\n');
      const context = `run ${run}, killed on call ${killAt}: ${calls.at(-1)}`;
      expect(calls, context).toHaveLength(killAt);
      const state = await inspect(store);
      expect(state.verdict, context).toMatchObject({ ok: true, unsealed: state.unsealed.length });
      expect(state.coverage.gaps, context).toEqual([]);
      expect(state.incidents.rows, context).toBe(state.incidents.ids);
      const logged = new Set(
        state.entries
          .slice(earlier)
          .filter((e) => e.kind === 'action' || e.kind === 'rollback')
          .map((e) => `${e.kind === 'action' ? 'apply' : 'rollback'} ${(e.data as { id: string }).id}`),
      );
      expect(
        calls.filter((call) => !logged.has(call)),
        context,
      ).toEqual([]);
      // Each run's ids carry its own run id, so no run overwrites another's actions.
      const runId = state.runs.at(-1)?.id;
      expect(
        calls.filter((call) => !call.includes(` ${runId}-act-`)),
        context,
      ).toEqual([]);
      earlier = state.entries.length;
    }
  });

  it('holds every audit entry whose append resolved before the writer was killed', {
    timeout: 120_000,
  }, async () => {
    // The guarantee the loop relies on to log an action's intent before calling its executor.
    const store = join(root, 'durable');
    const script = join(root, 'appender.mts');
    const module = (path: string) => JSON.stringify(resolve(path));
    await writeFile(
      script,
      `import { openStoreForWriting } from ${module('src/knowledge/store-directory.ts')};
       import { PGliteAuditStore } from ${module('src/knowledge/pglite-audit-store.ts')};
       import { AuditLog } from ${module('src/security/audit-log.ts')};
       import { NodeKeys } from ${module('src/security/keys.ts')};
       const opened = await openStoreForWriting(process.argv[2]);
       const audit = await PGliteAuditStore.fromDatabase(opened.knowledge.database);
       const keys = NodeKeys.generate({ owner: 'engine' });
       await audit.putKeys(keys.ring());
       const log = await AuditLog.open(audit, keys, { batchSize: 64, sealAfterMs: 60_000 });
       for (let i = 0; ; i++) {
         await log.append({ kind: 'action', actor: 'engine', data: { id: 'a' + i } });
         process.stdout.write('durable ' + i + '\\n');
       }`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, store], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const exited = new Promise((done) => child.on('exit', done));
    await new Promise<void>((enough) =>
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (/durable 150\n/.test(stdout)) enough();
      }),
    );
    child.kill('SIGKILL');
    await exited;
    const told = Math.max(...[...stdout.matchAll(/durable (\d+)/g)].map((m) => Number(m[1])));
    const opened = await openStoreForReading(store);
    try {
      const audit = await PGliteAuditStore.existing(opened.knowledge.database, store);
      const { entries } = await audit.size();
      expect(entries).toBeGreaterThan(told);
      const ids = (await audit.entries(0, told + 1)).map((e) => (e.data as { id: string }).id);
      expect(ids).toEqual(Array.from({ length: told + 1 }, (_, i) => `a${i}`));
      const verdict = await verifyAuditLog(audit, await audit.keyRing());
      expect(verdict).toMatchObject({ ok: true, entries });
      // Seals came only from full batches: whatever followed the last one is reported unsealed.
      expect(verdict.ok && verdict.unsealed).toBe(entries % 64);
    } finally {
      await opened.close();
    }
  });
});
