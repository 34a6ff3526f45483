import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { PGliteAuditStore } from '../../src/knowledge/pglite-audit-store.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import type { AuditEntry, BatchSeal, UnsealedEntry } from '../../src/security/audit-entry.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { MemoryAuditStore, type AuditStore } from '../../src/security/audit-store.ts';
import { verifyAuditLog } from '../../src/security/audit-verify.ts';
import { NodeKeys } from '../../src/security/keys.ts';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;

function entry(seq: number, batch: number): AuditEntry {
  return {
    v: 1,
    seq,
    ts: T0 + seq,
    kind: 'action',
    actor: 'engine',
    data: { n: seq },
    prev: '0'.repeat(64),
    hash: seq.toString(16).padStart(64, '0'),
    batch,
    index: 0,
    proof: [],
  };
}

function seal(batch: number, firstSeq: number, count: number): BatchSeal {
  return {
    v: 1,
    batch,
    firstSeq,
    count,
    root: '1'.repeat(64),
    head: '2'.repeat(64),
    prevSeal: '3'.repeat(64),
    ts: T0,
    keyId: 'k',
    algorithm: 'ml-dsa-65',
    signature: 'AAAA',
  };
}

function unsealed(seq: number): UnsealedEntry {
  const { batch: _b, index: _i, proof: _p, ...rest } = entry(seq, 0);
  return rest;
}

function behavesLikeAnAuditStore(
  name: string,
  open: () => Promise<AuditStore & { close?(): Promise<void> }>,
) {
  describe(`${name} audit store`, () => {
    let store: AuditStore & { close?(): Promise<void> };
    beforeAll(async () => {
      store = await open();
    });
    afterAll(() => store.close?.());

    it('seals batches and reads entries and seals back by position, clipped to what exists', async () => {
      expect(await store.size()).toEqual({ entries: 0, seals: 0 });
      await store.sealBatch([entry(0, 0), entry(1, 0)], seal(0, 0, 2));
      await store.sealBatch([entry(2, 1)], seal(1, 2, 1));
      expect(await store.size()).toEqual({ entries: 3, seals: 2 });
      expect((await store.entries(1, 10)).map((e) => e.seq)).toEqual([1, 2]);
      expect(await store.entries(0, 1)).toEqual([entry(0, 0)]);
      expect(await store.entries(5, 9)).toEqual([]);
      expect(await store.seals(0, 2)).toEqual([seal(0, 0, 2), seal(1, 2, 1)]);
    });

    it('keeps unsealed entries and rewrites them sealed when their batch is sealed', async () => {
      await store.appendEntries([unsealed(3), unsealed(4)]);
      await store.appendEntries([unsealed(5)]);
      expect(await store.size()).toEqual({ entries: 6, seals: 2 });
      expect(await store.entries(3, 6)).toEqual([unsealed(3), unsealed(4), unsealed(5)]);
      // A seal may cover stored unsealed entries and new ones together.
      await store.sealBatch([entry(3, 2), entry(4, 2), entry(5, 2), entry(6, 2)], seal(2, 3, 4));
      expect(await store.size()).toEqual({ entries: 7, seals: 3 });
      expect(await store.entries(3, 7)).toEqual([entry(3, 2), entry(4, 2), entry(5, 2), entry(6, 2)]);
    });

    it('refuses a write that does not continue what is stored (a second writer)', async () => {
      await expect(store.appendEntries([unsealed(3)])).rejects.toThrow(/another writer/);
      await expect(store.appendEntries([unsealed(9)])).rejects.toThrow(/another writer/);
      await expect(store.sealBatch([entry(7, 2)], seal(2, 7, 1))).rejects.toThrow(/another writer/);
      await expect(store.sealBatch([entry(9, 3)], seal(3, 9, 1))).rejects.toThrow(/another writer/);
      await store.appendEntries([unsealed(7)]);
      const other = { ...entry(7, 3), hash: 'f'.repeat(64) };
      await expect(store.sealBatch([other], seal(3, 7, 1))).rejects.toThrow(/not the one being sealed/);
      await store.sealBatch([entry(7, 3)], seal(3, 7, 1));
      await expect(store.sealBatch([entry(7, 4)], seal(4, 7, 1))).rejects.toThrow(/not the one being sealed/);
      expect(await store.size()).toEqual({ entries: 8, seals: 4 });
    });

    it('refuses bad ranges and batches with an ArgumentError', async () => {
      await expect(store.entries(-1, 2)).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.entries(3, 2)).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.seals(0.5, 2)).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.sealBatch([], seal(4, 8, 1))).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.sealBatch([entry(8, 4)], null as never)).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.sealBatch([entry(8, 4)], seal(4, 8, 2))).rejects.toBeInstanceOf(ArgumentError);
      await expect(store.appendEntries([unsealed(8), unsealed(10)])).rejects.toBeInstanceOf(ArgumentError);
      expect(await store.size()).toEqual({ entries: 8, seals: 4 });
    });
  });
}

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
