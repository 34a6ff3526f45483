// The loop's event stream under load: an iterator's queue is bounded, O(1) per event, and when a
// reader lags the oldest events are dropped and counted (issue 18, finding 6: a queue drained
// with Array.shift stalled the process for 15 s after one bad batch of 200k samples).
import { describe, expect, it } from 'vitest';
import { type LoopEvent, LoopEvents } from '../../src/loop/events.ts';

const fault = (ts: number): LoopEvent => ({ type: 'store-fault', ts, error: 'x' });

/** Reads an iterator to its end. */
async function drain(reader: AsyncIterator<LoopEvent>): Promise<number[]> {
  const seen: number[] = [];
  for (let r = await reader.next(); !r.done; r = await reader.next()) seen.push(r.value.ts);
  return seen;
}

describe('LoopEvents iterators', () => {
  it('keep the newest `capacity` of 1M events for a reader that lags, in order, and count the rest as dropped', async () => {
    const total = 1_000_000;
    const capacity = 1000;
    const events = new LoopEvents({ capacity });
    const lagging = events[Symbol.asyncIterator]();
    const other = events[Symbol.asyncIterator]();
    for (let ts = 0; ts < total; ts++) events.emit(fault(ts));
    events.close();
    const seen = await drain(lagging);
    expect(seen).toEqual(Array.from({ length: capacity }, (_, i) => total - capacity + i));
    expect(lagging.dropped).toBe(total - capacity);
    // Each reader has its own queue; the total counts both.
    expect((await drain(other)).length).toBe(capacity);
    expect(events.dropped).toBe(2 * (total - capacity));
  });

  it('lose nothing for a reader that keeps up, and end after the last event once closed', async () => {
    const total = 100_000;
    const events = new LoopEvents({ capacity: 2000 });
    const reading = drain(events[Symbol.asyncIterator]());
    for (let ts = 0; ts < total; ts++) {
      events.emit(fault(ts));
      if (ts % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    events.close();
    const seen = await reading;
    expect(seen.length).toBe(total);
    expect(seen.every((ts, i) => ts === i)).toBe(true);
    expect(events.dropped).toBe(0);
  });

  it('end at once for a reader that comes after close, and stop counting for one that returned', async () => {
    const events = new LoopEvents({ capacity: 4 });
    const early = events[Symbol.asyncIterator]();
    await early.return?.();
    for (let ts = 0; ts < 10; ts++) events.emit(fault(ts));
    expect(events.dropped).toBe(0);
    events.close();
    expect(await events[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
  });

  it('refuse a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN])
      expect(() => new LoopEvents({ capacity })).toThrow(/capacity/);
  });
});
