import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteAuditStore } from '../src/knowledge/pglite-audit-store.ts';
import { newRunId } from '../src/knowledge/ids.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { openStoreForWriting } from '../src/knowledge/store-directory.ts';
import type { BatchSeal, StoredEntry } from '../src/security/audit-entry.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { verifyAuditLog } from '../src/security/audit-verify.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { runAudit } from './audit-cli.ts';

const T0 = Date.UTC(2026, 0, 1);

async function everything(store: PGliteAuditStore): Promise<{ entries: StoredEntry[]; seals: BatchSeal[] }> {
  const size = await store.size();
  return { entries: await store.entries(0, size.entries), seals: await store.seals(0, size.seals) };
}

/** Every file under `root` with its size and modification time. */
async function listing(root: string): Promise<string[]> {
  const files = await readdir(root, { recursive: true });
  const rows = await Promise.all(
    files.map(async (f) => {
      const s = await stat(join(root, f));
      return `${relative(root, join(root, f))} ${s.size} ${s.mtimeMs}`;
    }),
  );
  return rows.sort();
}

describe('PGlite audit store on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0-audit-store-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loses nothing across a close and reopen, and the log continues where it stopped', async () => {
    const path = join(dir, 'alone');
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    let clock = T0;
    const now = () => ++clock;
    const first = await PGliteAuditStore.open(path);
    const log = await AuditLog.open(first, keys, { batchSize: 64, now });
    for (let i = 0; i < 300; i++) await log.append({ kind: 'action', actor: 'engine', data: { i } });
    await log.flush();
    const before = await everything(first);
    await first.close();

    const second = await PGliteAuditStore.open(path);
    expect(await everything(second)).toEqual(before);
    const resumed = await AuditLog.open(second, keys, { batchSize: 64, now });
    await resumed.append({ kind: 'result', actor: 'engine', data: { after: 'reopen' } });
    await resumed.flush();
    await second.close();

    const third = await PGliteAuditStore.open(path);
    expect(await third.size()).toEqual({ entries: 301, seals: 6 });
    expect(await verifyAuditLog(third, keys.ring())).toMatchObject({ ok: true, entries: 301, batches: 6 });
    await third.close();
  });

  describe('x0tta6bl4 audit verify|show <store directory>', () => {
    let path: string;
    let keysPath: string;
    const runId = newRunId(T0);
    const actionId = `${runId}-act-1`;

    beforeAll(async () => {
      // The engine's layout: knowledge, runs and audit log in one database directory.
      path = join(dir, 'engine');
      const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
      const knowledge = await PGliteStore.open(path);
      const audit = await PGliteAuditStore.fromDatabase(knowledge.database);
      let clock = T0;
      const log = await AuditLog.open(audit, keys, { batchSize: 4, now: () => ++clock });
      const incidentId = `${runId}-inc-1`;
      for (const [kind, data] of [
        ['run.start', { runId }],
        ['plan', { incidentId, action: 'restart-service' }],
        ['action', { incidentId, id: actionId, action: 'restart-service' }],
        ['result', { incidentId, id: actionId, outcome: 'not-healed' }],
        ['rollback', { incidentId, id: actionId }],
        ['escalation', { incidentId }],
        ['run.end', { runId }],
      ] as const)
        await log.append({ kind, actor: 'engine', data });
      await log.flush();
      await audit.putKeys(keys.ring());
      await knowledge.putAction({
        id: actionId,
        incidentId,
        action: 'restart-service',
        target: { node: 'n1' },
        startedAt: 10,
        finishedAt: 20,
        outcome: 'not-healed',
        score: 0.5,
        explanation: '',
      });
      const { entries, head } = log.checkpoint();
      await knowledge.putRun({
        id: runId,
        startedAt: T0,
        host: 'h',
        pid: 1,
        status: 'finished',
        audit: { entries, head },
      });
      await knowledge.putValue('thresholds', { cpu: 0.7 });
      await knowledge.close();
      keysPath = join(dir, 'engine-keys.json');
      await writeFile(keysPath, JSON.stringify(keys.ring().toJSON()));
    });

    /** A copy of the engine store to edit, closed again after `edit`. */
    async function editedCopy(name: string, edit: (db: PGliteStore['database']) => Promise<unknown>) {
      const copy = join(dir, name);
      await cp(path, copy, { recursive: true });
      const knowledge = await PGliteStore.open(copy);
      await edit(knowledge.database);
      await knowledge.close();
      return copy;
    }

    it('verifies the store against the pinned keys, its run checkpoint and its knowledge', async () => {
      const withKeys = await runAudit(['verify', path, '--keys', keysPath]);
      expect(withKeys).toMatchObject({ code: 0, err: [] });
      expect(withKeys.out[0]).toMatch(
        /^OK \(signatures checked against the pinned keys in .*\): 7 entries in 2 signed batches/,
      );
      expect(withKeys.out).toContain('truncation: the log still holds 1 saved head it was checked against');
      expect(withKeys.out).toContain(
        'knowledge: each of the 1 action and 1 run in the store has its audit entries',
      );
      const embedded = await runAudit(['verify', path, '--trust-embedded']);
      expect(embedded.code).toBe(0);
      expect(embedded.out[0]).toMatch(
        /keys the log itself carries: proves integrity since the first seal, not who wrote it/,
      );
      expect((await runAudit(['verify', path, '--trust-embedded', '--expect-entries', '8'])).code).toBe(1);
    });

    it('never writes to the store it verifies: every file, size and time is as before', async () => {
      const before = await listing(path);
      expect((await runAudit(['verify', path, '--keys', keysPath])).code).toBe(0);
      expect((await runAudit(['show', path])).code).toBe(0);
      expect(await listing(path)).toEqual(before);
    });

    it('shows entries from the store', async () => {
      const { code, out } = await runAudit(['show', path, '--from', '1', '--limit', '3', '--json']);
      expect(code).toBe(0);
      expect(out.map((l) => JSON.parse(l).kind)).toEqual(['plan', 'action', 'result']);
    });

    it('fails verification after an edit of the stored log, and the knowledge is untouched', async () => {
      const copy = await editedCopy('edited', (db) =>
        db.query(
          `UPDATE audit_entries SET record = replace(record, '"kind":"rollback"', '"kind":"result"') WHERE position = 4`,
        ),
      );
      const { code, out } = await runAudit(['verify', copy, '--keys', keysPath, '--json']);
      expect(code).toBe(1);
      expect(JSON.parse(out[0])).toMatchObject({ ok: false, reason: 'altered', position: 4 });
      const reopened = await PGliteStore.open(copy);
      expect(await reopened.getValue('thresholds')).toEqual({ cpu: 0.7 });
      await reopened.close();
    });

    it('fails a store whose log was cut back, by its run checkpoint or its knowledge', async () => {
      // The last batch cut with its seal: the signatures alone cannot tell.
      const lastBatch = await editedCopy('cut-last', (db) =>
        db.exec('DELETE FROM audit_entries WHERE position >= 4; DELETE FROM audit_seals WHERE position >= 1'),
      );
      const cut = await runAudit(['verify', lastBatch, '--keys', keysPath]);
      expect(cut.code).toBe(1);
      expect(cut.out[0]).toMatch(/^FAILED: truncated .*the checkpoint says entry 6/);
      // Everything cut, the run's record too.
      const everything = await editedCopy('cut-all', (db) =>
        db.exec('DELETE FROM audit_entries; DELETE FROM audit_seals; DELETE FROM runs'),
      );
      const empty = await runAudit(['verify', everything, '--keys', keysPath]);
      expect(empty.code).toBe(1);
      expect(empty.out[0]).toMatch(/^FAILED: truncated .*the log is empty/);
      // The log intact but an action the log never saw: the cross-check names it.
      const unaudited = await editedCopy('unaudited', (db) =>
        db.query(
          `INSERT INTO actions (id, incident_id, started_at, record) SELECT 'ghost', incident_id, started_at,
             jsonb_set(record, '{id}', '"ghost"') FROM actions`,
        ),
      );
      const ghost = await runAudit(['verify', unaudited, '--keys', keysPath]);
      expect(ghost.code).toBe(1);
      expect(ghost.out[0]).toMatch(
        /^FAILED: coverage: .*ghost lacks its action entry \(intent\); ghost lacks a result entry with outcome not-healed/,
      );
    });

    it('exits 2 for a folder that is not a store, a store without a log, and a store being written', async () => {
      const empty = join(dir, 'not-a-store');
      await rm(empty, { recursive: true, force: true });
      await mkdir(empty);
      await writeFile(join(empty, 'notes.txt'), 'mine');
      const { code, err } = await runAudit(['verify', empty, '--trust-embedded']);
      expect(code).toBe(2);
      expect(err[0]).toMatch(/is a folder but not a store/);
      expect(await readdir(empty)).toEqual(['notes.txt']);
      expect((await runAudit(['verify', join(dir, 'missing'), '--trust-embedded'])).code).toBe(2);

      const bare = join(dir, 'no-log');
      await (await PGliteStore.open(bare)).close();
      const before = await listing(bare);
      const noLog = await runAudit(['verify', bare, '--trust-embedded']);
      expect(noLog.code).toBe(2);
      expect(noLog.err[0]).toMatch(/the store holds no audit log/);
      expect(await listing(bare)).toEqual(before);

      const writer = await openStoreForWriting(path);
      try {
        const busy = await runAudit(['verify', path, '--keys', keysPath]);
        expect(busy.code).toBe(2);
        expect(busy.err[0]).toMatch(
          new RegExp(`in use by process ${process.pid} on host ${hostname()} since`),
        );
      } finally {
        await writer.close();
      }
    });
  });
});
