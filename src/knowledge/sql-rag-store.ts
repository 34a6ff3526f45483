/**
 * The RAG analyzer's documents and embeddings in SQL, once for PGlite and a PostgreSQL server
 * (src/knowledge/sql.ts): a {@link RagStore} over the `rag_documents` table, from which
 * `HybridRetriever.open` rebuilds its in-memory indexes on start. Embeddings are stored as the
 * f32 rows' little-endian bytes and come back bit-exact.
 */
import { ArgumentError } from '../errors.ts';
import type { RagDocument } from '../rag/document.ts';
import type { RagStore, StoredDocument } from '../rag/store.ts';
import type { SqlDatabase } from './sql.ts';

interface Row {
  document: RagDocument;
  embedder_id: string;
  embedding: Uint8Array;
}

/** A RagStore in the `rag_documents` table of any SQL database; embeddings are kept bit-exact. */
export class SqlRagStore implements RagStore {
  readonly #db: SqlDatabase;

  /** A store over `db`, whose schema is already migrated (`migrateStore`). */
  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Inserts or replaces each document in one transaction; a replaced document moves last. */
  async putDocuments(batch: readonly StoredDocument[]): Promise<void> {
    if (!Array.isArray(batch)) throw new ArgumentError('batch', 'expected an array of stored documents');
    batch.forEach((s, i) => {
      if (!(s?.embedding instanceof Float32Array))
        throw new ArgumentError(`batch[${i}].embedding`, 'expected a Float32Array');
      if (typeof s.document?.id !== 'string')
        throw new ArgumentError(`batch[${i}].document.id`, 'expected a string');
    });
    await this.#db.transaction(async (tx) => {
      for (const { document, embedding, embedderId } of batch) {
        await tx.query(
          `INSERT INTO rag_documents (id, document, embedder_id, embedding) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, document = EXCLUDED.document,
           embedder_id = EXCLUDED.embedder_id, embedding = EXCLUDED.embedding`,
          [
            document.id,
            JSON.stringify(document),
            embedderId,
            new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength),
          ],
        );
      }
    });
  }

  /** Deletes the document `id`; false when there was none. */
  async deleteDocument(id: string): Promise<boolean> {
    const { affectedRows } = await this.#db.query(`DELETE FROM rag_documents WHERE id = $1`, [id]);
    return affectedRows > 0;
  }

  /** Every document, in order of its last write. */
  async listDocuments(): Promise<StoredDocument[]> {
    const { rows } = await this.#db.query<Row>(
      `SELECT document, embedder_id, embedding FROM rag_documents ORDER BY seq`,
    );
    return rows.map((r) => ({
      document: r.document,
      embedderId: r.embedder_id,
      // Copied: the bytes a driver returns need not be 4-byte aligned.
      embedding: new Float32Array(new Uint8Array(r.embedding).buffer),
    }));
  }
}
