/**
 * The signed audit log, durable in PGlite: an {@link AuditStore} whose entries are written as
 * they are appended and whose seals rewrite their batch's entries and add the seal in one
 * transaction, so a crash leaves whole sealed batches and a chained, unsealed tail.
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
import { PGlite } from '@electric-sql/pglite';
import type { AuditEntry, BatchSeal, StoredEntry, UnsealedEntry } from '../security/audit-entry.ts';
import {
  checkBatch,
  checkEntries,
  checkRange,
  positionConflict,
  type AuditStore,
} from '../security/audit-store.ts';
import { SecurityError } from '../security/errors.ts';
import { KeyRing, type PublicKeysJson } from '../security/keys.ts';
import { NotAStoreError } from './errors.ts';
import { AUDIT_SCHEMA_SQL } from './schema.sql.ts';

type KeyJson = PublicKeysJson['keys'][number];

/** An AuditStore in PGlite tables (see AUDIT_SCHEMA_SQL); also keeps the signers' public keys. */
export class PGliteAuditStore implements AuditStore {
  readonly #db: PGlite;
  readonly #owned: boolean;

  private constructor(db: PGlite, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
  }

  /** Opens (creating if needed) a database of its own: a directory, `idb://<name>` or `memory://`. */
  static async open(dataDir: string): Promise<PGliteAuditStore> {
    const db = await PGlite.create(dataDir);
    await db.exec(AUDIT_SCHEMA_SQL);
    return new PGliteAuditStore(db, true);
  }

  /** Uses an already open database (e.g. `PGliteStore.database`), creating the audit tables. */
  static async fromDatabase(db: PGlite): Promise<PGliteAuditStore> {
    await db.exec(AUDIT_SCHEMA_SQL);
    return new PGliteAuditStore(db, false);
  }

  /**
   * Uses the audit log an open database already holds, creating nothing; throws NotAStoreError
   * (naming `path`) when it holds none, e.g. for a verifier that must not write.
   */
  static async existing(db: PGlite, path: string): Promise<PGliteAuditStore> {
    const { rows } = await db.query<{ missing: number }>(
      `SELECT count(*)::int AS missing FROM unnest(ARRAY['audit_entries', 'audit_seals', 'audit_keys']) AS t(name)
       WHERE to_regclass(name) IS NULL`,
    );
    if (rows[0].missing > 0) throw new NotAStoreError(path, 'the store holds no audit log');
    return new PGliteAuditStore(db, false);
  }

  /** Appends unsealed entries after the stored ones, in one transaction. */
  async appendEntries(entries: readonly UnsealedEntry[]): Promise<void> {
    checkEntries(entries);
    const records = entries.map((e) => JSON.stringify(e));
    await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ entries: number; seals: number }>(NEXT_POSITIONS);
      if (rows[0].entries !== entries[0].seq)
        throw positionConflict('entries', rows[0].entries, entries[0].seq);
      await tx.query(
        `INSERT INTO audit_entries (position, record)
         SELECT $1::bigint + ord - 1, record FROM unnest($2::text[]) WITH ORDINALITY AS t(record, ord)`,
        [entries[0].seq, records],
      );
    });
  }

  /** Rewrites the batch's entries sealed (checking any stored unsealed form) and adds the seal, in one transaction. */
  async sealBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void> {
    checkBatch(entries, seal);
    const first = seal.firstSeq;
    const records = entries.map((e) => JSON.stringify(e));
    const sealRecord = JSON.stringify(seal);
    await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ entries: number; seals: number }>(NEXT_POSITIONS);
      if (rows[0].seals !== seal.batch) throw positionConflict('seals', rows[0].seals, seal.batch);
      if (rows[0].entries < first) throw positionConflict('entries', rows[0].entries, first);
      const stored = await tx.query<{ position: number; record: string }>(
        `SELECT position::float8 AS position, record FROM audit_entries WHERE position >= $1 AND position < $2`,
        [first, first + entries.length],
      );
      for (const row of stored.rows) {
        const e = JSON.parse(row.record) as StoredEntry;
        if ('proof' in e || e.hash !== entries[row.position - first].hash)
          throw new SecurityError(`audit entry ${row.position} in the store is not the one being sealed`);
      }
      await tx.query(
        `INSERT INTO audit_entries (position, record)
         SELECT $1::bigint + ord - 1, record FROM unnest($2::text[]) WITH ORDINALITY AS t(record, ord)
         ON CONFLICT (position) DO UPDATE SET record = EXCLUDED.record`,
        [first, records],
      );
      await tx.query(`INSERT INTO audit_seals (position, record) VALUES ($1, $2)`, [seal.batch, sealRecord]);
    });
  }

  /**
   * Entries and seals stored, counted as one past the highest position: a row deleted from the
   * middle then shows up as a gap that verification reports, rather than shifting the rest.
   */
  async size(): Promise<{ entries: number; seals: number }> {
    const { rows } = await this.#db.query<{ entries: number; seals: number }>(NEXT_POSITIONS);
    return rows[0];
  }

  /** Entries at positions [from, to). */
  async entries(from: number, to: number): Promise<StoredEntry[]> {
    checkRange(from, to);
    const { rows } = await this.#db.query<{ record: string }>(
      `SELECT record FROM audit_entries WHERE position >= $1 AND position < $2 ORDER BY position`,
      [from, to],
    );
    return rows.map((r) => JSON.parse(r.record) as StoredEntry);
  }

  /** Seals at positions [from, to). */
  async seals(from: number, to: number): Promise<BatchSeal[]> {
    checkRange(from, to);
    const { rows } = await this.#db.query<{ record: string }>(
      `SELECT record FROM audit_seals WHERE position >= $1 AND position < $2 ORDER BY position`,
      [from, to],
    );
    return rows.map((r) => JSON.parse(r.record) as BatchSeal);
  }

  /** Stores the public keys of `ring` (adding new ones, e.g. after a rotation; ids never change). */
  async putKeys(ring: KeyRing): Promise<void> {
    const keys = ring.toJSON().keys;
    if (keys.length === 0) return;
    await this.#db.query(
      `INSERT INTO audit_keys (id, created, record)
       SELECT * FROM unnest($1::text[], $2::float8[], $3::text[]) ON CONFLICT (id) DO NOTHING`,
      [keys.map((k) => k.id), keys.map((k) => k.created), keys.map((k) => JSON.stringify(k))],
    );
  }

  /**
   * The public keys stored with the log. They prove the log is intact, not who wrote it: an
   * editor of the database can replace them too, so verify against independently held keys.
   */
  async keyRing(): Promise<KeyRing> {
    const { rows } = await this.#db.query<{ record: string }>(
      `SELECT record FROM audit_keys ORDER BY created, id`,
    );
    return KeyRing.fromJSON({
      format: 'x0tta6bl4-keys/1',
      keys: rows.map((r) => JSON.parse(r.record) as KeyJson),
    });
  }

  /** Closes the database if this store opened it; a shared database stays open for its owner. */
  async close(): Promise<void> {
    if (this.#owned) await this.#db.close();
  }
}

const NEXT_POSITIONS = `SELECT
  (SELECT coalesce(max(position) + 1, 0) FROM audit_entries)::float8 AS entries,
  (SELECT coalesce(max(position) + 1, 0) FROM audit_seals)::float8 AS seals`;
