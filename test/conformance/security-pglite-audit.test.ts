import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteAuditStore } from '../../src/knowledge/pglite-audit-store.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { MemoryAuditStore } from '../../src/security/audit-store.ts';
import { verifyAuditLog } from '../../src/security/audit-verify.ts';
import { NodeKeys } from '../../src/security/keys.ts';
import { HOUR, T0, behavesLikeAnAuditStore, entry, seal } from './helpers/store-contracts.ts';

behavesLikeAnAuditStore('memory', async () => new MemoryAuditStore());
behavesLikeAnAuditStore('PGlite', () => PGliteAuditStore.open('memory://'));

describe('the audit log on PGlite', () => {
  let knowledge: PGliteStore;
  let store: PGliteAuditStore;
  const keys = NodeKeys.generate({ owner: 'engine', now: T0, rotationMs: HOUR });
  let clock = T0;
  const now = () => (clock += 1000);

  beforeAll(async () => {
    knowledge = await PGliteStore.open('memory://');
    store = await PGliteAuditStore.fromDatabase(knowledge.database);
  });
  afterAll(() => knowledge.close());

  it('keeps a log that verifies, across key rotation and a fresh AuditLog on the same store', async () => {
    const first = await AuditLog.open(store, keys, { batchSize: 64, now });
    // Odd strings must survive storage byte for byte: the verifier re-hashes what it reads.
    await first.append({
      kind: 'plan',
      actor: 'engine',
      data: { note: 'nul \u0000, emoji \u{1F600}, quote " and \\', big: 1e21, tiny: 5e-324 },
    });
    for (let i = 1; i < 150; i++) await first.append({ kind: 'action', actor: 'engine', data: { i } });
    await first.flush();
    clock += 2 * HOUR; // the next batches are signed by a rotated key
    const second = await AuditLog.open(store, keys, { batchSize: 64, now });
    for (let i = 150; i < 200; i++) await second.append({ kind: 'result', actor: 'engine', data: { i } });
    await second.flush();
    expect(await store.size()).toEqual({ entries: 200, seals: 4 });
    expect((await store.entries(0, 1))[0].data).toEqual({
      note: 'nul \u0000, emoji \u{1F600}, quote " and \\',
      big: 1e21,
      tiny: 5e-324,
    });
    expect((await store.entries(150, 151))[0].seq).toBe(150);
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({ ok: true, entries: 200, batches: 4 });
  });

  it("stores the signers' public keys, each once", async () => {
    await store.putKeys(keys.ring());
    await store.putKeys(keys.ring());
    const ring = await store.keyRing();
    const ids = (records: { id: string }[]) => records.map((r) => r.id).sort();
    expect(ids(ring.records())).toEqual(ids(keys.ring().records()));
    expect(ring.records().length).toBe(4); // two generations of signing + KEM keys
    expect((await verifyAuditLog(store, ring)).ok).toBe(true);
  });

  it('seals a batch in one transaction: a failed seal insert leaves no sealed entries behind', async () => {
    const db = knowledge.database;
    const before = await store.size();
    // The seal is inserted after the entries; make that insert fail inside the transaction.
    await db.exec(`CREATE FUNCTION refuse_seal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'seal refused'; END $$;
      CREATE TRIGGER refuse_seal BEFORE INSERT ON audit_seals FOR EACH ROW EXECUTE FUNCTION refuse_seal();`);
    await expect(
      store.sealBatch([entry(before.entries, before.seals)], seal(before.seals, before.entries, 1)),
    ).rejects.toThrow(/seal refused/);
    expect(await store.size()).toEqual(before);
    await db.exec(`DROP TRIGGER refuse_seal ON audit_seals; DROP FUNCTION refuse_seal();`);
    expect((await verifyAuditLog(store, keys.ring())).ok).toBe(true);
  });

  it('reports rows deleted or swapped in the database', async () => {
    const db = knowledge.database;
    await db.query(`UPDATE audit_entries SET position = -position - 1 WHERE position IN (10, 11)`);
    await db.query(
      `UPDATE audit_entries SET position = CASE position WHEN -11 THEN 11 ELSE 10 END WHERE position < 0`,
    );
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({
      ok: false,
      reason: 'reordered',
      position: 10,
    });
    await db.query(`UPDATE audit_entries SET position = -position - 1 WHERE position IN (10, 11)`);
    await db.query(
      `UPDATE audit_entries SET position = CASE position WHEN -11 THEN 11 ELSE 10 END WHERE position < 0`,
    );
    expect((await verifyAuditLog(store, keys.ring())).ok).toBe(true);
    await db.query(`DELETE FROM audit_entries WHERE position = 70`);
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({
      ok: false,
      reason: 'deleted',
      position: 70,
    });
  });
});
