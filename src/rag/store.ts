/**
 * Persistence the RAG analyzer needs from the knowledge store: documents with their embeddings
 * (and the id of the embedder that made them). Backends: {@link MemoryRagStore} in process,
 * `PGliteRagStore` (src/knowledge/pglite-rag-store.ts) durable in the knowledge database, and
 * `FileRagStore` (./file-store.ts) a JSON file for the CLI.
 */
import type { RagDocument } from './document.ts';

/** A document as persisted. */
export interface StoredDocument {
  /** The document. */
  readonly document: RagDocument;
  /** Row-major vectors, one per text the retriever embeds for the document. */
  readonly embedding: Float32Array;
  /** Which embedder and row layout produced `embedding`; anything else is re-embedded on open. */
  readonly embedderId: string;
}

/** Document storage for the RAG analyzer. */
export interface RagStore {
  /** Inserts or replaces each document by id, as one batch (one transaction where there are any). */
  putDocuments(batch: readonly StoredDocument[]): Promise<void>;
  /** Deletes a document; resolves to whether it existed. */
  deleteDocument(id: string): Promise<boolean>;
  /** Every stored document, in insertion order. */
  listDocuments(): Promise<StoredDocument[]>;
}

/** An in-memory {@link RagStore}; copies embeddings so callers cannot mutate stored state. */
export class MemoryRagStore implements RagStore {
  readonly #docs = new Map<string, StoredDocument>();

  putDocuments(batch: readonly StoredDocument[]): Promise<void> {
    for (const stored of batch) {
      this.#docs.delete(stored.document.id);
      this.#docs.set(stored.document.id, { ...stored, embedding: stored.embedding.slice() });
    }
    return Promise.resolve();
  }

  deleteDocument(id: string): Promise<boolean> {
    return Promise.resolve(this.#docs.delete(id));
  }

  listDocuments(): Promise<StoredDocument[]> {
    return Promise.resolve([...this.#docs.values()].map((s) => ({ ...s, embedding: s.embedding.slice() })));
  }
}
