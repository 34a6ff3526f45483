/**
 * The one SQL implementation of the durable stores, over a tiny query interface that PGlite
 * (embedded, src/knowledge/pglite-store.ts) and a PostgreSQL server (the `postgres` client,
 * src/knowledge/postgres-store.ts) both provide: the stores' SQL, schema and migrations are
 * written once and run unchanged on either. This file holds the interface and the migration
 * runner; sql-store.ts, sql-audit-store.ts and sql-rag-store.ts the stores.
 *
 * Migrations run in one transaction under a transaction-scoped advisory lock, so engines starting
 * together against one server apply each migration exactly once: the first takes the lock and
 * migrates, the others wait for it, then find nothing left to do.
 */
import { NotAStoreError } from './errors.ts';
import { MIGRATIONS } from './schema.sql.ts';

/** What a query returns: its rows, and how many rows an INSERT, UPDATE or DELETE touched. */
export interface SqlResult<T> {
  /** The rows, one object per row keyed by column name. */
  rows: T[];
  /** Rows inserted, updated or deleted (0 for a SELECT). */
  affectedRows: number;
}

/** A connection (or a transaction on one) that runs SQL. */
export interface SqlSession {
  /** Runs one statement with `$1`, `$2`... bound to `params`. */
  query<T>(text: string, params?: readonly unknown[]): Promise<SqlResult<T>>;
  /** Runs a script of statements without parameters (a migration). */
  exec(text: string): Promise<void>;
}

/** A database: sessions, and transactions that commit when `work` resolves and roll back when it throws. */
export interface SqlDatabase extends SqlSession {
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
}

/** True when `store` names a PostgreSQL server (`postgres://` or `postgresql://`) rather than a directory. */
export function isPostgresUrl(store: unknown): store is string {
  return typeof store === 'string' && /^postgres(ql)?:\/\//i.test(store);
}

/** Every table a store may hold (knowledge, runs, audit log, RAG documents): a database with none is not one. */
const STORE_TABLES = [
  'incidents',
  'actions',
  'posteriors',
  'kv',
  'runs',
  'model_versions',
  'model_alias_events',
  'audit_entries',
  'audit_seals',
  'audit_keys',
  'rag_documents',
];

/** The advisory lock key migrations hold: an arbitrary constant of this package ("x0tta6bl4" in ASCII, folded). */
const MIGRATION_LOCK = 0x7830747461;

/**
 * Brings the store's schema in `db` up to date, applying each migration it lacks once. A
 * database holding other tables but none of a store's is someone else's: NotAStoreError naming
 * `label`, and nothing is created in it; with `existing`, so is a database holding no store yet.
 */
export async function migrateStore(db: SqlDatabase, label: string, existing = false): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const { rows } = await tx.query<{ tables: number; ours: number }>(
      `SELECT count(*)::int AS tables, count(*) FILTER (WHERE table_name = ANY($1::text[]))::int AS ours
       FROM information_schema.tables WHERE table_schema = current_schema()`,
      [STORE_TABLES],
    );
    const { tables, ours } = rows[0];
    if (ours === 0 && tables > 0)
      throw new NotAStoreError(label, `is a database of something else (${tables} tables, none of a store)`);
    if (ours === 0 && existing) throw new NotAStoreError(label, 'holds no x0tta6bl4 store yet');
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      applied_at  DOUBLE PRECISION NOT NULL
    )`);
    const applied = await tx.query<{ version: number }>(`SELECT version FROM schema_migrations`);
    const done = new Set(applied.rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        Date.now(),
      ]);
    }
  });
}
