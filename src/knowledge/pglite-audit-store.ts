/**
 * The signed audit log, durable in PGlite: the audit store every SQL database shares
 * (src/knowledge/sql-audit-store.ts) over a PGlite database, on its one chain ('').
 *
 * Sharing one database with the knowledge store: a PGlite data directory must be opened by one
 * PGlite instance at a time, so the audit store does not open the directory a second time; it
 * takes the knowledge store's open database instead:
 *
 *   const knowledge = await PGliteStore.open(dir);
 *   const audit = await PGliteAuditStore.fromDatabase(knowledge.database);
 *
 * Closing a shared audit store leaves the database open (its owner closes it); a store from
 * {@link PGliteAuditStore.open} owns its database and closes it.
 */
import type { PGlite } from '@electric-sql/pglite';
import { NotAStoreError } from './errors.ts';
import { openPGlite, pgliteDatabase } from './pglite-store.ts';
import { migrateStore } from './sql.ts';
import { SqlAuditStore } from './sql-audit-store.ts';

export { SqlAuditStore } from './sql-audit-store.ts';

/** An AuditStore in PGlite tables (see src/knowledge/schema.sql.ts); also keeps the signers' public keys. */
export class PGliteAuditStore extends SqlAuditStore {
  readonly #db: PGlite;
  readonly #owned: boolean;

  private constructor(db: PGlite, owned: boolean) {
    super(pgliteDatabase(db), '');
    this.#db = db;
    this.#owned = owned;
  }

  /** Opens (creating if needed) a database of its own: a directory, `idb://<name>` or `memory://`. */
  static async open(dataDir: string): Promise<PGliteAuditStore> {
    return new PGliteAuditStore(await openPGlite(dataDir, dataDir), true);
  }

  /** Uses an already open database (e.g. `PGliteStore.database`), creating or migrating the store's tables. */
  static async fromDatabase(db: PGlite): Promise<PGliteAuditStore> {
    await migrateStore(pgliteDatabase(db), 'the database');
    return new PGliteAuditStore(db, false);
  }

  /**
   * Uses the audit log an open database already holds, creating nothing; throws NotAStoreError
   * (naming `path`) when it holds none (no audit tables, or nothing in them, not even a
   * signer's key: a store no run has written, e.g. one `models` made), e.g. for a verifier that
   * must not write.
   */
  static async existing(db: PGlite, path: string): Promise<PGliteAuditStore> {
    const { rows } = await db.query<{ missing: number }>(
      `SELECT count(*)::int AS missing FROM unnest(ARRAY['audit_entries', 'audit_seals', 'audit_keys']) AS t(name)
       WHERE to_regclass(name) IS NULL`,
    );
    if (rows[0].missing > 0) throw new NotAStoreError(path, 'the store holds no audit log');
    const store = new PGliteAuditStore(db, false);
    const size = await store.size();
    const keys = (await store.keyRing()).records().length;
    if (size.entries === 0 && size.seals === 0 && keys === 0)
      throw new NotAStoreError(path, 'the store holds no audit log');
    return store;
  }

  /** Closes the database if this store opened it; a shared database stays open for its owner. */
  async close(): Promise<void> {
    if (this.#owned) await this.#db.close();
  }
}
