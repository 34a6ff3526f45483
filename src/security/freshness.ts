/**
 * Replay and freshness checks shared by sessions, handshakes and one-shot messages: a sliding
 * sequence window (RFC 6479 style bitmap), a bounded cache of seen message ids, and the
 * timestamp acceptance window.
 */
import { FutureTimestampError, ReplayError, StaleTimestampError } from './errors.ts';

/** Sliding window over sequence numbers: accepts each number once, and none too far behind. */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint32Array;
  #highest = -1;

  /** `size` is rounded up to a multiple of 32. */
  constructor(size = 1024) {
    this.size = Math.max(32, Math.ceil(size / 32) * 32);
    this.#bits = new Uint32Array(this.size / 32);
  }

  /** Throws ReplayError if `seq` was already marked or lies behind the window. */
  check(seq: number): void {
    if (seq > this.#highest) return;
    if (seq <= this.#highest - this.size)
      throw new ReplayError(`sequence ${seq} is behind the replay window (highest ${this.#highest})`);
    const slot = seq % this.size;
    if (this.#bits[slot >>> 5] & (1 << (slot & 31)))
      throw new ReplayError(`sequence ${seq} was already accepted`);
  }

  /** Marks `seq` as accepted (call after check() and authentication). */
  mark(seq: number): void {
    if (seq > this.#highest) {
      // Slots between the old and new highest now stand for new, unseen numbers.
      const from = Math.max(this.#highest + 1, seq - this.size + 1);
      for (let s = from; s <= seq; s++) {
        const slot = s % this.size;
        this.#bits[slot >>> 5] &= ~(1 << (slot & 31));
      }
      this.#highest = seq;
    }
    const slot = seq % this.size;
    this.#bits[slot >>> 5] |= 1 << (slot & 31);
  }
}

/** Remembers message ids until they are older than the freshness window. */
export class SeenIds {
  readonly #seen = new Map<string, number>();

  /** Throws ReplayError if `id` was already recorded. */
  check(id: string): void {
    if (this.#seen.has(id)) throw new ReplayError(`message ${id} was already accepted`);
  }

  /** Records `id` (seen at time `ts`) and forgets ids older than `oldest`. */
  mark(id: string, ts: number, oldest: number): void {
    for (const [key, at] of this.#seen) {
      if (at >= oldest) break; // insertion order is roughly time order
      this.#seen.delete(key);
    }
    this.#seen.set(id, ts);
  }
}

/** Throws StaleTimestampError or FutureTimestampError unless now - maxAgeMs <= ts <= now + maxFutureMs. */
export function checkTimestamp(ts: number, now: number, maxAgeMs: number, maxFutureMs: number): void {
  if (ts < now - maxAgeMs)
    throw new StaleTimestampError(`timestamp ${ts} is ${now - ts} ms old (limit ${maxAgeMs} ms)`);
  if (ts > now + maxFutureMs)
    throw new FutureTimestampError(`timestamp ${ts} is ${ts - now} ms ahead (limit ${maxFutureMs} ms)`);
}
