import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { PGliteRagStore } from '../../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import { RAGAnalyzer } from '../../src/rag/analyzer.ts';
import type { Embedder } from '../../src/rag/embedder.ts';
import { HashedEmbedder } from '../../src/rag/hashed-embedder.ts';
import { MemoryRagStore } from '../../src/rag/store.ts';
import { behavesLikeARagStore, doc } from './helpers/store-contracts.ts';

behavesLikeARagStore('memory', async () => new MemoryRagStore());
behavesLikeARagStore('PGlite', () => PGliteRagStore.open('memory://'));

describe('PGliteRagStore in the knowledge database', () => {
  let knowledge: PGliteStore;
  beforeAll(async () => {
    knowledge = await PGliteStore.open('memory://');
  });
  afterAll(() => knowledge.close());

  it('rebuilds an analyzer from the shared database with nothing lost and nothing re-embedded', async () => {
    const hashed = await HashedEmbedder.create();
    let embedded = 0;
    const counting: Embedder = {
      id: hashed.id,
      dim: hashed.dim,
      embed: (texts) => ((embedded += texts.length), hashed.embed(texts)),
    };
    const first = await RAGAnalyzer.create({
      store: await PGliteRagStore.fromDatabase(knowledge.database),
      embedder: counting,
    });
    await first.indexKnowledge([
      doc('toaster-smoke', {
        title: 'Toaster emits smoke in rack 4',
        faults: ['node-crash'],
        symptoms: ['burning smell near rack four'],
      }),
    ]);
    await first.recordResolved({
      id: 'i1',
      summary: 'smoke from the toaster again',
      fault: 'node-crash',
      actions: ['failover'],
      resolvedBy: 'failover',
      resolvedAt: 5,
    });
    await first.removeKnowledge('cert-expiry-tls-expired');
    const query = 'burning smell by the rack, tls handshake fails after expiry';
    const before = await first.retrieveContext(query, { k: 5 });

    // A restart: a new store object over the same database, as the engine does on start.
    const shared = await PGliteRagStore.fromDatabase(knowledge.database);
    await shared.close();
    embedded = 0;
    const second = await RAGAnalyzer.create({
      store: await PGliteRagStore.fromDatabase(knowledge.database),
      embedder: counting,
    });
    const after = await second.retrieveContext(query, { k: 5 });
    expect(embedded).toBe(1); // the query only
    expect(second.size).toBe(first.size);
    expect(after.documents.map((d) => d.id)).toEqual(before.documents.map((d) => d.id));
    expect(after.scores).toEqual(before.scores);
    const incidents = await second.retrieveContext('smoke from the toaster', {
      filter: { source: 'incident' },
    });
    expect(incidents.documents.map((d) => d.id)).toEqual(['incident:i1']);
    expect(second.retriever.get('cert-expiry-tls-expired')).toBeUndefined();
    // The knowledge tables live on beside it: closing a shared RAG store left the database open.
    await knowledge.putValue('k', 1);
    expect(await knowledge.getValue('k')).toBe(1);
  });

  it('names bad arguments', async () => {
    const store = await PGliteRagStore.fromDatabase(knowledge.database);
    await expect(
      store.putDocuments([
        { document: doc('x'), embedding: [1, 2] as unknown as Float32Array, embedderId: 'm' },
      ]),
    ).rejects.toThrow(ArgumentError);
    await expect(store.putDocuments({} as never)).rejects.toThrow(/batch/);
    await expect(PGliteRagStore.open('')).rejects.toThrow(/dataDir/);
  });
});
