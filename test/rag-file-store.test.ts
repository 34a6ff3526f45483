import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.ts';
import { RAGAnalyzer } from '../src/rag/analyzer.ts';
import type { Embedder } from '../src/rag/embedder.ts';
import { FileRagStore } from '../src/rag/file-store.ts';
import { HashedEmbedder } from '../src/rag/hashed-embedder.ts';

const dir = mkdtempSync(join(tmpdir(), 'x0-rag-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const doc = (id: string) => ({
  id,
  source: 'runbook' as const,
  title: id,
  faults: ['ddos'],
  severity: 'low' as const,
  symptoms: ['s'],
  metrics: [],
  actions: ['rate-limit'],
  body: '',
});

describe('FileRagStore', () => {
  it('persists documents and exact embeddings across opens, with replace and delete', async () => {
    const path = join(dir, 'nested', 'a.json');
    const store = await FileRagStore.open(path);
    const e = Float32Array.from([0.1, -2.5e-8, 3e30, -0]);
    await store.putDocuments([
      { document: doc('a'), embedding: e, embedderId: 'm' },
      { document: doc('b'), embedding: e, embedderId: 'm' },
    ]);
    await store.putDocuments([
      { document: { ...doc('a'), title: 'new' }, embedding: e.map((x) => x * 2), embedderId: 'm' },
    ]);
    expect(await store.deleteDocument('b')).toBe(true);
    expect(await store.deleteDocument('b')).toBe(false);
    const reopened = await FileRagStore.open(path);
    const [only, ...rest] = await reopened.listDocuments();
    expect(rest).toEqual([]);
    expect(only.document.title).toBe('new');
    expect(Array.from(only.embedding)).toEqual(Array.from(e.map((x) => x * 2)));
  });

  it('lets an analyzer rebuild its indexes from the file without re-embedding', async () => {
    const path = join(dir, 'b.json');
    const hashed = await HashedEmbedder.create();
    let embedded = 0;
    const counting: Embedder = {
      id: hashed.id,
      dim: hashed.dim,
      embed: (texts) => ((embedded += texts.length), hashed.embed(texts)),
    };
    const first = await RAGAnalyzer.create({ store: await FileRagStore.open(path), embedder: counting });
    const before = await first.retrieveContext('tls handshake fails after expiry', { k: 3 });
    expect(embedded).toBeGreaterThan(first.size);
    embedded = 0;
    const second = await RAGAnalyzer.create({ store: await FileRagStore.open(path), embedder: counting });
    const after = await second.retrieveContext('tls handshake fails after expiry', { k: 3 });
    expect(embedded).toBe(1);
    expect(after.documents.map((d) => d.id)).toEqual(before.documents.map((d) => d.id));
    expect(after.scores).toEqual(before.scores);
  });

  it('rejects a file that is not a store, naming the path', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{ not json');
    await expect(FileRagStore.open(path)).rejects.toThrow(ArgumentError);
    writeFileSync(path, '{"version": 7}');
    await expect(FileRagStore.open(path)).rejects.toThrow(/bad\.json is not a RAG store file/);
    await expect(FileRagStore.open('')).rejects.toThrow(/path/);
  });
});
