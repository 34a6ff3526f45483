/**
 * The knowledge store interface. Backends: `MemoryStore` (fast, volatile), `PGliteStore`
 * (embedded Postgres, durable) and `PostgresStore` (a PostgreSQL server several engines share;
 * the same SQL as PGlite). The loop never awaits a store
 * on its hot path: it writes through a `WriteQueue`, which keeps writes when the store fails.
 */
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';

/** What every knowledge store backend offers (see the module's comment). */
export interface KnowledgeStore {
  /** Inserts or replaces an incident by id. */
  putIncident(incident: IncidentRecord): Promise<void>;
  /** Inserts or replaces an action record by id. */
  putAction(action: ActionRecord): Promise<void>;
  /** Inserts or replaces the posterior of (signature, action). */
  putPosterior(posterior: Posterior): Promise<void>;
  /** Stores a named JSON value (adaptive thresholds, detector state, model versions). */
  putValue(key: string, value: unknown): Promise<void>;
  /** undefined>;|The named JSON value, or undefined if none is stored. */
  getValue<T = unknown>(key: string): Promise<T | undefined>;
  /** Every incident, oldest first. */
  listIncidents(): Promise<IncidentRecord[]>;
  /** Every action, or those of one incident, oldest first. */
  listActions(incidentId?: string): Promise<ActionRecord[]>;
  /** Every posterior, ordered by signature and action. */
  listPosteriors(): Promise<Posterior[]>;
  /** Releases the store; it takes no call after. */
  close(): Promise<void>;
}
