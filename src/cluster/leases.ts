/**
 * Leases in a JetStream key-value bucket whose entries lapse after the bucket's time to live
 * unless refreshed: who owns each region (`region.<n>`), which engines are alive
 * (`engine.<id>`), and who heals each target (`incident.<target>`). Taking a lease is a
 * create-if-absent; refreshing it is an update at the revision last seen (compare-and-set), so
 * of two engines racing for one key exactly one wins, and an engine whose lease lapsed and was
 * taken learns it at its next refresh. No consensus of our own: the bucket's stream (Raft-
 * replicated in a NATS cluster) orders every write.
 */
import type { KV } from '@nats-io/kv';
import { decode, encode } from './subjects.ts';

/** What a lease entry holds. */
export interface LeaseValue {
  /** The engine holding it. */
  engine: string;
  /** Anything the holder adds (a region, an action's outcome). */
  [field: string]: unknown;
}

/** A lease this engine holds. */
interface Held {
  revision: number;
  value: LeaseValue;
  /** When the bucket last took a write of it (Date.now()). */
  writtenAt: number;
}

/** Whether `error` is the bucket's refusal of a create or update (the key exists, or moved on). */
function isConflict(error: unknown): boolean {
  return /wrong last sequence|key exists/i.test((error as Error)?.message ?? '');
}

/** One engine's leases in one bucket. */
export class Leases {
  readonly #held = new Map<string, Held>();

  /**
   * Leases of engine `engine` in `kv` (a bucket with a time to live).
   * @param kv the bucket
   * @param engine this engine's id
   */
  constructor(
    private readonly kv: KV,
    readonly engine: string,
  ) {}

  /** Keys held now. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /** Whether `key` is held. */
  holds(key: string): boolean {
    return this.#held.has(key);
  }

  /** Milliseconds since lease `key` was last written (created or refreshed); Infinity when not held. */
  age(key: string): number {
    const held = this.#held.get(key);
    return held ? Date.now() - held.writtenAt : Number.POSITIVE_INFINITY;
  }

  /**
   * Takes `key` if nobody holds it (create-if-absent); resolves to whether this engine holds it
   * now. A connection error rejects (the caller tries again later).
   */
  async claim(key: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    if (this.#held.has(key)) return true;
    const value: LeaseValue = { ...extra, engine: this.engine };
    const sentAt = Date.now();
    try {
      const revision = await this.kv.create(key, encode(value));
      this.#held.set(key, { revision, value, writtenAt: sentAt });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Replaces what held lease `key` says (compare-and-set); resolves to false if it was lost. */
  async amend(key: string, extra: Record<string, unknown>): Promise<boolean> {
    const held = this.#held.get(key);
    if (!held) return false;
    return this.#write(key, { ...held.value, ...extra, engine: this.engine });
  }

  /**
   * Refreshes every held lease (their time to live starts again); resolves to the keys lost: they
   * lapsed (and may have been taken by another engine). A connection error rejects, keeping every
   * lease as held (the bucket decides when it lapses).
   */
  async refresh(): Promise<string[]> {
    const held = [...this.#held];
    const kept = await Promise.all(held.map(([key, lease]) => this.#write(key, lease.value)));
    return held.flatMap(([key], i) => (kept[i] ? [] : [key]));
  }

  /**
   * Refreshes lease `key` now: resolves to true when it was still this engine's (the bucket took
   * the write at the revision last seen, so it never lapsed), false when it lapsed or is not held.
   */
  async confirm(key: string): Promise<boolean> {
    const held = this.#held.get(key);
    if (!held) return false;
    return (await this.#write(key, held.value)) && this.#held.has(key);
  }

  /** Gives `key` up (deletes it when still held by this engine, so another may take it at once). */
  async release(key: string): Promise<void> {
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    try {
      await this.kv.delete(key, { previousSeq: held.revision });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  /** Stops refreshing `key` without deleting it: it lapses after the time to live. */
  forget(key: string): void {
    this.#held.delete(key);
  }

  /** What every live entry under `prefix` holds, by key. */
  async list(prefix: string): Promise<Map<string, LeaseValue>> {
    const entries = new Map<string, LeaseValue>();
    const keys = await this.kv.keys(`${prefix}>`);
    for await (const key of keys) {
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT' && entry.value.length > 0)
        entries.set(key, decode<LeaseValue>(entry.value, key));
    }
    return entries;
  }

  /** What entry `key` holds now, if it is live. */
  async read(key: string): Promise<LeaseValue | undefined> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== 'PUT' || entry.value.length === 0) return undefined;
    return decode<LeaseValue>(entry.value, key);
  }

  /**
   * Writes `value` at the revision held. Resolves to false when the lease lapsed (its revision moved
   * on): the holder then treats it as lost and claims it afresh if it still wants it. A lease
   * released (or written) by another call meanwhile is left as it is.
   */
  async #write(key: string, value: LeaseValue): Promise<boolean> {
    const held = this.#held.get(key);
    if (!held) return true;
    const sentAt = Date.now();
    try {
      const revision = await this.kv.update(key, encode(value), held.revision);
      if (this.#held.get(key) === held) this.#held.set(key, { revision, value, writtenAt: sentAt });
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    if (this.#held.get(key) !== held) return true;
    this.#held.delete(key);
    return false;
  }
}
