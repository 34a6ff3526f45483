/**
 * The contracts every store backend keeps, as shared test cases: the knowledge store, the audit
 * store, the RAG store and the model registry over a store. The memory and PGlite backends run
 * them here (test/conformance/, on every runtime); the PostgreSQL backend runs the same cases
 * against a real server (test/knowledge-postgres.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../../src/errors.ts';
import type { IncidentRecord } from '../../../src/knowledge/records.ts';
import type { KnowledgeStore } from '../../../src/knowledge/store.ts';
import type { ModelStore } from '../../../src/knowledge/models.ts';
import { ModelNotFoundError, ModelRegistry, ModelTransitionError } from '../../../src/mlops/index.ts';
import type { RagDocument } from '../../../src/rag/document.ts';
import type { RagStore } from '../../../src/rag/store.ts';
import type { AuditEntry, AuditEvent, BatchSeal, UnsealedEntry } from '../../../src/security/audit-entry.ts';
import type { AuditStore } from '../../../src/security/audit-store.ts';

/** An incident the knowledge contract (and the write queue test) stores. */
export const incident: IncidentRecord = {
  id: 'inc-1',
  openedAt: 10,
  status: 'open',
  signature: 'cpu-exhaustion|cpu+latencyP95',
  nodes: ['n1', 'n2'],
  metrics: ['cpu'],
  rootCauses: [{ target: { node: 'n1' }, score: 0.8 }],
  citations: ['rb-cpu-1'],
};

/** The knowledge store contract: round trips, replacement by id, values. */
export function behavesLikeAStore(name: string, open: () => Promise<KnowledgeStore>) {
  describe(`${name} knowledge store`, () => {
    let store: KnowledgeStore;
    afterAll(() => store?.close());

    it('round-trips incidents, actions, posteriors and values', async () => {
      store = await open();
      await store.putIncident(incident);
      await store.putIncident({ ...incident, status: 'resolved', closedAt: 20 });
      await store.putAction({
        id: 'act-1',
        incidentId: 'inc-1',
        action: 'restart-service',
        target: { node: 'n1' },
        startedAt: 12,
        outcome: 'healed',
        score: 1.2,
        explanation: 'x',
      });
      await store.putAction({
        id: 'act-2',
        incidentId: 'inc-9',
        action: 'reroute',
        target: { link: ['n1', 'n2'] },
        startedAt: 13,
        outcome: 'pending',
        score: 0.1,
        explanation: 'y',
      });
      await store.putPosterior({ signature: 's', action: 'restart-service', alpha: 3, beta: 1 });
      await store.putPosterior({ signature: 's', action: 'restart-service', alpha: 4, beta: 1 });
      await store.putValue('thresholds', { cpu: 0.7 });
      expect(await store.listIncidents()).toEqual([{ ...incident, status: 'resolved', closedAt: 20 }]);
      expect((await store.listActions('inc-1')).map((a) => a.id)).toEqual(['act-1']);
      expect((await store.listActions()).map((a) => a.id)).toEqual(['act-1', 'act-2']);
      expect(await store.listPosteriors()).toEqual([
        { signature: 's', action: 'restart-service', alpha: 4, beta: 1 },
      ]);
      expect(await store.getValue('thresholds')).toEqual({ cpu: 0.7 });
      expect(await store.getValue('missing')).toBeUndefined();
    });
  });
}

/** The audit fixtures' clock: 2026-01-01 UTC, and an hour in ms. */
export const T0 = Date.UTC(2026, 0, 1);
export const HOUR = 3600_000;

