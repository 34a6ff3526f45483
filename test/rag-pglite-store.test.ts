import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGliteRagStore } from '../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { RAGAnalyzer } from '../src/rag/analyzer.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';

const dir = mkdtempSync(join(tmpdir(), 'x0-rag-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const toaster = {
  id: 'toaster-smoke',
  source: 'runbook' as const,
  title: 'Toaster emits smoke in rack 4',
  faults: ['node-crash'],
  severity: 'critical' as const,
  symptoms: ['burning smell near rack four'],
  metrics: ['temperature'],
  actions: ['failover'],
  body: 'Unplug it.',
};

describe('PGliteRagStore on disk', () => {
  it('keeps documents and embeddings across a close and reopen of the knowledge database', async () => {
    const path = join(dir, 'knowledge');
    const knowledge = await PGliteStore.open(path);
    const first = await RAGAnalyzer.create({ store: await PGliteRagStore.fromDatabase(knowledge.database) });
    await first.indexKnowledge([toaster]);
    await first.recordResolved({
      id: 'i7',
      summary: 'smoke again in rack 4',
      fault: 'node-crash',
      actions: ['failover'],
      resolvedBy: 'failover',
      resolvedAt: 9,
    });
    const query = 'burning smell by the rack and the disk is full';
    const before = await first.retrieveContext(query, { k: 5 });
    const stored = await (await PGliteRagStore.fromDatabase(knowledge.database)).listDocuments();
    await knowledge.close();

    const reopened = await PGliteStore.open(path);
    const store = await PGliteRagStore.fromDatabase(reopened.database);
    const again = await store.listDocuments();
    expect(again.length).toBe(RUNBOOKS.length + 2);
    expect(again.map((s) => s.document)).toEqual(stored.map((s) => s.document));
    again.forEach((s, i) =>
      expect(new Uint8Array(s.embedding.buffer)).toEqual(new Uint8Array(stored[i].embedding.buffer)),
    );
    const second = await RAGAnalyzer.create({ store });
    const after = await second.retrieveContext(query, { k: 5 });
    expect(after.documents.map((d) => d.id)).toEqual(before.documents.map((d) => d.id));
    expect(after.scores).toEqual(before.scores);
    expect(after.documents[0].id).toBe('toaster-smoke');
    await reopened.close();
  });

  it('owns and closes a database it opened itself', async () => {
    const path = join(dir, 'own');
    const store = await PGliteRagStore.open(path);
    await store.putDocuments([{ document: toaster, embedding: Float32Array.of(1, 2), embedderId: 'e' }]);
    await store.close();
    const again = await PGliteRagStore.open(path);
    expect((await again.listDocuments()).map((s) => [s.document.id, Array.from(s.embedding)])).toEqual([
      ['toaster-smoke', [1, 2]],
    ]);
    await again.close();
  });
});
