/**
 * Knowledge: what the loop remembers. Incidents, actions and outcomes, learned success rates
 * per (signature, action), adaptive thresholds and saved state, behind one `KnowledgeStore`
 * interface with a memory backend, a PGlite (embedded Postgres) one, and a PostgreSQL server one
 * that several engines share (`./knowledge/postgres`); the two SQL backends share one
 * implementation with recorded migrations (sql*.ts, schema.sql.ts). The runs a store has seen
 * and the ids that keep their records apart (ids.ts, runs.ts); model versions and alias events
 * (models.ts, the tables under src/mlops's registry). Node-only: store-directory.ts
 * and store-lock.ts (one writer per store directory, read-only snapshots).
 */
export type * from './records.ts';
export type { KnowledgeStore } from './store.ts';
export { IdSource, isRunId, newRunId } from './ids.ts';
export type {
  ModelAliasEvent,
  ModelKind,
  ModelLineage,
  ModelStore,
  ModelVersionRecord,
} from './models.ts';
export { RUN_END_KIND, RUN_START_KIND, type RunRecord, type RunStore } from './runs.ts';
export { NotAStoreError, StoreLockedError, StoreUnreachableError, type LockHolder } from './errors.ts';
export { MemoryStore } from './memory-store.ts';
export { type StoreWrite, WriteQueue, type WriteQueueStats } from './write-queue.ts';
