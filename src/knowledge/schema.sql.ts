/**
 * The knowledge schema, plain PostgreSQL: it runs in PGlite and, unchanged, on a server.
 * Records are stored as JSONB beside the columns queries filter on.
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
`;
