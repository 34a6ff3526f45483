import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { Bm25Index } from '../../src/rag/bm25.ts';
import type { RagDocument } from '../../src/rag/document.ts';
import type { Embedder } from '../../src/rag/embedder.ts';
import { compileFilter } from '../../src/rag/filter.ts';
import { reciprocalRankFusion } from '../../src/rag/fusion.ts';
import { HashedEmbedder } from '../../src/rag/hashed-embedder.ts';
import { HybridRetriever, storedId, vectorTexts } from '../../src/rag/retriever.ts';
import { MemoryRagStore } from '../../src/rag/store.ts';
import { VectorIndex } from '../../src/rag/vector-index.ts';

function doc(id: string, title: string, extra: Partial<RagDocument> = {}): RagDocument {
  return {
    id,
    source: 'runbook',
    title,
    faults: ['node-crash'],
    severity: 'high',
    symptoms: [],
    metrics: [],
    actions: ['restart-service'],
    body: '',
    ...extra,
  };
}

describe('BM25 index', () => {
  it('ranks by term rarity and frequency, and leaves out non-matching documents', () => {
    const index = new Bm25Index<{ id: string }>();
    index.upsert({ id: 'a' }, 'disk full disk full');
    index.upsert({ id: 'b' }, 'disk latency high');
    index.upsert({ id: 'c' }, 'certificate expired');
    const hits = index.search('disk full', 10);
    expect(hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it('counts repeated query terms, saturating with k3', () => {
    const index = new Bm25Index<{ id: string }>();
    index.upsert({ id: 'flap' }, 'link flapping');
    index.upsert({ id: 'weak' }, 'link signal weak');
    index.upsert({ id: 'other' }, 'disk full');
    const score = (q: string, id: string, k3?: number) => {
      const i = new Bm25Index<{ id: string }>({ k3 });
      for (const [d, t] of [
        ['flap', 'link flapping'],
        ['weak', 'link signal weak'],
        ['other', 'disk full'],
      ])
        i.upsert({ id: d }, t);
      return i.search(q, 3).find((h) => h.id === id)!.score;
    };
    // "flap" is the shorter document, so it leads until the query repeats the other's word.
    expect(index.search('weak flapping', 3).map((h) => h.id)).toEqual(['flap', 'weak']);
    expect(index.search('weak weak flapping', 3).map((h) => h.id)).toEqual(['weak', 'flap']);
    const once = score('flapping', 'flap');
    expect(score('flapping flapping', 'flap')).toBeCloseTo((once * 2 * 9) / 10, 9);
    expect(score('flapping flapping flapping', 'flap', 0)).toBeCloseTo(once, 9);
  });

  it('analyses documents and queries with the given function', () => {
    const index = new Bm25Index<{ id: string }>({
      analyze: (t) => t.split(/\s+/).map((w) => (w === 'oom' ? 'memory' : w)),
    });
    index.upsert({ id: 'a' }, 'memory grows');
    index.upsert({ id: 'b' }, 'disk full');
    expect(index.search('oom', 2).map((h) => h.id)).toEqual(['a']);
    expect(() => new Bm25Index({ k3: -1 })).toThrow(/options.k3/);
  });

  it('updates and deletes incrementally, scoring as a fresh index would', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 9 }),
            fc.array(fc.constantFrom('dns', 'disk', 'cpu', 'leak', 'loop', 'link'), { maxLength: 6 }),
          ),
          { maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 5 }),
        (writes, deletes) => {
          const live = new Bm25Index<{ id: string }>();
          const final = new Map<string, string>();
          for (const [n, words] of writes) {
            live.upsert({ id: `d${n}` }, words.join(' '));
            final.set(`d${n}`, words.join(' '));
          }
          for (const n of deletes) {
            live.delete(`d${n}`);
            final.delete(`d${n}`);
          }
          const fresh = new Bm25Index<{ id: string }>();
          for (const [id, text] of final) fresh.upsert({ id }, text);
          expect(live.size).toBe(fresh.size);
          const a = live.search('dns disk leak', 10);
          const b = fresh.search('dns disk leak', 10);
          expect(a.map((h) => h.id)).toEqual(b.map((h) => h.id));
          a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i].score, 9));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('names bad parameters', () => {
    expect(() => new Bm25Index({ b: 2 })).toThrow(/options.b/);
  });
});

