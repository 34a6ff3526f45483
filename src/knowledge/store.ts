/**
 * The knowledge store interface. Backends: `MemoryStore` (fast, volatile) and `PGliteStore`
 * (embedded Postgres, durable, same SQL as a PostgreSQL server). The loop never awaits a store
 * on its hot path: it writes through a `WriteQueue`, which keeps writes when the store fails.
 */
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';

export interface KnowledgeStore {
  /** Inserts or replaces an incident by id. */
  putIncident(incident: IncidentRecord): Promise<void>;
  /** Inserts or replaces an action record by id. */
  putAction(action: ActionRecord): Promise<void>;
  /** Inserts or replaces the posterior of (signature, action). */
  putPosterior(posterior: Posterior): Promise<void>;
  /** Stores a named JSON value (adaptive thresholds, detector state, model versions). */
  putValue(key: string, value: unknown): Promise<void>;
  getValue<T = unknown>(key: string): Promise<T | undefined>;
  listIncidents(): Promise<IncidentRecord[]>;
  listActions(incidentId?: string): Promise<ActionRecord[]>;
  listPosteriors(): Promise<Posterior[]>;
  close(): Promise<void>;
}
