/**
 * The audit log writer. Entries are chained by hash as they are appended; every `batchSize`
 * entries (or on `flush()`) the batch's Merkle root is signed once with the node's current
 * signing key and the batch is persisted with its seal, so one ~5-10 ms ML-DSA-65 signature
 * covers hundreds of entries while each entry keeps a proof that lets it verify alone.
 * Entries become durable when their batch is sealed.
 */
import { ArgumentError } from '../errors.ts';
import { checkNumber, toBase64, toHex } from './bytes.ts';
import { SecurityError } from './errors.ts';
import {
  GENESIS_HASH,
  SEAL_CONTEXT,
  checkEvent,
  entryHash,
  sealHash,
  sealMessage,
  type AuditEntry,
  type AuditEvent,
  type BatchSeal,
} from './audit-entry.ts';
import type { AuditStore } from './audit-store.ts';
import type { NodeKeys } from './keys.ts';
import { leafHash, merkleLevels, merkleProof } from './merkle.ts';
import { sign } from './pq.ts';

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** Entries per signed batch (default 256; 1 signs every entry on its own). */
  batchSize?: number;
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
}

/** What append() returns: the entry's position and hash. */
export interface AuditReceipt {
  seq: number;
  hash: string;
}

type PendingEntry = Omit<AuditEntry, 'batch' | 'index' | 'proof'> & { hashBytes: Uint8Array };

/** Appends signed, hash-chained, Merkle-batched entries to an {@link AuditStore}. */
export class AuditLog {
  readonly batchSize: number;
  readonly #store: AuditStore;
  readonly #keys: NodeKeys;
  readonly #now: () => number;
  #pending: PendingEntry[] = [];
  #nextSeq: number;
  #head: string;
  #batch: number;
  #prevSeal: string;
  #writes: Promise<unknown> = Promise.resolve();
  #failure: unknown;

  private constructor(
    store: AuditStore,
    keys: NodeKeys,
    options: Required<AuditLogOptions>,
    tail: { seq: number; head: string; batch: number; prevSeal: string },
  ) {
    this.#store = store;
    this.#keys = keys;
    this.batchSize = options.batchSize;
    this.#now = options.now;
    this.#nextSeq = tail.seq;
    this.#head = tail.head;
    this.#batch = tail.batch;
    this.#prevSeal = tail.prevSeal;
  }

  /** Opens a log on `store`, continuing after its last sealed batch; signs with `keys`. */
  static async open(store: AuditStore, keys: NodeKeys, options: AuditLogOptions = {}): Promise<AuditLog> {
    if (!store || typeof store.appendBatch !== 'function')
      throw new ArgumentError('store', 'expected an AuditStore');
    const batchSize = checkNumber(options.batchSize ?? 256, 'options.batchSize', 1, true);
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new ArgumentError('options.now', 'expected a function');
    const size = await store.size();
    const [lastEntry] = size.entries > 0 ? await store.entries(size.entries - 1, size.entries) : [];
    const [lastSeal] = size.seals > 0 ? await store.seals(size.seals - 1, size.seals) : [];
    return new AuditLog(
      store,
      keys,
      { batchSize, now },
      {
        seq: size.entries,
        head: lastEntry?.hash ?? GENESIS_HASH,
        batch: size.seals,
        prevSeal: lastSeal ? sealHash(lastSeal) : GENESIS_HASH,
      },
    );
  }

  /** Entries appended but not yet sealed and stored. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Appends an event; seals and stores the batch when it reaches `batchSize`. */
  async append(event: AuditEvent): Promise<AuditReceipt> {
    if (this.#failure)
      throw new SecurityError('audit log is unusable after a failed write', { cause: this.#failure });
    checkEvent(event);
    const draft = {
      v: 1 as const,
      seq: this.#nextSeq,
      ts: this.#now(),
      kind: event.kind,
      actor: event.actor,
      data: event.data ?? null,
      prev: this.#head,
    };
    const hashBytes = entryHash(draft);
    const hash = toHex(hashBytes);
    this.#pending.push({ ...draft, hash, hashBytes });
    this.#nextSeq += 1;
    this.#head = hash;
    if (this.#pending.length >= this.batchSize) await this.flush();
    return { seq: draft.seq, hash };
  }

  /** Seals and stores the pending entries (if any); resolves once they are persisted. */
  async flush(): Promise<BatchSeal | undefined> {
    const pending = this.#pending;
    if (pending.length === 0) {
      await this.#writes;
      return undefined;
    }
    this.#pending = [];
    const levels = merkleLevels(pending.map((e) => leafHash(e.hashBytes)));
    const batch = this.#batch++;
    const entries: AuditEntry[] = pending.map(({ hashBytes: _h, ...e }, index) => ({
      ...e,
      batch,
      index,
      proof: merkleProof(levels, index).map(toHex),
    }));
    const ts = this.#now();
    const key = this.#keys.signingKey(ts);
    const unsigned = {
      v: 1 as const,
      batch,
      firstSeq: entries[0].seq,
      count: entries.length,
      root: toHex(levels[levels.length - 1][0]),
      head: entries[entries.length - 1].hash,
      prevSeal: this.#prevSeal,
      ts,
      keyId: key.id,
      algorithm: key.algorithm as BatchSeal['algorithm'],
    };
    const seal: BatchSeal = {
      ...unsigned,
      signature: toBase64(sign(unsigned.algorithm, key.secretKey, sealMessage(unsigned), SEAL_CONTEXT)),
    };
    this.#prevSeal = sealHash(seal);
    // Writes are chained so batches reach the store in order even if flushes overlap.
    const write = this.#writes.then(() => this.#store.appendBatch(entries, seal));
    this.#writes = write.catch((cause) => {
      this.#failure = cause;
    });
    await write;
    return seal;
  }
}
