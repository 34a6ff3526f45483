/**
 * The loop's typed events, delivered both as DOM-style events on an EventTarget (for UIs; `on`
 * gives listeners the event type narrowed by name) and as async iterators (for CLIs and tests).
 * Every event carries the tick it happened at.
 *
 * The loop never waits for a reader: each iterator holds at most `capacity` events in a ring
 * (O(1) per event), and a reader that falls further behind loses the oldest ones, which are
 * counted (`dropped`) rather than costing the loop time or memory. `close()` ends every iterator
 * once it has read what it holds.
 */
import { ArgumentError } from '../errors.ts';
import type { ExecutionResult } from '../execute/executor.ts';
import type { ActionRecord, IncidentRecord } from '../knowledge/records.ts';
import type { Rejection } from '../monitor/ingest.ts';
import type { Plan } from '../plan/decision.ts';
import { LOOP_DEFAULTS } from './options.ts';

/** One thing the loop saw or did, tagged by `type`, with the tick it happened at. */
export type LoopEvent =
  | { type: 'sample-rejected'; ts: number; rejection: Rejection }
  | { type: 'anomaly'; ts: number; node: string; score: number; metrics: string[] }
  | { type: 'incident-opened'; ts: number; incident: IncidentRecord }
  | { type: 'diagnosis'; ts: number; incident: IncidentRecord }
  | { type: 'plan'; ts: number; plan: Plan }
  | { type: 'action-started'; ts: number; action: ActionRecord }
  | { type: 'action-result'; ts: number; action: ActionRecord }
  /** The executor's answer to undoing an action that did not heal (`action.outcome` 'rolled-back' when it did). */
  | { type: 'rollback'; ts: number; action: ActionRecord; result: ExecutionResult }
  | { type: 'incident-resolved'; ts: number; incident: IncidentRecord }
  | { type: 'escalation'; ts: number; incident: IncidentRecord; reason: string }
  | { type: 'store-fault'; ts: number; error: string };

/** The name of a loop event's type, e.g. `'escalation'`. */
export type LoopEventType = LoopEvent['type'];

/** The event of a given type, e.g. `LoopEventOf<'escalation'>` has `incident` and `reason`. */
export type LoopEventOf<K extends LoopEventType> = Extract<LoopEvent, { type: K }>;

/** A DOM event wrapping one loop event (`event.detail`). */
export class LoopEventMessage extends Event {
  /** Wraps `detail` as a DOM event named after its type. */
  constructor(readonly detail: LoopEvent) {
    super(detail.type);
  }
}

/** Options of {@link LoopEvents}. */
export interface LoopEventsOptions {
  /** Events each iterator holds for a reader that lags before it drops the oldest (default 10,000). */
  capacity?: number;
}

/**
 * One reader's events: an async iterator over a ring of at most `capacity` events that drops
 * the oldest when full. The ring grows as needed up to its capacity.
 */
export class EventStream implements AsyncIterableIterator<LoopEvent> {
  /** Events this reader lost because it lagged. */
  dropped = 0;
  #ring: Array<LoopEvent | undefined>;
  /** Index of the oldest queued event, and how many are queued. */
  #head = 0;
  #size = 0;
  /** Readers' `next()` calls waiting for an event (only while nothing is queued). */
  readonly #waiting: Array<(result: IteratorResult<LoopEvent>) => void> = [];
  #ended = false;

  /**
   * An empty stream.
   * @param capacity events held before the oldest is dropped
   * @param detach called when the reader stops reading, to unsubscribe the stream
   */
  constructor(
    private readonly capacity: number,
    private readonly detach: (stream: EventStream) => void,
  ) {
    this.#ring = new Array(Math.min(16, capacity));
  }

  /** Hands `event` to a waiting reader or queues it; returns whether the oldest queued one was dropped for it. */
  push(event: LoopEvent): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter({ value: event, done: false });
      return false;
    }
    if (this.#size === this.#ring.length && this.#size < this.capacity) this.#grow();
    if (this.#size === this.#ring.length) {
      this.#ring[this.#head] = event;
      this.#head = (this.#head + 1) % this.#ring.length;
      this.dropped++;
      return true;
    }
    this.#ring[(this.#head + this.#size) % this.#ring.length] = event;
    this.#size++;
    return false;
  }

  /** The oldest queued event; once ended and empty, done. */
  next(): Promise<IteratorResult<LoopEvent>> {
    if (this.#size > 0) {
      const value = this.#ring[this.#head]!;
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#ring.length;
      this.#size--;
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Takes no more events: the reader gets what is queued, then done. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiting.splice(0)) waiter({ value: undefined, done: true });
  }

  /** The reader stops (a `break` out of `for await`): what is queued is discarded. */
  return(): Promise<IteratorResult<LoopEvent>> {
    this.end();
    this.#ring = [];
    this.#size = 0;
    this.#head = 0;
    this.detach(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The stream itself: read it with `for await`. */
  [Symbol.asyncIterator](): EventStream {
    return this;
  }

  #grow(): void {
    const ring = new Array<LoopEvent | undefined>(Math.min(this.capacity, this.#ring.length * 2));
    for (let i = 0; i < this.#size; i++) ring[i] = this.#ring[(this.#head + i) % this.#ring.length];
    this.#ring = ring;
    this.#head = 0;
  }
}

/**
 * Fan-out of loop events: `dispatchEvent` listeners (typed through `on`), plus any number of
 * async iterators, each with its own bounded queue (see EventStream).
 */
export class LoopEvents extends EventTarget {
  readonly #capacity: number;
  readonly #streams = new Set<EventStream>();
  #closed = false;
  #dropped = 0;

  /**
   * Events with no listener or reader yet; throws an `ArgumentError` for a capacity that is not an integer >=
   * 1.
   */
  constructor(options: LoopEventsOptions = {}) {
    super();
    const capacity = options.capacity ?? LOOP_DEFAULTS.eventCapacity;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ArgumentError('capacity', `expected an integer >= 1, got ${String(capacity)}`);
    this.#capacity = capacity;
  }

  /** Events dropped so far from iterators whose readers lagged, all iterators together. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Delivers an event to listeners and iterators. */
  emit(event: LoopEvent): void {
    this.dispatchEvent(new LoopEventMessage(event));
    for (const stream of this.#streams) if (stream.push(event)) this.#dropped++;
  }

  /** Calls `listener` with each event of `type` (narrowed to that type); returns a function that unsubscribes. */
  on<K extends LoopEventType>(type: K, listener: (event: LoopEventOf<K>) => void): () => void {
    const handler = (message: Event) => listener((message as LoopEventMessage).detail as LoopEventOf<K>);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  /** Ends every iterator after it has read what it holds; iterators asked for later end at once. Listeners keep receiving. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  /** An iterator over the events from now on (see EventStream). */
  [Symbol.asyncIterator](): EventStream {
    const stream = new EventStream(this.#capacity, (s) => this.#streams.delete(s));
    if (this.#closed) stream.end();
    else this.#streams.add(stream);
    return stream;
  }
}
