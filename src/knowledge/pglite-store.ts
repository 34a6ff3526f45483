/**
 * Durable knowledge in PGlite (Postgres compiled to WebAssembly): a data directory on Node, Deno
 * and Bun, `idb://<name>` (IndexedDB) in browsers, `memory://` for a throwaway database.
 */
import { PGlite } from '@electric-sql/pglite';
import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';
import { SCHEMA_SQL } from './schema.sql.ts';

/** The durable knowledge store; open with `PGliteStore.open(dataDir)`. */
export class PGliteStore implements KnowledgeStore {
  private constructor(private readonly db: PGlite) {}

  /** The open database, so the audit log can share it (`PGliteAuditStore.fromDatabase`). */
  get database(): PGlite {
    return this.db;
  }

  /** Opens (creating if needed) the store at `dataDir`; see the class comment for its forms. */
  static async open(dataDir: string): Promise<PGliteStore> {
    const db = await PGlite.create(dataDir);
    await db.exec(SCHEMA_SQL);
    return new PGliteStore(db);
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

  async close(): Promise<void> {
    await this.db.close();
  }
}
