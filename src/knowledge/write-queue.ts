/**
 * Writes to the knowledge store without ever blocking or failing the loop: each write is queued
 * in order; when the store throws, the write stays queued, the fault is reported, and the queue
 * retries on the next flush. Nothing is dropped.
 */
import type { KnowledgeStore } from './store.ts';

/** One write to the store; a rejection leaves it queued for the next flush. */
export type StoreWrite = (store: KnowledgeStore) => Promise<void>;

/** What a `WriteQueue` has done so far. */
export interface WriteQueueStats {
  /** Writes the store accepted. */
  written: number;
  /** Writes waiting, including any that failed and will be retried. */
  pending: number;
  /** Store errors met (each failed attempt counts). */
  failures: number;
  /** The message of the last store error. */
  lastError?: string;
}

/** An ordered, retrying queue of store writes (see the file comment). */
export class WriteQueue {
  readonly #queue: StoreWrite[] = [];
  #flushing: Promise<void> | undefined;
  /** Running counts, updated as writes go through. */
  readonly stats: WriteQueueStats = { written: 0, pending: 0, failures: 0 };

  /**
   * An empty queue in front of `store`.
   * @param onFault called with each store error (the write itself stays queued).
   */
  constructor(
    private readonly store: KnowledgeStore,
    private readonly onFault: (error: unknown) => void = () => {},
  ) {}

  /** Queues a write and starts a flush in the background. */
  enqueue(write: StoreWrite): void {
    this.#queue.push(write);
    this.stats.pending = this.#queue.length;
    void this.flush();
  }

  /** Writes everything queued, in order; stops at the first failure and keeps the rest. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      try {
        await this.#queue[0](this.store);
      } catch (error) {
        this.stats.failures++;
        this.stats.lastError = (error as Error)?.message ?? String(error);
        this.onFault(error);
        return;
      }
      this.#queue.shift();
      this.stats.written++;
      this.stats.pending = this.#queue.length;
    }
  }
}
