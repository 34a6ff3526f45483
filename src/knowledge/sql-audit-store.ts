/**
 * The signed audit log's SQL, once for PGlite and a PostgreSQL server (src/knowledge/sql.ts): an
 * {@link AuditStore} over one chain of the audit tables. Entries are written as they are
 * appended; a seal rewrites its batch's entries and adds the seal in one transaction, so a crash
 * leaves whole sealed batches and a chained, unsealed tail.
 *
 * A database holds one chain per writer (migration 2 of src/knowledge/schema.sql.ts): a PGlite
 * store's one writer keeps the chain '', engines sharing a server each sign the chain of their
 * run id. Positions count within a chain, and (chain, position) is the key, so two writers that
 * somehow share a chain cannot both store a position: the second gets a position conflict.
 *
 * A write retried after a lost connection may find that it had landed already; {@link
 * SqlAuditStore.persist} is the hook through which a store that retries (PostgresAuditStore)
 * checks that first ({@link SqlAuditStore} itself tries once).
 */
import type { AuditEntry, BatchSeal, StoredEntry, UnsealedEntry } from '../security/audit-entry.ts';
import {
  type AuditStore,
  checkBatch,
  checkEntries,
  checkRange,
  positionConflict,
} from '../security/audit-store.ts';
import { SecurityError } from '../security/errors.ts';
import { KeyRing, type PublicKeysJson } from '../security/keys.ts';
import type { SqlDatabase } from './sql.ts';

type KeyJson = PublicKeysJson['keys'][number];

/** An AuditStore over one chain of the audit tables; also keeps the signers' public keys. */
export class SqlAuditStore implements AuditStore {
  readonly #db: SqlDatabase;
  /** The chain this store reads and writes ('' for a PGlite store's one chain). */
  readonly chain: string;

  /**
   * A store of chain `chain` in `db`, whose schema is already migrated (`migrateStore`).
   * @param chain '' for a single-writer store; a run id for an engine sharing a server
   */
  constructor(db: SqlDatabase, chain: string) {
    this.#db = db;
    this.chain = chain;
  }

  /**
   * Runs one write. `landed` tells whether the write is already stored in full (it is asked
   * before a retry, as a write whose commit was not acknowledged may have landed); this class
   * tries once and never asks it.
   */
  protected persist(write: () => Promise<void>, _landed: () => Promise<boolean>): Promise<void> {
    return write();
  }

  /** Appends unsealed entries after the stored ones, in one transaction. */
  async appendEntries(entries: readonly UnsealedEntry[]): Promise<void> {
    checkEntries(entries);
    const first = entries[0].seq;
    const records = entries.map((e) => JSON.stringify(e));
    await this.persist(
      () =>
        this.#db.transaction(async (tx) => {
          const { rows } = await tx.query<{ entries: number; seals: number }>(NEXT_POSITIONS, [this.chain]);
          if (rows[0].entries !== first) throw positionConflict('entries', rows[0].entries, first);
          await tx.query(
            `INSERT INTO audit_entries (chain, position, record)
             SELECT $1, $2::bigint + ord - 1, record FROM unnest($3::text[]) WITH ORDINALITY AS t(record, ord)`,
            [this.chain, first, records],
          );
        }),
      async () => sameRecords(await this.#records('audit_entries', first, first + records.length), records),
    );
  }

  /** Rewrites the batch's entries sealed (checking any stored unsealed form) and adds the seal, in one transaction. */
  async sealBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void> {
    checkBatch(entries, seal);
    const first = seal.firstSeq;
    const records = entries.map((e) => JSON.stringify(e));
    const sealRecord = JSON.stringify(seal);
    await this.persist(
      () =>
        this.#db.transaction(async (tx) => {
          const { rows } = await tx.query<{ entries: number; seals: number }>(NEXT_POSITIONS, [this.chain]);
          if (rows[0].seals !== seal.batch) throw positionConflict('seals', rows[0].seals, seal.batch);
          if (rows[0].entries < first) throw positionConflict('entries', rows[0].entries, first);
          const stored = await tx.query<{ position: number; record: string }>(
            `SELECT position::float8 AS position, record FROM audit_entries
             WHERE chain = $1 AND position >= $2 AND position < $3`,
            [this.chain, first, first + entries.length],
          );
          for (const row of stored.rows) {
            const e = JSON.parse(row.record) as StoredEntry;
            if ('proof' in e || e.hash !== entries[row.position - first].hash)
              throw new SecurityError(`audit entry ${row.position} in the store is not the one being sealed`);
          }
          await tx.query(
            `INSERT INTO audit_entries (chain, position, record)
             SELECT $1, $2::bigint + ord - 1, record FROM unnest($3::text[]) WITH ORDINALITY AS t(record, ord)
             ON CONFLICT (chain, position) DO UPDATE SET record = EXCLUDED.record`,
            [this.chain, first, records],
          );
          await tx.query(`INSERT INTO audit_seals (chain, position, record) VALUES ($1, $2, $3)`, [
            this.chain,
            seal.batch,
            sealRecord,
          ]);
        }),
      async () => sameRecords(await this.#records('audit_seals', seal.batch, seal.batch + 1), [sealRecord]),
    );
  }

  /**
   * Entries and seals stored, counted as one past the highest position: a row deleted from the
   * middle then shows up as a gap that verification reports, rather than shifting the rest.
   */
  async size(): Promise<{ entries: number; seals: number }> {
    const { rows } = await this.#db.query<{ entries: number; seals: number }>(NEXT_POSITIONS, [this.chain]);
    return rows[0];
  }

  /** Entries at positions [from, to). */
  async entries(from: number, to: number): Promise<StoredEntry[]> {
    checkRange(from, to);
    return (await this.#records('audit_entries', from, to)).map((r) => JSON.parse(r) as StoredEntry);
  }

  /** Seals at positions [from, to). */
  async seals(from: number, to: number): Promise<BatchSeal[]> {
    checkRange(from, to);
    return (await this.#records('audit_seals', from, to)).map((r) => JSON.parse(r) as BatchSeal);
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
   * The public keys stored with the log (every writer's). They prove the log is intact, not who
   * wrote it: an editor of the database can replace them too, so verify against independently
   * held keys.
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

  /** The records of `table` in this chain at positions [from, to), in order. */
  async #records(table: 'audit_entries' | 'audit_seals', from: number, to: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ record: string }>(
      `SELECT record FROM ${table} WHERE chain = $1 AND position >= $2 AND position < $3 ORDER BY position`,
      [this.chain, from, to],
    );
    return rows.map((r) => r.record);
  }
}

/** The chains a database's audit log holds, in order of name ('' first). */
export async function auditChains(db: SqlDatabase): Promise<string[]> {
  const { rows } = await db.query<{ chain: string }>(
    `SELECT chain FROM audit_entries UNION SELECT chain FROM audit_seals ORDER BY chain`,
  );
  return rows.map((r) => r.chain);
}

function sameRecords(stored: readonly string[], written: readonly string[]): boolean {
  return stored.length === written.length && stored.every((r, i) => r === written[i]);
}

const NEXT_POSITIONS = `SELECT
  (SELECT coalesce(max(position) + 1, 0) FROM audit_entries WHERE chain = $1)::float8 AS entries,
  (SELECT coalesce(max(position) + 1, 0) FROM audit_seals WHERE chain = $1)::float8 AS seals`;