describe('reciprocal rank fusion', () => {
  it('adds weight / (60 + rank) per ranking', () => {
    const fused = reciprocalRankFusion([
      {
        hits: [
          { id: 'x', score: 9 },
          { id: 'y', score: 1 },
        ],
        weight: 1,
      },
      { hits: [{ id: 'y', score: 0.9 }], weight: 2 },
    ]);
    expect(fused.map((h) => h.id)).toEqual(['y', 'x']);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 2 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
  });

  it('rejects negative weights, naming the ranking', () => {
    expect(() => reciprocalRankFusion([{ hits: [], weight: -1 }])).toThrow(/rankings\[0\].weight/);
  });
});

describe('filters', () => {
  it('match on fault kinds, severity, source and time', () => {
    const d = doc('a', 't', {
      faults: ['dns-failure', 'bad-config'],
      severity: 'low',
      source: 'incident',
      timestamp: 1000,
    });
    expect(compileFilter({ faults: ['bad-config'] })!(d)).toBe(true);
    expect(compileFilter({ faults: ['ddos'] })!(d)).toBe(false);
    expect(compileFilter({ severity: ['high', 'critical'] })!(d)).toBe(false);
    expect(compileFilter({ source: 'incident', since: 1000, until: 1001 })!(d)).toBe(true);
    expect(compileFilter({ until: 1000 })!(d)).toBe(false);
    expect(compileFilter({ since: 0 })!(doc('b', 't'))).toBe(false);
  });

  it('name the bad field', () => {
    expect(() => compileFilter({ severity: ['urgent' as 'low'] })).toThrow(/filter.severity/);
    expect(() => compileFilter({ since: Number.NaN })).toThrow(/filter.since/);
    expect(() => compileFilter({ source: 'wiki' as 'runbook' })).toThrow(ArgumentError);
  });
});

describe('vector index on the similarity kernel', () => {
  const dim = 16;
  const rand = (seed: number) => () =>
    ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const vectors = (n: number, seed: number) => Float32Array.from({ length: n * dim }, rand(seed));
  const bruteForce = (store: Map<string, Float32Array>, q: Float32Array) =>
    [...store]
      .map(([id, v]) => {
        let d = 0,
          nv = 0,
          nq = 0;
        for (let i = 0; i < dim; i++) (d += v[i] * q[i]), (nv += v[i] * v[i]), (nq += q[i] * q[i]);
        return { id, score: d / Math.sqrt(nv * nq) };
      })
      .sort((a, b) => b.score - a.score);

  for (const precision of ['f32', 'int8'] as const) {
    it(`${precision}: exact top-k after adds, updates and deletes, with filters`, async () => {
      const index = await VectorIndex.create({ dim, precision });
      const store = new Map<string, Float32Array>();
      const data = vectors(60, 7);
      index.upsertMany(
        Array.from({ length: 40 }, (_, i) => `v${i}`),
        data.subarray(0, 40 * dim),
      );
      for (let i = 0; i < 40; i++) store.set(`v${i}`, data.slice(i * dim, (i + 1) * dim));
      for (let i = 40; i < 60; i++) {
        const v = data.slice(i * dim, (i + 1) * dim);
        index.upsert(`v${i % 50}`, v);
        store.set(`v${i % 50}`, v);
      }
      for (const id of ['v3', 'v17', 'v44']) expect(index.delete(id)).toBe(true), store.delete(id);
      expect(index.delete('v3')).toBe(false);
      expect(index.size).toBe(store.size);
      const q = vectors(1, 99);
      const expected = bruteForce(store, q);
      const hits = index.search(q, 5);
      // int8 candidates are rescored exactly in f32, so at this size the top 5 match f32.
      expect(hits.map((h) => h.id)).toEqual(expected.slice(0, 5).map((h) => h.id));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 4));
      const odd = (id: string) => Number(id.slice(1)) % 2 === 1;
      const filtered = index.search(q, 5, odd);
      expect(filtered.map((h) => h.id)).toEqual(
        expected
          .filter((h) => odd(h.id))
          .slice(0, 5)
          .map((h) => h.id),
      );
      const batch = index.searchBatch(vectors(3, 5), 4);
      expect(batch.length).toBe(3);
      expect(batch[1].map((h) => h.id)).toEqual(
        index.search(vectors(3, 5).subarray(dim, 2 * dim), 4).map((h) => h.id),
      );
    });
  }

  it('names bad arguments', async () => {
    await expect(VectorIndex.create({ dim, precision: 'f16' as 'f32' })).rejects.toThrow(/options.precision/);
    const index = await VectorIndex.create({ dim });
    expect(() => index.upsert('a', new Float32Array(3))).toThrow(ArgumentError);
    expect(() => index.upsertMany(['a', 'b'], new Float32Array(dim))).toThrow(/vectors/);
  });
});

