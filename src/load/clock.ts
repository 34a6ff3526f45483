/**
 * Time and yielding for the load scheduler. setTimeout is ~1 ms coarse (and clamped), so the
 * scheduler sleeps with it only for long gaps and otherwise yields with a macrotask that is not
 * clamped: setImmediate on Node, Deno and Bun, a MessageChannel in browsers. The open model reads
 * time through a Clock, so a test can drive it with a virtual one.
 */

/** Monotonic milliseconds with sub-millisecond resolution. */
export const now: () => number = () => performance.now();

const immediate: ((callback: () => void) => void) | undefined = (
  globalThis as { setImmediate?: (callback: () => void) => void }
).setImmediate;

function channelYield(): (callback: () => void) => void {
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return (callback) => {
    waiting.push(callback);
    channel.port2.postMessage(0);
  };
}

const macrotask = immediate ?? channelYield();

/** Lets timers, I/O and other tasks run, then resumes as soon as possible. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}

/** Coarse sleeps wake up to ~1 ms late: stop this early and finish by yielding. */
const TIMER_SLACK_MS = 1.5;

/**
 * Waits until `deadline` (a `now()` value) or a little before it; always yields at least once.
 * Callers re-check the clock, so waking early is harmless and waking late is measured.
 */
export function waitUntil(deadline: number): Promise<void> {
  const remaining = deadline - now();
  if (remaining > TIMER_SLACK_MS * 2) {
    return new Promise((resolve) => setTimeout(resolve, remaining - TIMER_SLACK_MS));
  }
  return yieldToEventLoop();
}

/**
 * Resolves when `promise` settles or `ms` elapse, whichever is first, and clears its timer
 * either way so a finished run leaves no timer keeping the process alive.
 */
export async function raceTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` milliseconds (timer resolution, ~1 ms). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * What the open-model scheduler needs from time; `systemClock` is the real one. A virtual clock
 * (for exact tests) must reach at least `deadline` in waitUntil, and should start at 0 so that
 * run-relative times (now - origin) are exact in floating point.
 */
export interface Clock {
  /** The current time in ms, monotonic. */
  now(): number;
  /** Waits until `deadline` or a little before; yields at least once. */
  waitUntil(deadline: number): Promise<void>;
  /** Resolves when `promise` settles or `ms` pass, whichever is first. */
  waitFor(promise: Promise<void>, ms: number): Promise<void>;
}

/** Wall-clock time with the precise waits above. */
export const systemClock: Clock = { now, waitUntil, waitFor: raceTimeout };