/** A sealed entry at `seq` in `batch` (hashes made up: the store does not check them). */
export function entry(seq: number, batch: number): AuditEntry {
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

/** A seal of `count` entries from `firstSeq` (made up: the store does not check signatures). */
export function seal(batch: number, firstSeq: number, count: number): BatchSeal {
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

/** The unsealed form of `entry(seq, 0)`. */
export function unsealed(seq: number): UnsealedEntry {
  const { batch: _b, index: _i, proof: _p, ...rest } = entry(seq, 0);
  return rest;
}

/** The audit store contract: positions, sealing over unsealed entries, second-writer refusals, bad arguments. */
export function behavesLikeAnAuditStore(
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

/** A RAG document `id`, with `extra` fields. */
export const doc = (id: string, extra: Partial<RagDocument> = {}): RagDocument => ({
  id,
  source: 'runbook',
  title: id,
  faults: ['ddos'],
  severity: 'low',
  symptoms: ['s'],
  metrics: [],
  actions: ['rate-limit'],
  body: '',
  ...extra,
});
// Values a lossy encoding would change: a subnormal-range tiny, a huge, negative zero, NaN.
export const awkward = Float32Array.from([0.1, -2.5e-8, 3e30, -0, Number.NaN, 1 / 3]);

/** The RAG store contract: bit-exact embeddings, replacement moving last, deletion, copies out. */
export function behavesLikeARagStore(
  name: string,
  open: () => Promise<RagStore & { close?(): Promise<void> }>,
) {
  describe(`${name} RAG store`, () => {
    let store: RagStore & { close?(): Promise<void> };
    beforeAll(async () => {
      store = await open();
    });
    afterAll(() => store.close?.());

    it('keeps documents and bit-exact embeddings, replaces by id (moving it last) and deletes', async () => {
      await store.putDocuments([
        { document: doc('a'), embedding: awkward, embedderId: 'm1' },
        {
          document: doc('b', { timestamp: 1_700_000_000_123, resolvedBy: 'reroute', source: 'incident' }),
          embedding: awkward.subarray(2),
          embedderId: 'm1',
        },
        { document: doc('c'), embedding: awkward, embedderId: 'm1' },
      ]);
      await store.putDocuments([
        { document: doc('a', { title: 'replaced' }), embedding: awkward.map((x) => x * 2), embedderId: 'm2' },
      ]);
      expect(await store.deleteDocument('c')).toBe(true);
      expect(await store.deleteDocument('c')).toBe(false);
      const listed = await store.listDocuments();
      expect(listed.map((s) => s.document.id)).toEqual(['b', 'a']);
      expect(listed[0].document).toEqual(
        doc('b', { timestamp: 1_700_000_000_123, resolvedBy: 'reroute', source: 'incident' }),
      );
      expect(listed[1]).toMatchObject({ document: { title: 'replaced' }, embedderId: 'm2' });
      expect(new Uint8Array(listed[0].embedding.buffer)).toEqual(new Uint8Array(awkward.slice(2).buffer));
      expect(new Uint8Array(listed[1].embedding.buffer)).toEqual(
        new Uint8Array(awkward.map((x) => x * 2).buffer),
      );
    });

    it('hands out copies: changing a listed embedding changes nothing stored', async () => {
      (await store.listDocuments())[0].embedding.fill(7);
      expect((await store.listDocuments())[0].embedding[0]).toBe(awkward[2]);
    });
  });
}

/** The model registry contract over a store's model tables. */
export function behavesLikeARegistry(
  label: string,
  open: () => Promise<ModelStore & { close(): Promise<void> }>,
) {
  describe(`model registry on ${label}`, () => {
    const opened: { close(): Promise<void> }[] = [];
    afterAll(async () => {
      for (const store of opened) await store.close();
    });
    const registry = async () => {
      const store = await open();
      opened.push(store);
      const audit: AuditEvent[] = [];
      let clock = 1_000;
      const reg = new ModelRegistry(store, {
        audit: { append: async (event) => audit.push(event) },
        now: () => (clock += 1),
      });
      return { store, reg, audit };
    };

    it('numbers versions, keeps lineage and tags, and audits each registration first', async () => {
      const { reg, audit } = await registry();
      const v1 = await reg.register({
        name: 'detector.cpu',
        kind: 'detector',
        artefact: { threshold: 3 },
        parameters: { threshold: 3 },
        metrics: { precision: 0.7 },
        dataWindow: { from: 0, to: 3600 },
        tags: ['baseline'],
      });
      const v2 = await reg.register({
        name: 'detector.cpu',
        kind: 'detector',
        artefact: { threshold: 4 },
        parameters: { threshold: 4, zClip: 8 },
        metrics: { precision: 0.8 },
      });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v1.lineage).toEqual({
        parent: null,
        dataWindow: { from: 0, to: 3600 },
        parameters: { threshold: 3 },
        metrics: { precision: 0.7 },
      });
      expect(v2.lineage.parent).toBe(1);
      expect(v1.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(v1.digest).not.toBe(v2.digest);
      expect(audit.map((e) => [e.kind, (e.data as { version: number }).version])).toEqual([
        ['model.register', 1],
        ['model.register', 2],
      ]);
      expect((await reg.get('detector.cpu')).version).toBe(2);
      expect((await reg.get('detector.cpu@1')).tags).toEqual(['baseline']);
      const diff = await reg.diff('detector.cpu@1', 'detector.cpu@2');
      expect(diff.parameters).toEqual({ threshold: { a: 3, b: 4 }, zClip: { a: undefined, b: 8 } });
      expect(diff.metrics.precision.delta).toBeCloseTo(0.1, 12);
      expect(diff.tags).toEqual({ added: [], removed: ['baseline'] });
      expect(diff.sameArtefact).toBe(false);
    });

    it('promotes and rolls back through the champion stack, auditing every move', async () => {
      const { reg, audit } = await registry();
      for (const w of [1, 2, 3])
        await reg.register({ name: 'adapter', kind: 'scoring-adapter', artefact: { w } });
      await expect(reg.rollback('adapter')).rejects.toThrow(ModelTransitionError);
      await reg.promote('adapter', 1);
      await reg.promote('adapter', 3);
      await reg.promote('adapter', 2, { alias: 'challenger' });
      expect(await reg.aliases('adapter')).toEqual({ champion: 3, challenger: 2 });
      expect((await reg.rollbackTarget('adapter'))?.version).toBe(1);
      const back = await reg.rollback('adapter', { reason: 'health failing' });
      expect(back).toMatchObject({ action: 'rollback', version: 1, reason: 'health failing', seq: 2 });
      expect((await reg.get('adapter@champion')).artefact).toEqual({ w: 1 });
      await expect(reg.rollback('adapter')).rejects.toThrow(/no earlier intact version/);
      // A version registered after a promotion descends from the champion.
      expect(
        (await reg.register({ name: 'adapter', kind: 'scoring-adapter', artefact: { w: 4 } })).lineage.parent,
      ).toBe(1);
      expect(audit.filter((e) => e.kind !== 'model.register').map((e) => [e.kind, e.data])).toEqual([
        ['model.promote', { name: 'adapter', alias: 'champion', from: null, to: 1 }],
        ['model.promote', { name: 'adapter', alias: 'champion', from: 1, to: 3 }],
        ['model.promote', { name: 'adapter', alias: 'challenger', from: null, to: 2 }],
        ['model.rollback', { name: 'adapter', alias: 'champion', from: 3, to: 1, reason: 'health failing' }],
      ]);
      const models = await reg.models();
      expect(models).toEqual([
        {
          name: 'adapter',
          kind: 'scoring-adapter',
          versions: 4,
          latest: 4,
          aliases: { champion: 1, challenger: 2 },
        },
      ]);
    });

    it('refuses bad names, unknown versions, kind changes and corrupted versions by name', async () => {
      const { store, reg } = await registry();
      await expect(reg.register({ name: 'Bad Name', kind: 'onnx', artefact: {} })).rejects.toThrow(
        ArgumentError,
      );
      await expect(reg.register({ name: 'm', kind: 'nope' as 'onnx', artefact: {} })).rejects.toThrow(/kind/);
      await expect(
        reg.register({ name: 'm', kind: 'onnx', artefact: {}, metrics: { auc: Number.NaN } }),
      ).rejects.toThrow(/metrics\.auc/);
      await reg.register({ name: 'm', kind: 'onnx', artefact: { base64: 'AA==' } });
      await expect(reg.register({ name: 'm', kind: 'embedder', artefact: {} })).rejects.toThrow(/onnx model/);
      await expect(reg.register({ name: 'm', kind: 'onnx', artefact: {}, parent: 7 })).rejects.toThrow(
        /no version 7/,
      );
      await expect(reg.get('m@9')).rejects.toThrow(ModelNotFoundError);
      await expect(reg.get('other')).rejects.toThrow(ModelNotFoundError);
      await expect(reg.get('m@challenger')).rejects.toThrow(/no alias challenger/);
      await expect(reg.diff('m@', 'm')).rejects.toThrow(ArgumentError);
      // A version whose stored artefact no longer matches its digest is never promoted.
      const forged = { ...(await reg.get('m@1')), version: 2, artefact: { base64: 'AQ==' } };
      expect(await store.addModelVersion(forged)).toBe(true);
      expect(await store.addModelVersion(forged)).toBe(false);
      await expect(reg.promote('m', 2)).rejects.toThrow(/corrupted/);
    });
  });
}
