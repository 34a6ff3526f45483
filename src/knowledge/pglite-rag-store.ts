/**
 * The RAG analyzer's documents and embeddings, durable in PGlite: the RAG store every SQL
 * database shares (src/knowledge/sql-rag-store.ts) over a PGlite database.
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
import type { PGlite } from '@electric-sql/pglite';
import { ArgumentError } from '../errors.ts';
import { openPGlite, pgliteDatabase } from './pglite-store.ts';
import { migrateStore } from './sql.ts';
import { SqlRagStore } from './sql-rag-store.ts';

export { SqlRagStore } from './sql-rag-store.ts';

/** A RagStore in a PGlite table; embeddings are kept bit-exact. */
export class PGliteRagStore extends SqlRagStore {
  readonly #db: PGlite;
  readonly #owned: boolean;

  private constructor(db: PGlite, owned: boolean) {
    super(pgliteDatabase(db));
    this.#db = db;
    this.#owned = owned;
  }

  /** Opens (creating if needed) a database of its own: a directory, `idb://<name>` or `memory://`. */
  static async open(dataDir: string): Promise<PGliteRagStore> {
    if (typeof dataDir !== 'string' || dataDir === '')
      throw new ArgumentError('dataDir', 'expected a data directory or a PGlite URL');
    return new PGliteRagStore(await openPGlite(dataDir, dataDir), true);
  }

  /** Uses an already open database (e.g. `PGliteStore.database`), creating or migrating the store's tables. */
  static async fromDatabase(db: PGlite): Promise<PGliteRagStore> {
    await migrateStore(pgliteDatabase(db), 'the database');
    return new PGliteRagStore(db, false);
  }

  /** Closes the database if this store opened it; a shared database stays open for its owner. */
  async close(): Promise<void> {
    if (this.#owned) await this.#db.close();
  }
}
