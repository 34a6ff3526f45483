import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteAuditStore } from '../src/knowledge/pglite-audit-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import type { AuditEntry, BatchSeal } from '../src/security/audit-entry.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { verifyAuditLog } from '../src/security/audit-verify.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { runAudit } from './audit-cli.ts';

const T0 = Date.UTC(2026, 0, 1);

async function everything(store: PGliteAuditStore): Promise<{ entries: AuditEntry[]; seals: BatchSeal[] }> {
  const size = await store.size();
  return { entries: await store.entries(0, size.entries), seals: await store.seals(0, size.seals) };
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

  describe('x0tta6bl4 audit verify|show <PGlite directory>', () => {
    let path: string;
    let keysPath: string;

    beforeAll(async () => {
      // The engine's layout: knowledge and audit log in one database directory.
      path = join(dir, 'engine');
      const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
      const knowledge = await PGliteStore.open(path);
      const audit = await PGliteAuditStore.fromDatabase(knowledge.database);
      let clock = T0;
      const log = await AuditLog.open(audit, keys, { batchSize: 4, now: () => ++clock });
      for (const kind of ['plan', 'action', 'result', 'rollback', 'escalation'])
        await log.append({ kind, actor: 'engine', data: { incidentId: 'inc-1' } });
      await log.flush();
      await audit.putKeys(keys.ring());
      await knowledge.putValue('thresholds', { cpu: 0.7 });
      await knowledge.close();
      keysPath = join(dir, 'engine-keys.json');
      await writeFile(keysPath, JSON.stringify(keys.ring().toJSON()));
    });

    it('verifies the store against the engine keys, or the keys stored with it', async () => {
      const withKeys = await runAudit(['verify', path, '--keys', keysPath]);
      expect(withKeys).toMatchObject({ code: 0, err: [] });
      expect(withKeys.out[0]).toMatch(/^OK: 5 entries in 2 signed batches/);
      const embedded = await runAudit(['verify', path]);
      expect(embedded.code).toBe(0);
      expect(embedded.err[0]).toMatch(/trusting the public keys stored in the log/);
      expect((await runAudit(['verify', path, '--expect-entries', '6'])).code).toBe(1);
    });

    it('shows entries from the store', async () => {
      const { code, out } = await runAudit(['show', path, '--from', '1', '--limit', '3', '--json']);
      expect(code).toBe(0);
      expect(out.map((l) => JSON.parse(l).kind)).toEqual(['action', 'result', 'rollback']);
    });

    it('fails verification after an edit of the stored log, and the knowledge is untouched', async () => {
      const knowledge = await PGliteStore.open(path);
      await knowledge.database.query(
        `UPDATE audit_entries SET record = replace(record, '"kind":"rollback"', '"kind":"result"') WHERE position = 3`,
      );
      await knowledge.close();
      const { code, out } = await runAudit(['verify', path, '--keys', keysPath, '--json']);
      expect(code).toBe(1);
      expect(JSON.parse(out[0])).toMatchObject({ ok: false, reason: 'altered', position: 3 });
      const reopened = await PGliteStore.open(path);
      expect(await reopened.getValue('thresholds')).toEqual({ cpu: 0.7 });
      await reopened.close();
    });

    it('exits 2 for a directory that is not a PGlite database, creating nothing in it', async () => {
      const empty = join(dir, 'not-a-store');
      await rm(empty, { recursive: true, force: true });
      await mkdir(empty);
      const { code, err } = await runAudit(['verify', empty]);
      expect(code).toBe(2);
      expect(err[0]).toMatch(/not a PGlite data directory/);
      expect(await readdir(empty)).toEqual([]);
      expect((await runAudit(['verify', join(dir, 'missing')])).code).toBe(2);
    });
  });
});
