import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { MemoryAuditStore, type AuditStore } from '../../src/security/audit-store.ts';
import { verifyAuditEntry, verifyAuditLog } from '../../src/security/audit-verify.ts';
import { entryHash, type AuditEntry, type BatchSeal } from '../../src/security/audit-entry.ts';
import { toHex } from '../../src/security/bytes.ts';
import { canonicalJson } from '../../src/security/canonical.ts';
import { sha256 } from '../../src/security/pq.ts';
import { KeyRing, NodeKeys } from '../../src/security/keys.ts';

const T0 = Date.UTC(2026, 0, 1);
const KINDS = ['plan', 'action', 'result', 'rollback', 'escalation'];

/** Builds a sealed log of `count` entries; the clock advances `step` ms per call. */
async function buildLog(keys: NodeKeys, count: number, batchSize: number, step = 1) {
  let t = T0;
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, keys, { batchSize, now: () => (t += step) });
  for (let i = 0; i < count; i++) {
    await log.append({
      kind: KINDS[i % KINDS.length],
      actor: 'execute',
      data: { i, target: `svc-${i % 3}`, ok: i % 2 === 0 },
    });
  }
  await log.flush();
  const size = await store.size();
  const entries = (await store.entries(0, size.entries)) as AuditEntry[];
  return { store, entries, seals: await store.seals(0, size.seals) };
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const storeOf = (entries: AuditEntry[], seals: BatchSeal[]) =>
  new MemoryAuditStore(copy(entries), copy(seals));

