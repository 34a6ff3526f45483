/**
 * Where the audit log lives. {@link AuditStore} is deliberately small (append unsealed entries,
 * seal a batch, count, read ranges) so the engine's knowledge store can implement it;
 * {@link MemoryAuditStore} is the in-memory implementation, and {@link AuditFile} the JSON file
 * the CLI verifies.
 */
import { ArgumentError } from '../errors.ts';
import {
  isSealedEntry,
  type AuditEntry,
  type BatchSeal,
  type StoredEntry,
  type UnsealedEntry,
} from './audit-entry.ts';
import { SecurityError } from './errors.ts';
import type { KeyRing, PublicKeysJson } from './keys.ts';

/**
 * Persistence for audit entries and batch seals, both addressed by position from 0. Entries
 * are written as they are appended (unsealed) and rewritten in sealed form with their seal, so
 * a crash between seals leaves a durable, chained tail that verification reports.
 */
export interface AuditStore {
  /**
   * Appends unsealed entries right after what is stored (the first one's `seq` must be the next
   * position, else another writer got there first: a SecurityError); durable once it resolves.
   */
  appendEntries(entries: readonly UnsealedEntry[]): Promise<void>;
  /**
   * Seals a batch, atomically: stores its entries in sealed form at positions `seal.firstSeq`
   * on (over their unsealed form where already stored, which must hold the same hashes) and
   * appends the seal.
   */
  sealBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void>;
  /** How many entries and seals are stored. */
  size(): Promise<{ entries: number; seals: number }>;
  /** Entries at positions [from, to), clipped to what exists. */
  entries(from: number, to: number): Promise<StoredEntry[]>;
  /** Seals at positions [from, to), clipped to what exists. */
  seals(from: number, to: number): Promise<BatchSeal[]>;
}

/** The JSON document the CLI reads: entries (an unsealed tail included), seals and public keys. */
export interface AuditFile {
  /** Format tag. */
  format: 'x0tta6bl4-audit/1';
  /** The public keys the seals are signed with. */
  keys: PublicKeysJson;
  /** Every seal, in batch order. */
  seals: BatchSeal[];
  /** Every entry, in log order. */
  entries: StoredEntry[];
}

/** Throws an ArgumentError unless [from, to) is a valid position range; shared by the stores. */
export function checkRange(from: number, to: number): void {
  if (!Number.isSafeInteger(from) || from < 0) throw new ArgumentError('from', 'expected an integer >= 0');
  if (!Number.isSafeInteger(to) || to < from) throw new ArgumentError('to', 'expected an integer >= from');
}

/** Throws an ArgumentError unless `entries` is a non-empty array of entries with consecutive seqs. */
export function checkEntries(entries: readonly StoredEntry[]): void {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ArgumentError('entries', 'expected a non-empty array');
  entries.forEach((e, i) => {
    if (!Number.isSafeInteger(e?.seq) || e.seq !== entries[0].seq + i)
      throw new ArgumentError(`entries[${i}].seq`, 'expected consecutive positions');
  });
}

/** Throws unless `seal` is an object covering exactly `entries`; shared by the stores. */
export function checkBatch(entries: readonly AuditEntry[], seal: BatchSeal): void {
  checkEntries(entries);
  if (!seal || typeof seal !== 'object') throw new ArgumentError('seal', 'expected a batch seal');
  if (seal.firstSeq !== entries[0].seq || seal.count !== entries.length)
    throw new ArgumentError(
      'seal',
      `covers ${seal.count} entries from ${seal.firstSeq}, not the batch given`,
    );
}

/** The error a store raises when a write does not continue what it holds (a second writer). */
export function positionConflict(what: string, stored: number, expected: number): SecurityError {
  return new SecurityError(
    `audit store holds ${stored} ${what}, the writer expected ${expected}: another writer has written to it`,
  );
}

/** An AuditStore in memory. It keeps the objects it is given: callers must not mutate them. */
export class MemoryAuditStore implements AuditStore {
  readonly #entries: StoredEntry[];
  readonly #seals: BatchSeal[];

  /** Starts empty, or from existing records (e.g. parsed from an {@link AuditFile}). */
  constructor(entries: StoredEntry[] = [], seals: BatchSeal[] = []) {
    if (!Array.isArray(entries)) throw new ArgumentError('entries', 'expected an array');
    if (!Array.isArray(seals)) throw new ArgumentError('seals', 'expected an array');
    this.#entries = entries;
    this.#seals = seals;
  }

  /** Appends unsealed entries after the stored ones. */
  async appendEntries(entries: readonly UnsealedEntry[]): Promise<void> {
    checkEntries(entries);
    if (entries[0].seq !== this.#entries.length)
      throw positionConflict('entries', this.#entries.length, entries[0].seq);
    this.#entries.push(...entries);
  }

  /** Writes the sealed entries over their unsealed form and appends the seal. */
  async sealBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void> {
    checkBatch(entries, seal);
    if (seal.batch !== this.#seals.length) throw positionConflict('seals', this.#seals.length, seal.batch);
    if (seal.firstSeq > this.#entries.length)
      throw positionConflict('entries', this.#entries.length, seal.firstSeq);
    entries.forEach((e) => {
      const stored = this.#entries[e.seq];
      if (stored && (isSealedEntry(stored) || stored.hash !== e.hash))
        throw new SecurityError(`audit entry ${e.seq} in the store is not the one being sealed`);
    });
    this.#entries.splice(seal.firstSeq, entries.length, ...entries);
    this.#seals.push(seal);
  }

  /** Numbers of entries and seals. */
  async size(): Promise<{ entries: number; seals: number }> {
    return { entries: this.#entries.length, seals: this.#seals.length };
  }

  /** Entries at positions [from, to). */
  async entries(from: number, to: number): Promise<StoredEntry[]> {
    checkRange(from, to);
    return this.#entries.slice(from, to);
  }

  /** Seals at positions [from, to). */
  async seals(from: number, to: number): Promise<BatchSeal[]> {
    checkRange(from, to);
    return this.#seals.slice(from, to);
  }

  /** A store over a parsed {@link AuditFile}. */
  static fromFile(file: AuditFile): MemoryAuditStore {
    if (file?.format !== 'x0tta6bl4-audit/1')
      throw new ArgumentError('file', "expected format 'x0tta6bl4-audit/1'");
    return new MemoryAuditStore(file.entries, file.seals);
  }
}

/** Reads a whole store into an {@link AuditFile}, with the public keys a verifier will need. */
export async function exportAuditFile(store: AuditStore, keys: KeyRing): Promise<AuditFile> {
  const size = await store.size();
  return {
    format: 'x0tta6bl4-audit/1',
    keys: keys.toJSON(),
    seals: await store.seals(0, size.seals),
    entries: await store.entries(0, size.entries),
  };
}
