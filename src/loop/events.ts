/**
 * The loop's typed events, delivered both as DOM-style events on an EventTarget (for UIs) and
 * as an async iterator (for CLIs and tests). Every event carries the tick it happened at.
 */
import type { Rejection } from '../monitor/ingest.ts';
import type { IncidentRecord, ActionRecord } from '../knowledge/records.ts';
import type { Plan } from '../plan/decision.ts';

export type LoopEvent =
  | { type: 'sample-rejected'; ts: number; rejection: Rejection }
  | { type: 'anomaly'; ts: number; node: string; score: number; metrics: string[] }
  | { type: 'incident-opened'; ts: number; incident: IncidentRecord }
  | { type: 'diagnosis'; ts: number; incident: IncidentRecord }
  | { type: 'plan'; ts: number; plan: Plan }
  | { type: 'action-started'; ts: number; action: ActionRecord }
  | { type: 'action-result'; ts: number; action: ActionRecord }
  | { type: 'incident-resolved'; ts: number; incident: IncidentRecord }
  | { type: 'escalation'; ts: number; incident: IncidentRecord; reason: string }
  | { type: 'store-fault'; ts: number; error: string };

export type LoopEventType = LoopEvent['type'];

/** A DOM event wrapping one loop event (`event.detail`). */
export class LoopEventMessage extends Event {
  constructor(readonly detail: LoopEvent) {
    super(detail.type);
  }
}

/**
 * Fan-out of loop events: `dispatchEvent` listeners, plus any number of async iterators, each
 * with its own unbounded queue (a slow reader never makes the loop drop or wait).
 */
export class LoopEvents extends EventTarget {
  readonly #readers = new Set<{ queue: LoopEvent[]; wake?: () => void }>();
  #closed = false;

  /** Delivers an event to listeners and iterators. */
  emit(event: LoopEvent): void {
    this.dispatchEvent(new LoopEventMessage(event));
    for (const reader of this.#readers) {
      reader.queue.push(event);
      reader.wake?.();
    }
  }

  /** Ends every iterator after it has drained its queue. */
  close(): void {
    this.#closed = true;
    for (const reader of this.#readers) reader.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LoopEvent> {
    const reader: { queue: LoopEvent[]; wake?: () => void } = { queue: [] };
    this.#readers.add(reader);
    try {
      while (true) {
        while (reader.queue.length > 0) yield reader.queue.shift()!;
        if (this.#closed) return;
        await new Promise<void>((resolve) => (reader.wake = resolve));
        reader.wake = undefined;
      }
    } finally {
      this.#readers.delete(reader);
    }
  }
}