describe('HybridRetriever', () => {
  let embedder: HashedEmbedder;
  const docs = [
    doc('dns', 'Resolver down, names do not resolve', {
      faults: ['dns-failure'],
      symptoms: ['getaddrinfo fails'],
      severity: 'critical',
    }),
    doc('disk', 'Disk filled by logs', {
      faults: ['disk-full'],
      symptoms: ['no space left on device'],
      severity: 'high',
    }),
    doc('leak', 'Memory grows until the OOM killer fires', {
      faults: ['memory-leak'],
      symptoms: ['rss climbs'],
      severity: 'medium',
    }),
    doc('old', 'Past incident: resolver outage', {
      faults: ['dns-failure'],
      source: 'incident',
      timestamp: 5000,
    }),
  ];
  beforeAll(async () => {
    embedder = await HashedEmbedder.create();
  });

  it('returns an iterable result with length, scores, counts and timings', async () => {
    const r = await HybridRetriever.open({ embedder, store: new MemoryRagStore() });
    await r.upsert(docs);
    const result = await r.search('name lookups failing everywhere', { k: 2 });
    expect(result.length).toBe(2);
    expect([...result].map((h) => h.document.id)).toEqual(result.documents.map((d) => d.id));
    expect(result.documents[0].faults).toContain('dns-failure');
    expect(result.scores[0]).toBeGreaterThanOrEqual(result.scores[1]);
    expect(result.scores[0]).toBeLessThanOrEqual(1);
    expect(result.totalResults).toBeGreaterThanOrEqual(2);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
    expect(result.query).toBe('name lookups failing everywhere');
    expect(result.hits[0].matched.length).toBeGreaterThan(0);
  });

  it('finds paraphrases with no shared word through thesaurus concepts, in both rankings', async () => {
    const plain = await HybridRetriever.open({ embedder, store: new MemoryRagStore(), thesaurus: null });
    const r = await HybridRetriever.open({ embedder, store: new MemoryRagStore() });
    await plain.upsert(docs);
    await r.upsert(docs);
    const query = 'ram exhausted, process killed';
    expect((await plain.search(query, { mode: 'lexical' })).documents.map((d) => d.id)).not.toContain('leak');
    expect((await r.search(query, { k: 1, mode: 'lexical' })).documents[0].id).toBe('leak');
    expect((await plain.search(query, { k: 1, mode: 'vector' })).documents[0].id).toBe('leak');
    const hybrid = await r.search(query, { k: 1 });
    expect(hybrid.documents[0].id).toBe('leak');
    expect(hybrid.hits[0].matched).toContain('#memory');
  });

  it('applies filters, thresholds, updates and deletes', async () => {
    const r = await HybridRetriever.open({ embedder, store: new MemoryRagStore() });
    await r.upsert(docs);
    const incidents = await r.search('resolver outage', { filter: { source: 'incident', since: 1000 } });
    expect(incidents.documents.map((d) => d.id)).toEqual(['old']);
    expect(
      (await r.search('resolver outage', { filter: { faults: ['disk-full'] } })).documents.map((d) => d.id),
    ).toEqual(['disk']);
    expect((await r.search('resolver', { threshold: 1 })).length).toBeLessThanOrEqual(1);
    await r.upsert([doc('disk', 'Certificate expired', { faults: ['cert-expiry'] })]);
    expect(r.size).toBe(4);
    expect((await r.search('certificate expired', { k: 1 })).documents[0].id).toBe('disk');
    expect(await r.delete('disk')).toBe(true);
    expect(await r.delete('disk')).toBe(false);
    expect((await r.search('certificate expired disk')).documents.map((d) => d.id)).not.toContain('disk');
  });

  it('rebuilds the same rankings from its store, and re-embeds vectors of another embedder', async () => {
    const store = new MemoryRagStore();
    const first = await HybridRetriever.open({ embedder, store, precision: 'int8' });
    await first.upsert(docs);
    const before = await first.search('logs filled the volume', { k: 4 });
    const reopened = await HybridRetriever.open({ embedder, store, precision: 'int8' });
    const after = await reopened.search('logs filled the volume', { k: 4 });
    expect(after.documents.map((d) => d.id)).toEqual(before.documents.map((d) => d.id));
    expect(after.scores).toEqual(before.scores);

    const other = await HashedEmbedder.create({ dim: 128 });
    const migrated = await HybridRetriever.open({ embedder: other, store });
    expect(migrated.size).toBe(docs.length);
    const stored = await store.listDocuments();
    expect(
      stored.every(
        (s) =>
          s.embedderId === storedId(other) && s.embedding.length === vectorTexts(s.document).length * 128,
      ),
    ).toBe(true);
  });

  it('works with any Embedder implementation', async () => {
    // A one-hot embedder on the first letter: proves the retriever relies only on the interface.
    const letters: Embedder = {
      id: 'first-letter',
      dim: 28,
      embed: (texts) => {
        const m = new Float32Array(texts.length * 28);
        texts.forEach(
          (t, i) => (m[i * 28 + Math.min(27, Math.max(0, t.toLowerCase().charCodeAt(0) - 97))] = 1),
        );
        return Promise.resolve(m);
      },
    };
    const r = await HybridRetriever.open({ embedder: letters, store: new MemoryRagStore() });
    await r.upsert(docs);
    expect((await r.search('Memory?', { mode: 'vector', k: 1 })).documents[0].id).toBe('leak');
  });

  it('names bad arguments', async () => {
    const r = await HybridRetriever.open({ embedder, store: new MemoryRagStore() });
    await expect(r.search('x', { k: 0 })).rejects.toThrow(/options.k/);
    await expect(r.search('x', { threshold: 2 })).rejects.toThrow(/options.threshold/);
    await expect(r.search('x', { mode: 'semantic' as 'hybrid' })).rejects.toThrow(/options.mode/);
    await expect(r.search(5 as unknown as string)).rejects.toThrow(/query/);
    await expect(r.upsert([{ ...docs[0], faults: 'dns' as unknown as string[] }])).rejects.toThrow(
      /docs\[0\].faults/,
    );
    await expect(
      HybridRetriever.open({ embedder, store: new MemoryRagStore(), weights: { lexical: -1, vector: 1 } }),
    ).rejects.toThrow(/options.weights.lexical/);
    await expect(
      HybridRetriever.open({ embedder, store: new MemoryRagStore(), thesaurus: 'oom ram' as never }),
    ).rejects.toThrow(/thesaurus/);
    await expect(
      HybridRetriever.open({ embedder, store: new MemoryRagStore(), thesaurus: { memory: 'time_wait' } }),
    ).rejects.toThrow(/thesaurus.memory/);
  });
});
