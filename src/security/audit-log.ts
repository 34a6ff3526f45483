/**
 * The audit log writer. Each appended entry is chained by hash and written to the store at once
 * (unsealed; appends made while a write is in flight go in the next write together), so it is
 * durable when `append()` resolves. Every `batchSize` entries, on the first append more than
 * `sealAfterMs` after the oldest unsealed one, or on `flush()`, the batch's Merkle root is signed
 * once with the node's current signing key and the entries are rewritten sealed with their
 * proofs: one ~5-10 ms ML-DSA-65 signature covers hundreds of entries while each entry keeps a
 * proof that lets it verify alone. A crash between seals leaves a chained, unsealed tail that
 * verification reports and the next writer seals on open, marking it with a
 * {@link RECOVERED_KIND} entry.
 */
import { ArgumentError } from '../errors.ts';
import { checkNumber, toBase64, toHex } from './bytes.ts';
import { SecurityError } from './errors.ts';
import {
  GENESIS_HASH,
  RECOVERED_KIND,
  SEAL_CONTEXT,
  checkEvent,
  entryHash,
  isSealedEntry,
  sealHash,
  sealMessage,
  type AuditEntry,
  type AuditEvent,
  type BatchSeal,
  type UnsealedEntry,
} from './audit-entry.ts';
import type { AuditStore } from './audit-store.ts';
import type { NodeKeys } from './keys.ts';
import { leafHash, merkleLevels, merkleProof } from './merkle.ts';
import { sign } from './pq.ts';

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** Entries per signed batch (default 256; 1 signs every entry on its own). */
  batchSize?: number;
  /**
   * Seal on the first append this many ms (of real, monotonic time) after the oldest unsealed
   * entry (default 1000), so a busy caller that never yields to timers still seals regularly.
   */
  sealAfterMs?: number;
  /** Clock in ms since the epoch for entry and seal times (default Date.now). */
  now?: () => number;
}

/** What append() returns: the entry's position and hash. */
export interface AuditReceipt {
  /** The entry's position in the log, from 0. */
  seq: number;
  /** The entry's hex SHA-256 hash, chained into the next entry. */
  hash: string;
}

/** The log's signed state after a seal: what `run` records and `audit verify --checkpoint` checks. */
export interface AuditCheckpoint {
  /** Format tag of a saved checkpoint. */
  format: 'x0tta6bl4-audit-checkpoint/1';
  /** Entries in the log (the running count the last seal signs). */
  entries: number;
  /** Hash of the last entry: the chain head the last seal signs. */
  head: string;
  /** Sealed batches. */
  batches: number;
}

type PendingEntry = UnsealedEntry & { hashBytes: Uint8Array };

/** Entries appended since the last write began, and the promise their appenders wait on. */
interface TailWrite {
  entries: UnsealedEntry[];
  /** Set when a seal takes these entries over before the write began. */
  sealed: boolean;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function tailWrite(): TailWrite {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Appenders await `done`; a failure is also kept as the log's failure, never unhandled.
  done.catch(() => {});
  return { entries: [], sealed: false, done, resolve, reject };
}

/** Appends signed, hash-chained, Merkle-batched entries to an {@link AuditStore}. */
export class AuditLog {
  /** Entries per signed batch (`AuditLogOptions.batchSize`). */
  readonly batchSize: number;
  /** Age of the oldest unsealed entry that seals on the next append (`AuditLogOptions.sealAfterMs`). */
  readonly sealAfterMs: number;
  /** Entries an interrupted writer left unsealed, sealed by {@link AuditLog.open}. */
  readonly recovered: number;
  readonly #store: AuditStore;
  readonly #keys: NodeKeys;
  readonly #now: () => number;
  #pending: PendingEntry[] = [];
  #pendingSince = 0;
  #tail: TailWrite | undefined;
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
    state: { seq: number; head: string; batch: number; prevSeal: string; tail: PendingEntry[] },
  ) {
    this.#store = store;
    this.#keys = keys;
    this.batchSize = options.batchSize;
    this.sealAfterMs = options.sealAfterMs;
    this.#now = options.now;
    this.#nextSeq = state.seq;
    this.#head = state.head;
    this.#batch = state.batch;
    this.#prevSeal = state.prevSeal;
    this.#pending = state.tail;
    this.recovered = state.tail.length;
  }

  /**
   * Opens a log on `store`, continuing after its last entry; signs with `keys`. An unsealed tail
   * left by an interrupted writer is checked (it must chain from the last seal; a SecurityError
   * otherwise, and nothing is written), sealed, and marked with a {@link RECOVERED_KIND} entry.
   */
  static async open(store: AuditStore, keys: NodeKeys, options: AuditLogOptions = {}): Promise<AuditLog> {
    if (!store || typeof store.appendEntries !== 'function' || typeof store.sealBatch !== 'function')
      throw new ArgumentError('store', 'expected an AuditStore');
    const batchSize = checkNumber(options.batchSize ?? 256, 'options.batchSize', 1, true);
    const sealAfterMs = checkNumber(options.sealAfterMs ?? 1000, 'options.sealAfterMs', 0);
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new ArgumentError('options.now', 'expected a function');
    const size = await store.size();
    const [lastSeal] = size.seals > 0 ? await store.seals(size.seals - 1, size.seals) : [];
    const sealedEnd = lastSeal ? lastSeal.firstSeq + lastSeal.count : 0;
    const head = lastSeal?.head ?? GENESIS_HASH;
    const tail = await readTail(store, sealedEnd, size.entries, head);
    const log = new AuditLog(
      store,
      keys,
      { batchSize, sealAfterMs, now },
      {
        seq: sealedEnd + tail.length,
        head: tail.length > 0 ? tail[tail.length - 1].hash : head,
        batch: size.seals,
        prevSeal: lastSeal ? sealHash(lastSeal) : GENESIS_HASH,
        tail,
      },
    );
    if (tail.length > 0) {
      const seal = await log.flush();
      await log.append({
        kind: RECOVERED_KIND,
        actor: 'audit-log',
        data: { first: sealedEnd, count: tail.length, batch: seal!.batch },
      });
    }
    return log;
  }

