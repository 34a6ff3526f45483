/**
 * The knowledge store's SQL, once for every database that speaks PostgreSQL (src/knowledge/sql.ts):
 * `PGliteStore` and `PostgresStore` are this class over their own connection. Every write is one
 * statement keyed by the record's id (ids are per run, src/knowledge/ids.ts), so writers sharing a
 * server never overwrite each other's records, and a write retried after a lost connection
 * replaces what it already wrote instead of duplicating it.
 */
import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';
import type { RunRecord, RunStore } from './runs.ts';
import type { ModelAliasEvent, ModelStore, ModelVersionRecord } from './models.ts';
import type { SqlDatabase } from './sql.ts';

/** Knowledge, runs and models in the store's tables (src/knowledge/schema.sql.ts) of any SQL database. */
export class SqlKnowledgeStore implements KnowledgeStore, RunStore, ModelStore {
  readonly #db: SqlDatabase;
  readonly #close: () => Promise<void>;

  /**
   * A store over `db`, whose schema is already migrated (`migrateStore`).
   * @param close releases the connection (called by `close()`)
   */
  constructor(db: SqlDatabase, close: () => Promise<void>) {
    this.#db = db;
    this.#close = close;
  }

  async putIncident(i: IncidentRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO incidents (id, opened_at, status, signature, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, signature = EXCLUDED.signature,
       record = EXCLUDED.record`,
      [i.id, i.openedAt, i.status, i.signature, JSON.stringify(i)],
    );
  }

  async putAction(a: ActionRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO actions (id, incident_id, started_at, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record`,
      [a.id, a.incidentId, a.startedAt, JSON.stringify(a)],
    );
  }

  async putPosterior(p: Posterior): Promise<void> {
    await this.#db.query(
      `INSERT INTO posteriors (signature, action, alpha, beta) VALUES ($1, $2, $3, $4)
       ON CONFLICT (signature, action) DO UPDATE SET alpha = EXCLUDED.alpha, beta = EXCLUDED.beta`,
      [p.signature, p.action, p.alpha, p.beta],
    );
  }

  async putValue(key: string, value: unknown): Promise<void> {
    await this.#db.query(
      `INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, JSON.stringify(value)],
    );
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.#db.query<{ value: T }>(`SELECT value FROM kv WHERE key = $1`, [key]);
    return rows[0]?.value;
  }

  async listIncidents(): Promise<IncidentRecord[]> {
    const { rows } = await this.#db.query<{ record: IncidentRecord }>(
      `SELECT record FROM incidents ORDER BY opened_at, id`,
    );
    return rows.map((r) => r.record);
  }

  async listActions(incidentId?: string): Promise<ActionRecord[]> {
    const { rows } =
      incidentId === undefined
        ? await this.#db.query<{ record: ActionRecord }>(`SELECT record FROM actions ORDER BY started_at, id`)
        : await this.#db.query<{ record: ActionRecord }>(
            `SELECT record FROM actions WHERE incident_id = $1 ORDER BY started_at, id`,
            [incidentId],
          );
    return rows.map((r) => r.record);
  }

  async listPosteriors(): Promise<Posterior[]> {
    const { rows } = await this.#db.query<Posterior>(
      `SELECT signature, action, alpha, beta FROM posteriors ORDER BY signature, action`,
    );
    return rows;
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO runs (id, started_at, status, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record`,
      [run.id, run.startedAt, run.status, JSON.stringify(run)],
    );
  }

  async listRuns(): Promise<RunRecord[]> {
    const { rows } = await this.#db.query<{ record: RunRecord }>(
      `SELECT record FROM runs ORDER BY started_at, id`,
    );
    return rows.map((r) => r.record);
  }

  async addModelVersion(m: ModelVersionRecord): Promise<boolean> {
    const { affectedRows } = await this.#db.query(
      `INSERT INTO model_versions (name, version, kind, created_at, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name, version) DO NOTHING`,
      [m.name, m.version, m.kind, m.createdAt, JSON.stringify(m)],
    );
    return affectedRows === 1;
  }

  async listModelVersions(name?: string): Promise<ModelVersionRecord[]> {
    const { rows } =
      name === undefined
        ? await this.#db.query<{ record: ModelVersionRecord }>(
            `SELECT record FROM model_versions ORDER BY name, version`,
          )
        : await this.#db.query<{ record: ModelVersionRecord }>(
            `SELECT record FROM model_versions WHERE name = $1 ORDER BY version`,
            [name],
          );
    return rows.map((r) => r.record);
  }

  async addModelAliasEvent(e: ModelAliasEvent): Promise<boolean> {
    const { affectedRows } = await this.#db.query(
      `INSERT INTO model_alias_events (name, alias, seq, version, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name, alias, seq) DO NOTHING`,
      [e.name, e.alias, e.seq, e.version, JSON.stringify(e)],
    );
    return affectedRows === 1;
  }

  async listModelAliasEvents(name?: string): Promise<ModelAliasEvent[]> {
    const { rows } =
      name === undefined
        ? await this.#db.query<{ record: ModelAliasEvent }>(
            `SELECT record FROM model_alias_events ORDER BY name, alias, seq`,
          )
        : await this.#db.query<{ record: ModelAliasEvent }>(
            `SELECT record FROM model_alias_events WHERE name = $1 ORDER BY alias, seq`,
            [name],
          );
    return rows.map((r) => r.record);
  }

  async close(): Promise<void> {
    await this.#close();
  }
}