describe('audit log', () => {
  let keys: NodeKeys;
  let entries: AuditEntry[];
  let seals: BatchSeal[];
  let ring: KeyRing;

  beforeAll(async () => {
    keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    ring = keys.ring();
    ({ entries, seals } = await buildLog(keys, 20, 8));
  });

  it('chains entries, seals batches of 8 and verifies', async () => {
    expect(seals.map((s) => s.count)).toEqual([8, 8, 4]);
    expect(entries[0].prev).toBe('0'.repeat(64));
    expect(entries[5].prev).toBe(entries[4].hash);
    expect(entries[3].proof).toHaveLength(3);
    const verdict = await verifyAuditLog(storeOf(entries, seals), ring);
    expect(verdict).toEqual({
      ok: true,
      entries: 20,
      batches: 3,
      head: entries[19].hash,
      unsealed: 0,
      recovered: [],
    });
  });

  it('hashes an entry as SHA-256 of the canonical JSON of its content and prev', () => {
    const { v, seq, ts, kind, actor, data, prev } = entries[7];
    const canonical = canonicalJson({ v, seq, ts, kind, actor, data, prev });
    expect(canonical.startsWith('{"actor":"execute","data":{"i":7,')).toBe(true);
    expect(toHex(sha256(new TextEncoder().encode(canonical)))).toBe(entries[7].hash);
  });

  it('verifies any single entry alone with its proof and seal', () => {
    for (const entry of entries)
      expect(verifyAuditEntry(entry, seals[entry.batch], ring)).toEqual({ ok: true });
    const forged = { ...entries[9], data: { i: 999 } };
    expect(verifyAuditEntry(forged, seals[1], ring)).toMatchObject({ ok: false, reason: 'altered' });
    expect(verifyAuditEntry(entries[9], seals[0], ring)).toMatchObject({ ok: false, reason: 'altered' });
  });

  it('reports altered content, and a recomputed hash that the signed root does not cover', async () => {
    const edited = copy(entries);
    edited[10].data = { i: 10, target: 'svc-1', ok: false };
    expect(await verifyAuditLog(storeOf(edited, seals), ring)).toMatchObject({
      ok: false,
      reason: 'altered',
      position: 10,
      verifiedEntries: 10,
    });
    edited[10].hash = toHex(entryHash(edited[10]));
    expect(await verifyAuditLog(storeOf(edited, seals), ring)).toMatchObject({
      ok: false,
      reason: 'altered',
      position: 10,
    });
  });

  it('reports reordered, deleted and inserted entries at the first bad position', async () => {
    const swapped = copy(entries);
    [swapped[12], swapped[13]] = [swapped[13], swapped[12]];
    expect(await verifyAuditLog(storeOf(swapped, seals), ring)).toMatchObject({
      reason: 'reordered',
      position: 12,
    });

    const deleted = copy(entries);
    deleted.splice(3, 1);
    expect(await verifyAuditLog(storeOf(deleted, seals), ring)).toMatchObject({
      reason: 'deleted',
      position: 3,
    });

    const duplicated = copy(entries);
    duplicated.splice(6, 0, copy(entries[5]));
    expect(await verifyAuditLog(storeOf(duplicated, seals), ring)).toMatchObject({
      reason: 'inserted',
      position: 6,
    });

    const forged = copy(entries);
    const fake: AuditEntry = { ...copy(entries[6]), data: { injected: true } };
    fake.hash = toHex(entryHash(fake));
    forged.splice(6, 0, fake);
    expect(await verifyAuditLog(storeOf(forged, seals), ring)).toMatchObject({
      reason: 'inserted',
      position: 6,
    });

    const unsealed = copy(entries);
    unsealed.push({ ...copy(entries[19]), seq: 20, prev: entries[19].hash });
    expect(await verifyAuditLog(storeOf(unsealed, seals), ring)).toMatchObject({
      reason: 'inserted',
      position: 20,
    });
  });

  it('reports truncation inside a batch, and of whole batches against a checkpoint', async () => {
    expect(await verifyAuditLog(storeOf(entries.slice(0, 18), seals), ring)).toMatchObject({
      reason: 'truncated',
      position: 18,
    });
    const cut = storeOf(entries.slice(0, 16), seals.slice(0, 2));
    expect(await verifyAuditLog(cut, ring)).toMatchObject({ ok: true, entries: 16 });
    expect(await verifyAuditLog(cut, ring, { expectedEntries: 20 })).toMatchObject({
      ok: false,
      reason: 'truncated',
      position: 16,
    });
  });

  it('reports deleted or duplicated seals and a broken seal signature', async () => {
    const withoutSeal = storeOf(entries.slice(8), seals.slice(1));
    expect(await verifyAuditLog(withoutSeal, ring)).toMatchObject({ reason: 'deleted', position: 0 });
    const badSignature = copy(seals);
    badSignature[1].signature = badSignature[1].signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await verifyAuditLog(storeOf(entries, badSignature), ring)).toMatchObject({
      reason: 'altered',
      position: 8,
      batch: 1,
    });
  });

  it('reports seals by an unknown key and by an expired key', async () => {
    const stranger = NodeKeys.generate({ owner: 'stranger', now: T0 }).ring();
    expect(await verifyAuditLog(storeOf(entries, seals), stranger)).toMatchObject({
      reason: 'unknown-key',
      position: 0,
    });
    const short = new KeyRing(ring.records().map((r) => ({ ...r, expires: r.created + 10 })));
    expect(await verifyAuditLog(storeOf(entries, seals), short)).toMatchObject({
      reason: 'expired-key',
      position: 8,
      batch: 1,
    });
  });

  it('rejects bad events with errors naming the field', async () => {
    const log = await AuditLog.open(new MemoryAuditStore(), keys, { batchSize: 4 });
    await expect(log.append({ kind: 'Not A Kind', actor: 'x' })).rejects.toThrow(ArgumentError);
    await expect(log.append({ kind: 'plan', actor: '' })).rejects.toThrow(/event.actor/);
    await expect(log.append({ kind: 'plan', actor: 'x', data: { v: Number.NaN } })).rejects.toThrow(
      /event.data.v/,
    );
    await expect(AuditLog.open(new MemoryAuditStore(), keys, { batchSize: 0 })).rejects.toThrow(
      /options.batchSize/,
    );
  });

  it('rejects every single-bit flip in a serialised entry (fast-check)', async () => {
    const small = { entries: entries.slice(0, 8), seals: seals.slice(0, 1) };
    const encoded = small.entries.map((e) => new TextEncoder().encode(JSON.stringify(e)));
    let parsedCases = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 7 }), fc.nat(), async (which, bitSeed) => {
        const bytes = encoded[which].slice();
        const bit = bitSeed % (bytes.length * 8);
        bytes[bit >> 3] ^= 1 << (bit & 7);
        let mutated: AuditEntry;
        try {
          mutated = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          return; // no longer JSON: a store cannot even load it
        }
        parsedCases++;
        const list = copy(small.entries);
        list[which] = mutated;
        const verdict = await verifyAuditLog(new MemoryAuditStore(list, copy(small.seals)), ring);
        expect(verdict.ok).toBe(false);
        expect(verifyAuditEntry(mutated, small.seals[0], ring).ok).toBe(false);
      }),
      { numRuns: 1500, seed: 6 },
    );
    expect(parsedCases).toBeGreaterThan(1000);
  });

  it('rejects single-bit flips in a serialised seal (fast-check)', async () => {
    const small = { entries: entries.slice(0, 8), seals: seals.slice(0, 1) };
    const encoded = new TextEncoder().encode(JSON.stringify(small.seals[0]));
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (bitSeed) => {
        const bytes = encoded.slice();
        const bit = bitSeed % (bytes.length * 8);
        bytes[bit >> 3] ^= 1 << (bit & 7);
        let seal: BatchSeal;
        try {
          seal = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          return;
        }
        const verdict = await verifyAuditLog(new MemoryAuditStore(copy(small.entries), [seal]), ring);
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('audit log across key rotation', () => {
  it('stays verifiable when the signing key rotates mid-log and the log is reopened', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0, rotationMs: 40 });
    const { store, seals } = await buildLog(keys, 24, 4, 3);
    expect(new Set(seals.map((s) => s.keyId)).size).toBeGreaterThanOrEqual(3);
    let t = T0 + 1000;
    const reopened = await AuditLog.open(store, keys, { batchSize: 4, now: () => (t += 3) });
    await reopened.append({ kind: 'rollback', actor: 'execute', data: { after: 'reopen' } });
    await reopened.flush();
    const verdict = await verifyAuditLog(store, keys.ring());
    expect(verdict).toMatchObject({ ok: true, entries: 25, batches: 7 });
    // A verifier that only learned the newest key cannot vouch for the older batches.
    const newest = new KeyRing([
      keys
        .ring()
        .records()
        .filter((r) => r.algorithm === 'ml-dsa-65')
        .pop()!,
    ]);
    expect(await verifyAuditLog(store, newest)).toMatchObject({
      ok: false,
      reason: 'unknown-key',
      position: 0,
    });
  });

  it('stays verifiable for any rotation period, batch size and clock step (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        async (rotationMs, batchSize, step) => {
          const keys = NodeKeys.generate({ owner: 'engine', now: T0, rotationMs });
          const { store, entries, seals } = await buildLog(keys, 9, batchSize, step);
          expect(await verifyAuditLog(store, keys.ring())).toMatchObject({ ok: true, entries: 9 });
          for (const entry of [entries[0], entries[8]])
            expect(verifyAuditEntry(entry, seals[entry.batch], keys.ring())).toEqual({ ok: true });
        },
      ),
      { numRuns: 8, seed: 6 },
    );
  });

  it('verifies a hybrid ML-DSA-65 + Ed25519 log and rejects a broken Ed25519 half', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0, signatureAlgorithm: 'ml-dsa-65+ed25519' });
    const { entries, seals } = await buildLog(keys, 6, 4);
    expect(seals[0].algorithm).toBe('ml-dsa-65+ed25519');
    expect(await verifyAuditLog(storeOf(entries, seals), keys.ring())).toMatchObject({
      ok: true,
      entries: 6,
    });
    const broken = copy(seals);
    const sig = broken[0].signature;
    const at = sig.length - 10; // inside the trailing Ed25519 signature
    broken[0].signature = sig.slice(0, at) + (sig[at] === 'A' ? 'B' : 'A') + sig.slice(at + 1);
    expect(await verifyAuditLog(storeOf(entries, broken), keys.ring())).toMatchObject({
      ok: false,
      reason: 'altered',
      batch: 0,
    });
  });
});