  /** Entries appended but not yet sealed. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * The log's state: entries, head and batches. After `flush()` it describes a fully sealed log;
   * save it (e.g. `run --checkpoint`) to detect a later truncation.
   */
  checkpoint(): AuditCheckpoint {
    return {
      format: 'x0tta6bl4-audit-checkpoint/1',
      entries: this.#nextSeq,
      head: this.#head,
      batches: this.#batch,
    };
  }

  /**
   * Appends an event; resolves once the entry is durable in the store (unsealed, or sealed when
   * the batch is full or `sealAfterMs` has passed since the oldest unsealed entry).
   */
  async append(event: AuditEvent): Promise<AuditReceipt> {
    if (this.#failure)
      throw new SecurityError('audit log is unusable after a failed write', { cause: this.#failure });
    checkEvent(event);
    const draft: UnsealedEntry = {
      v: 1,
      seq: this.#nextSeq,
      ts: this.#now(),
      kind: event.kind,
      actor: event.actor,
      data: event.data ?? null,
      prev: this.#head,
      hash: '',
    };
    const hashBytes = entryHash(draft);
    draft.hash = toHex(hashBytes);
    if (this.#pending.length === 0) this.#pendingSince = performance.now();
    this.#pending.push({ ...draft, hashBytes });
    this.#nextSeq += 1;
    this.#head = draft.hash;
    const sealNow =
      this.#pending.length >= this.batchSize || performance.now() - this.#pendingSince >= this.sealAfterMs;
    if (sealNow) await this.flush();
    else await this.#writeUnsealed(draft);
    return { seq: draft.seq, hash: draft.hash };
  }

  /** Seals and stores the pending entries (if any); resolves once they are persisted. */
  async flush(): Promise<BatchSeal | undefined> {
    const pending = this.#pending;
    if (pending.length === 0) {
      await this.#writes;
      if (this.#failure)
        throw new SecurityError('audit log is unusable after a failed write', { cause: this.#failure });
      return undefined;
    }
    this.#pending = [];
    // Entries whose unsealed write has not begun are written by the seal instead.
    const tail = this.#tail;
    this.#tail = undefined;
    if (tail) tail.sealed = true;
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
    const write = this.#enqueue(() => this.#store.sealBatch(entries, seal));
    if (tail) write.then(tail.resolve, tail.reject);
    await write;
    return seal;
  }

  /** Queues `entry` for the next unsealed write; resolves when a write (or seal) has stored it. */
  #writeUnsealed(entry: UnsealedEntry): Promise<void> {
    let tail = this.#tail;
    if (!tail) {
      const next = tailWrite();
      tail = this.#tail = next;
      this.#enqueue(async () => {
        if (this.#tail === next) this.#tail = undefined;
        if (!next.sealed) await this.#store.appendEntries(next.entries);
      }).then(() => {
        if (!next.sealed) next.resolve();
      }, next.reject);
    }
    tail.entries.push(entry);
    return tail.done;
  }

  /** Runs store writes one after another, so they reach the store in order; the first failure sticks. */
  #enqueue(write: () => Promise<void>): Promise<void> {
    const run = this.#writes.then(() => {
      if (this.#failure)
        throw new SecurityError('audit log is unusable after a failed write', { cause: this.#failure });
      return write();
    });
    this.#writes = run.catch((cause) => {
      this.#failure ??= cause;
    });
    return run;
  }
}

/**
 * Reads and checks the entries after the last seal: each must be an unsealed entry at its own
 * position, hashing to its `hash` and chaining from `head`; a SecurityError names the first that
 * does not, since sealing it would sign what nobody wrote.
 */
async function readTail(store: AuditStore, from: number, to: number, head: string): Promise<PendingEntry[]> {
  if (to <= from) return [];
  const stored = await store.entries(from, to);
  const tail: PendingEntry[] = [];
  let prev = head;
  for (let position = from; position < to; position++) {
    const e = stored[position - from];
    const refuse = (problem: string) =>
      new SecurityError(
        `audit entry at position ${position} after the last seal ${problem}: verify the store (x0tta6bl4 audit verify) before writing to it`,
      );
    if (!e) throw refuse('is missing');
    if (isSealedEntry(e)) throw refuse('claims a batch whose seal is not stored');
    if (e.seq !== position) throw refuse(`holds seq ${e.seq}`);
    if (e.prev !== prev) throw refuse('does not chain to the entry before it');
    const hashBytes = entryHash(e);
    if (toHex(hashBytes) !== e.hash) throw refuse('does not match its hash');
    const { v, seq, ts, kind, actor, data, hash } = e;
    tail.push({ v, seq, ts, kind, actor, data, prev, hash, hashBytes });
    prev = hash;
  }
  return tail;
}
