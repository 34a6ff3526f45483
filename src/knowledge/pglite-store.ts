/**
 * Durable knowledge in PGlite (Postgres compiled to WebAssembly): a data directory on Node, Deno
 * and Bun, `idb://<name>` (IndexedDB) in browsers, `memory://` for a throwaway database.
 */
import { PGlite } from '@electric-sql/pglite';
import { NotAStoreError } from './errors.ts';
import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';
import type { RunRecord, RunStore } from './runs.ts';
import type { ModelAliasEvent, ModelStore, ModelVersionRecord } from './models.ts';
import { SCHEMA_SQL } from './schema.sql.ts';

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
export class PGliteStore implements KnowledgeStore, RunStore, ModelStore {
  private constructor(private readonly db: PGlite) {}

  /**
   * The open database, so the audit log and the RAG store can share it
   * (`PGliteAuditStore.fromDatabase`, `PGliteRagStore.fromDatabase`; the CLI does).
   * @internal
   */
  get database(): PGlite {
    return this.db;
  }

  /**
   * Opens the store at `dataDir` (see the class comment for its forms), creating its tables in
   * an empty database unless `existing` is set. A database holding other tables but not the
   * store's is someone else's: NotAStoreError, and nothing is created in it.
   */
  static async open(dataDir: string, options: PGliteStoreOptions = {}): Promise<PGliteStore> {
    const db = await PGlite.create(dataDir);
    try {
      await PGliteStore.#prepare(db, options.label ?? dataDir, options.existing === true);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new PGliteStore(db);
  }

  static async #prepare(db: PGlite, dataDir: string, existing: boolean): Promise<void> {
    const { rows } = await db.query<{ tables: number; ours: number }>(
      `SELECT count(*)::int AS tables, count(*) FILTER (WHERE table_name = ANY($1))::int AS ours
       FROM information_schema.tables WHERE table_schema = 'public'`,
      [STORE_TABLES],
    );
    const { tables, ours } = rows[0];
    if (ours === 0 && tables > 0)
      throw new NotAStoreError(
        dataDir,
        `is a database of something else (${tables} tables, none of a store)`,
      );
    if (ours === 0 && existing) throw new NotAStoreError(dataDir, 'holds no x0tta6bl4 store yet');
    // Adds the tables later versions introduced to an existing store.
    await db.exec(SCHEMA_SQL);
  }

  async putIncident(i: IncidentRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO incidents (id, opened_at, status, signature, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, signature = EXCLUDED.signature,
       record = EXCLUDED.record`,
      [i.id, i.openedAt, i.status, i.signature, JSON.stringify(i)],
    );
  }

  async putAction(a: ActionRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO actions (id, incident_id, started_at, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record`,
      [a.id, a.incidentId, a.startedAt, JSON.stringify(a)],
    );
  }

  async putPosterior(p: Posterior): Promise<void> {
    await this.db.query(
      `INSERT INTO posteriors (signature, action, alpha, beta) VALUES ($1, $2, $3, $4)
       ON CONFLICT (signature, action) DO UPDATE SET alpha = EXCLUDED.alpha, beta = EXCLUDED.beta`,
      [p.signature, p.action, p.alpha, p.beta],
    );
  }

  async putValue(key: string, value: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, JSON.stringify(value)],
    );
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.db.query<{ value: T }>(`SELECT value FROM kv WHERE key = $1`, [key]);
    return rows[0]?.value;
  }

  async listIncidents(): Promise<IncidentRecord[]> {
    const { rows } = await this.db.query<{ record: IncidentRecord }>(
      `SELECT record FROM incidents ORDER BY opened_at, id`,
    );
    return rows.map((r) => r.record);
  }

  async listActions(incidentId?: string): Promise<ActionRecord[]> {
    const { rows } =
      incidentId === undefined
        ? await this.db.query<{ record: ActionRecord }>(`SELECT record FROM actions ORDER BY started_at, id`)
        : await this.db.query<{ record: ActionRecord }>(
            `SELECT record FROM actions WHERE incident_id = $1 ORDER BY started_at, id`,
            [incidentId],
          );
    return rows.map((r) => r.record);
  }

  async listPosteriors(): Promise<Posterior[]> {
    const { rows } = await this.db.query<Posterior>(
      `SELECT signature, action, alpha, beta FROM posteriors ORDER BY signature, action`,
    );
    return rows;
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO runs (id, started_at, status, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record`,
      [run.id, run.startedAt, run.status, JSON.stringify(run)],
    );
  }

  async listRuns(): Promise<RunRecord[]> {
    const { rows } = await this.db.query<{ record: RunRecord }>(
      `SELECT record FROM runs ORDER BY started_at, id`,
    );
    return rows.map((r) => r.record);
  }

  async addModelVersion(m: ModelVersionRecord): Promise<boolean> {
    const { affectedRows } = await this.db.query(
      `INSERT INTO model_versions (name, version, kind, created_at, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name, version) DO NOTHING`,
      [m.name, m.version, m.kind, m.createdAt, JSON.stringify(m)],
    );
    return affectedRows === 1;
  }

  async listModelVersions(name?: string): Promise<ModelVersionRecord[]> {
    const { rows } =
      name === undefined
        ? await this.db.query<{ record: ModelVersionRecord }>(
            `SELECT record FROM model_versions ORDER BY name, version`,
          )
        : await this.db.query<{ record: ModelVersionRecord }>(
            `SELECT record FROM model_versions WHERE name = $1 ORDER BY version`,
            [name],
          );
    return rows.map((r) => r.record);
  }

  async addModelAliasEvent(e: ModelAliasEvent): Promise<boolean> {
    const { affectedRows } = await this.db.query(
      `INSERT INTO model_alias_events (name, alias, seq, version, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name, alias, seq) DO NOTHING`,
      [e.name, e.alias, e.seq, e.version, JSON.stringify(e)],
    );
    return affectedRows === 1;
  }

  async listModelAliasEvents(name?: string): Promise<ModelAliasEvent[]> {
    const { rows } =
      name === undefined
        ? await this.db.query<{ record: ModelAliasEvent }>(
            `SELECT record FROM model_alias_events ORDER BY name, alias, seq`,
          )
        : await this.db.query<{ record: ModelAliasEvent }>(
            `SELECT record FROM model_alias_events WHERE name = $1 ORDER BY alias, seq`,
            [name],
          );
    return rows.map((r) => r.record);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