describe('audit log durability and checkpoints', () => {
  const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
  const event = (i: number) => ({ kind: 'action', actor: 'engine', data: { i } });

  it('stores each entry when append resolves, before any seal, and reports the unsealed tail', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, keys, { batchSize: 4, now: () => T0 + 1 });
    for (let i = 0; i < 6; i++) await log.append(event(i));
    // Four sealed, two durable but unsealed.
    expect(await store.size()).toEqual({ entries: 6, seals: 1 });
    const tail = await store.entries(4, 6);
    expect(tail.map((e) => Object.keys(e).length)).toEqual([8, 8]);
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({
      ok: true,
      entries: 6,
      batches: 1,
      unsealed: 2,
      head: tail[1].hash,
    });
    await log.flush();
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({ ok: true, entries: 6, unsealed: 0 });
  });

  it('writes the appends of one moment together, and each resolves only once stored', async () => {
    const store = new MemoryAuditStore();
    const writes: number[] = [];
    let stored = 0;
    const counting: AuditStore = {
      appendEntries: async (entries) => {
        writes.push(entries.length);
        await store.appendEntries(entries);
        stored += entries.length;
      },
      sealBatch: (entries, seal) => store.sealBatch(entries, seal),
      size: () => store.size(),
      entries: (from, to) => store.entries(from, to),
      seals: (from, to) => store.seals(from, to),
    };
    const log = await AuditLog.open(counting, keys, { batchSize: 100, now: () => T0 + 1 });
    const durable = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => log.append(event(i)).then((r) => ({ seq: r.seq, stored }))),
    );
    expect(durable.every((d) => d.stored > d.seq)).toBe(true);
    expect(durable.map((d) => d.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(5);
    expect(writes.length).toBeLessThan(5);
    expect((await store.size()).entries).toBe(5);
  });

  it('seals on the first append after sealAfterMs, without a timer', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, keys, { batchSize: 256, sealAfterMs: 20, now: () => T0 + 1 });
    await log.append(event(0));
    expect((await store.size()).seals).toBe(0);
    const until = performance.now() + 25;
    while (performance.now() < until) {} // busy, as a run that never yields to timers is
    await log.append(event(1));
    expect(await store.size()).toEqual({ entries: 2, seals: 1 });
  });

  it('seals a tail an interrupted writer left, marks the recovery, and verification lists it', async () => {
    const store = new MemoryAuditStore();
    const first = await AuditLog.open(store, keys, { batchSize: 4, now: () => T0 + 1 });
    for (let i = 0; i < 7; i++) await first.append(event(i)); // then the writer "dies"
    const second = await AuditLog.open(store, keys, { batchSize: 4, now: () => T0 + 2 });
    expect(second.recovered).toBe(3);
    await second.flush();
    const kinds = (await store.entries(0, 8)).map((e) => e.kind);
    expect(kinds[7]).toBe('audit.recovered');
    expect((await store.entries(7, 8))[0].data).toEqual({ first: 4, count: 3, batch: 1 });
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({
      ok: true,
      entries: 8,
      batches: 3,
      unsealed: 0,
      recovered: [{ first: 4, count: 3, batch: 1 }],
    });
  });

  it('refuses to open over an unsealed tail that does not chain, and verification names it', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, keys, { batchSize: 4, now: () => T0 + 1 });
    for (let i = 0; i < 6; i++) await log.append(event(i));
    const entries = copy(await store.entries(0, 6));
    (entries[5].data as { i: number }).i = 50;
    const edited = new MemoryAuditStore(entries, copy(await store.seals(0, 1)));
    expect(await verifyAuditLog(edited, keys.ring())).toMatchObject({
      ok: false,
      reason: 'altered',
      position: 5,
    });
    await expect(AuditLog.open(edited, keys)).rejects.toThrow(
      /position 5 after the last seal does not match/,
    );
    expect((await edited.size()).seals).toBe(1); // nothing sealed
    const forged = copy(await store.entries(0, 6));
    forged[4] = { ...forged[4], prev: 'f'.repeat(64) };
    expect(
      await verifyAuditLog(new MemoryAuditStore(forged, copy(await store.seals(0, 1))), keys.ring()),
    ).toMatchObject({ ok: false, position: 4 });
  });

  it('fails an empty log, and a log cut back past a checkpoint or an expected head', async () => {
    expect(await verifyAuditLog(new MemoryAuditStore(), keys.ring())).toMatchObject({
      ok: false,
      reason: 'truncated',
      position: 0,
    });
    const { store, entries, seals } = await buildLog(keys, 12, 4);
    const head = entries[11].hash;
    const saved = { entries: 12, head };
    expect(
      await verifyAuditLog(store, keys.ring(), { checkpoints: [saved], expectHead: head }),
    ).toMatchObject({
      ok: true,
    });
    for (const keep of [2, 1]) {
      const cut = storeOf(entries.slice(0, keep * 4), seals.slice(0, keep));
      expect(await verifyAuditLog(cut, keys.ring())).toMatchObject({ ok: true }); // alone, it verifies
      expect(await verifyAuditLog(cut, keys.ring(), { checkpoints: [saved] })).toMatchObject({
        ok: false,
        reason: 'truncated',
      });
      expect(await verifyAuditLog(cut, keys.ring(), { expectHead: head })).toMatchObject({
        ok: false,
        reason: 'truncated',
      });
    }
    // An earlier checkpoint still holds on a log that grew since.
    expect(
      await verifyAuditLog(store, keys.ring(), { checkpoints: [{ entries: 8, head: entries[7].hash }] }),
    ).toMatchObject({ ok: true });
    // A checkpoint the log contradicts: rewritten after it.
    expect(
      await verifyAuditLog(store, keys.ring(), { checkpoints: [{ entries: 8, head: entries[6].hash }] }),
    ).toMatchObject({ ok: false, reason: 'altered', position: 7 });
    // A saved head that only an unsealed entry carries does not count: nobody signed it.
    const unsealedHead = storeOf(entries.slice(0, 8), seals.slice(0, 1)).entries(0, 8);
    const asTail = (await unsealedHead).map((e, i) => {
      if (i < 4) return e;
      const { batch: _b, index: _i, proof: _p, ...rest } = e as AuditEntry;
      return rest;
    });
    expect(
      await verifyAuditLog(new MemoryAuditStore(asTail, copy(seals.slice(0, 1))), keys.ring(), {
        checkpoints: [{ entries: 8, head: entries[7].hash }],
      }),
    ).toMatchObject({ ok: false, reason: 'truncated' });
  });
});
