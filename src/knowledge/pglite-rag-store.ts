/**
 * The RAG analyzer's documents and embeddings, durable in PGlite: a {@link RagStore} over the
 * `rag_documents` table (RAG_SCHEMA_SQL), from which `HybridRetriever.open` rebuilds its
 * in-memory indexes on start.
 *
 * Sharing one database with the knowledge store: a PGlite data directory is opened by one
 * PGlite instance at a time, so this store takes the knowledge store's open database:
 *
 *   const knowledge = await PGliteStore.open(dir);
 *   const rag = await PGliteRagStore.fromDatabase(knowledge.database);
 *   const analyzer = await RAGAnalyzer.create({ store: rag });
 *
 * Closing a shared store leaves the database open (its owner closes it); a store from
 * {@link PGliteRagStore.open} owns its database and closes it.
 */
import { PGlite } from '@electric-sql/pglite';
import { ArgumentError } from '../errors.ts';
import type { RagDocument } from '../rag/document.ts';
import type { RagStore, StoredDocument } from '../rag/store.ts';
import { RAG_SCHEMA_SQL } from './schema.sql.ts';

interface Row {
  document: RagDocument;
  embedder_id: string;
  embedding: Uint8Array;
}

/** A RagStore in a PGlite table; embeddings are kept bit-exact. */
export class PGliteRagStore implements RagStore {
  readonly #db: PGlite;
  readonly #owned: boolean;

  private constructor(db: PGlite, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
  }

  /** Opens (creating if needed) a database of its own: a directory, `idb://<name>` or `memory://`. */
  static async open(dataDir: string): Promise<PGliteRagStore> {
    if (typeof dataDir !== 'string' || dataDir === '')
      throw new ArgumentError('dataDir', 'expected a data directory or a PGlite URL');
    const db = await PGlite.create(dataDir);
    await db.exec(RAG_SCHEMA_SQL);
    return new PGliteRagStore(db, true);
  }

  /** Uses an already open database (e.g. `PGliteStore.database`), creating the RAG table. */
  static async fromDatabase(db: PGlite): Promise<PGliteRagStore> {
    await db.exec(RAG_SCHEMA_SQL);
    return new PGliteRagStore(db, false);
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

  async deleteDocument(id: string): Promise<boolean> {
    const { affectedRows } = await this.#db.query(`DELETE FROM rag_documents WHERE id = $1`, [id]);
    return (affectedRows ?? 0) > 0;
  }

  async listDocuments(): Promise<StoredDocument[]> {
    const { rows } = await this.#db.query<Row>(
      `SELECT document, embedder_id, embedding FROM rag_documents ORDER BY seq`,
    );
    return rows.map((r) => ({
      document: r.document,
      embedderId: r.embedder_id,
      // Copied: the bytes PGlite returns need not be 4-byte aligned.
      embedding: new Float32Array(r.embedding.slice().buffer),
    }));
  }

  /** Closes the database if this store opened it; a shared database stays open for its owner. */
  async close(): Promise<void> {
    if (this.#owned) await this.#db.close();
  }
}
