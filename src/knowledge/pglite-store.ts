/**
 * Durable knowledge in PGlite (Postgres compiled to WebAssembly): a data directory on Node, Deno
 * and Bun, `idb://<name>` (IndexedDB) in browsers, `memory://` for a throwaway database. The SQL
 * is the one every store shares (src/knowledge/sql-store.ts); this file opens the database and
 * adapts PGlite to the stores' query interface.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { type SqlDatabase, type SqlResult, type SqlSession, migrateStore } from './sql.ts';
import { SqlKnowledgeStore } from './sql-store.ts';

export { SqlKnowledgeStore } from './sql-store.ts';
export type { SqlDatabase, SqlResult, SqlSession } from './sql.ts';

/** Options of {@link PGliteStore.open}. */
export interface PGliteStoreOptions {
  /** Refuse a database that does not hold the store's tables yet instead of creating them. */
  existing?: boolean;
  /** How errors name the store (default `dataDir`; e.g. the original of a snapshot copy). */
  label?: string;
}

/**
 * The durable knowledge store; open with `PGliteStore.open(dataDir)`. A data directory has one
 * writer at a time: the CLI opens directories through src/knowledge/store-directory.ts, which
 * takes the writer lock (or reads a snapshot) first.
 */
export class PGliteStore extends SqlKnowledgeStore {
  readonly #db: PGlite;

  private constructor(db: PGlite) {
    super(pgliteDatabase(db), () => db.close());
    this.#db = db;
  }

  /**
   * The open database, so the audit log and the RAG store can share it
   * (`PGliteAuditStore.fromDatabase`, `PGliteRagStore.fromDatabase`; the CLI does).
   * @internal
   */
  get database(): PGlite {
    return this.#db;
  }

  /**
   * Opens the store at `dataDir` (see the class comment for its forms), creating or migrating
   * its tables (src/knowledge/schema.sql.ts) unless `existing` is set and it holds none. A
   * database holding other tables but not the store's is someone else's: NotAStoreError, and
   * nothing is created in it.
   */
  static async open(dataDir: string, options: PGliteStoreOptions = {}): Promise<PGliteStore> {
    return new PGliteStore(await openPGlite(dataDir, options.label ?? dataDir, options.existing === true));
  }
}

/**
 * Opens the PGlite database at `dataDir` with the stores' tables created or migrated
 * (`migrateStore`, naming the store `label`), closing it again when that fails.
 * @internal
 */
export async function openPGlite(dataDir: string, label: string, existing = false): Promise<PGlite> {
  const db = await PGlite.create(dataDir);
  try {
    await migrateStore(pgliteDatabase(db), label, existing);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** PGlite (or one of its transactions) as the stores' query interface. */
function pgliteSession(db: PGlite | Transaction): SqlSession {
  return {
    async query<T>(text: string, params?: readonly unknown[]): Promise<SqlResult<T>> {
      const result = await db.query<T>(text, params as unknown[] | undefined);
      return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/**
 * An open PGlite database as the stores' query interface (see src/knowledge/sql.ts).
 * @internal
 */
export function pgliteDatabase(db: PGlite): SqlDatabase {
  return {
    ...pgliteSession(db),
    transaction: <T>(work: (tx: SqlSession) => Promise<T>) => db.transaction((tx) => work(pgliteSession(tx))),
  };
}
