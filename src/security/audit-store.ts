/**
 * Where the audit log lives. {@link AuditStore} is deliberately small (append a sealed batch,
 * count, read ranges) so the engine's knowledge store can implement it; {@link MemoryAuditStore}
 * is the in-memory implementation, and {@link AuditFile} the JSON file the CLI verifies.
 */
import { ArgumentError } from '../errors.ts';
import type { AuditEntry, BatchSeal } from './audit-entry.ts';
import type { KeyRing, PublicKeysJson } from './keys.ts';

/** Persistence for audit entries and batch seals, both addressed by position from 0. */
export interface AuditStore {
  /** Appends a batch's entries and its seal; must be atomic (all or nothing). */
  appendBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void>;
  /** How many entries and seals are stored. */
  size(): Promise<{ entries: number; seals: number }>;
  /** Entries at positions [from, to), clipped to what exists. */
  entries(from: number, to: number): Promise<AuditEntry[]>;
  /** Seals at positions [from, to), clipped to what exists. */
  seals(from: number, to: number): Promise<BatchSeal[]>;
}

/** The JSON document the CLI reads: entries, seals and the signer's public keys. */
export interface AuditFile {
  format: 'x0tta6bl4-audit/1';
  keys: PublicKeysJson;
  seals: BatchSeal[];
  entries: AuditEntry[];
}

/** Throws an ArgumentError unless [from, to) is a valid position range; shared by the stores. */
export function checkRange(from: number, to: number): void {
  if (!Number.isSafeInteger(from) || from < 0) throw new ArgumentError('from', 'expected an integer >= 0');
  if (!Number.isSafeInteger(to) || to < from) throw new ArgumentError('to', 'expected an integer >= from');
}

/** Throws an ArgumentError unless `entries` is a non-empty array and `seal` an object; shared by the stores. */
export function checkBatch(entries: readonly AuditEntry[], seal: BatchSeal): void {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ArgumentError('entries', 'expected a non-empty array');
  if (!seal || typeof seal !== 'object') throw new ArgumentError('seal', 'expected a batch seal');
}

/** An AuditStore in memory. It keeps the objects it is given: callers must not mutate them. */
export class MemoryAuditStore implements AuditStore {
  readonly #entries: AuditEntry[];
  readonly #seals: BatchSeal[];

  /** Starts empty, or from existing records (e.g. parsed from an {@link AuditFile}). */
  constructor(entries: AuditEntry[] = [], seals: BatchSeal[] = []) {
    if (!Array.isArray(entries)) throw new ArgumentError('entries', 'expected an array');
    if (!Array.isArray(seals)) throw new ArgumentError('seals', 'expected an array');
    this.#entries = entries;
    this.#seals = seals;
  }

  /** Appends entries and seal together. */
  async appendBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void> {
    checkBatch(entries, seal);
    this.#entries.push(...entries);
    this.#seals.push(seal);
  }

  /** Numbers of entries and seals. */
  async size(): Promise<{ entries: number; seals: number }> {
    return { entries: this.#entries.length, seals: this.#seals.length };
  }

  /** Entries at positions [from, to). */
  async entries(from: number, to: number): Promise<AuditEntry[]> {
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
