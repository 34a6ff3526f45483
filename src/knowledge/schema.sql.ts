/**
 * The stores' schema, plain PostgreSQL: it runs in PGlite and, unchanged, on a server. Records
 * are stored as JSONB beside the columns queries filter on. {@link MIGRATIONS} is the schema's
 * history, applied in order once per database (src/knowledge/sql.ts); a change to the schema is a
 * new migration at the end, never an edit of an applied one.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS incidents (
  id          TEXT PRIMARY KEY,
  opened_at   DOUBLE PRECISION NOT NULL,
  status      TEXT NOT NULL,
  signature   TEXT NOT NULL,
  record      JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  started_at  DOUBLE PRECISION NOT NULL,
  record      JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_incident ON actions (incident_id);
CREATE TABLE IF NOT EXISTS posteriors (
  signature   TEXT NOT NULL,
  action      TEXT NOT NULL,
  alpha       DOUBLE PRECISION NOT NULL,
  beta        DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (signature, action)
);
CREATE TABLE IF NOT EXISTS kv (
  key         TEXT PRIMARY KEY,
  value       JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id          TEXT PRIMARY KEY,
  started_at  DOUBLE PRECISION NOT NULL,
  status      TEXT NOT NULL,
  record      JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS model_versions (
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  created_at  DOUBLE PRECISION NOT NULL,
  record      JSONB NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS model_alias_events (
  name        TEXT NOT NULL,
  alias       TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  version     INTEGER NOT NULL,
  record      JSONB NOT NULL,
  PRIMARY KEY (name, alias, seq)
);
`;

/**
 * The signed audit log (see src/security/audit-*.ts), kept beside the knowledge tables so both
 * can live in one database, as first created (migration 2 gives each writer its own chain). Rows
 * are addressed by position from 0; records are the exact JSON
 * text (not JSONB, which rejects "\u0000" in strings and reorders keys) because a verifier
 * re-hashes what it reads. Public signing keys are kept so a store can be verified on its own.
 */
export const AUDIT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS audit_entries (
  position    BIGINT PRIMARY KEY,
  record      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_seals (
  position    BIGINT PRIMARY KEY,
  record      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_keys (
  id          TEXT PRIMARY KEY,
  created     DOUBLE PRECISION NOT NULL,
  record      TEXT NOT NULL
);
`;

/**
 * The RAG analyzer's documents (src/rag/store.ts), kept beside the knowledge tables so the
 * retrieval indexes are rebuilt from the same database. `seq` orders documents by their last
 * write, as `RagStore.listDocuments` promises; `embedding` holds the f32 rows as little-endian
 * bytes (every target runtime's byte order), exactly as the embedder produced them.
 */
export const RAG_SCHEMA_SQL = `
CREATE SEQUENCE IF NOT EXISTS rag_documents_seq;
CREATE TABLE IF NOT EXISTS rag_documents (
  id          TEXT PRIMARY KEY,
  seq         BIGINT NOT NULL DEFAULT nextval('rag_documents_seq'),
  document    JSONB NOT NULL,
  embedder_id TEXT NOT NULL,
  embedding   BYTEA NOT NULL
);
`;

/**
 * One audit chain per writer: engines sharing a PostgreSQL server each sign their own chain
 * (named by their run id), so none waits for or conflicts with another's positions. A PGlite
 * store's one writer keeps the chain named '' (the rows a store held before this migration).
 */
const AUDIT_CHAINS_SQL = `
ALTER TABLE audit_entries ADD COLUMN chain TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_pkey;
ALTER TABLE audit_entries ADD PRIMARY KEY (chain, position);
ALTER TABLE audit_seals ADD COLUMN chain TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_seals DROP CONSTRAINT audit_seals_pkey;
ALTER TABLE audit_seals ADD PRIMARY KEY (chain, position);
`;

/** One step of the schema's history. */
export interface Migration {
  /** 1, 2, 3...: the order migrations apply in. */
  version: number;
  /** What it does, recorded with it in `schema_migrations`. */
  name: string;
  /** The statements, run in the migrating transaction. */
  sql: string;
}

/**
 * The schema's history. Version 1 is written with IF NOT EXISTS, so a store made before
 * migrations were recorded takes it as a no-op and goes on from there.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'knowledge, audit log and RAG tables',
    sql: SCHEMA_SQL + AUDIT_SCHEMA_SQL + RAG_SCHEMA_SQL,
  },
  { version: 2, name: 'one audit chain per writer', sql: AUDIT_CHAINS_SQL },
];
