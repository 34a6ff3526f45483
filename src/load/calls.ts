/**
 * Starts calls on a target and enforces the per-call timeout without one timer per call:
 * deadlines are start + timeout and starts are monotonic, so pending calls form a FIFO ordered
 * by deadline and `expire(now)` only ever looks at its head. A call that never settles is
 * abandoned at its deadline (its signal aborted, its slot freed, counted as kind 'timeout').
 */
import type { Clock } from './clock.ts';
import type { LoadRecorder } from './recorder.ts';
import { errorKind, IterationContext, type LoadTarget } from './target.ts';

interface PendingCall {
  readonly stage: number;
  readonly intendedMs: number;
  readonly startMs: number;
  readonly deadlineMs: number;
  readonly context: IterationContext;
  readonly onSettled: (() => void) | undefined;
  settled: boolean;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  (typeof value === 'object' || typeof value === 'function') &&
  typeof (value as { then?: unknown }).then === 'function';

/** Runs calls against one target and files every outcome with a recorder. */
export class CallTracker {
  /** Calls started and neither settled nor timed out. */
  inFlight = 0;
  private queue: PendingCall[] = [];
  private head = 0;
  private idleWaiters: Array<() => void> = [];

  /**
   * @param origin `clock.now()` value that run-relative times are measured from.
   */
  constructor(
    private readonly target: LoadTarget,
    private readonly recorder: LoadRecorder,
    private readonly timeoutMs: number,
    private readonly batchSize: number,
    private readonly clock: Clock,
    private readonly origin: number,
  ) {}

  /**
   * Calls the target once. `onSettled` runs when the call completes, fails or times out
   * (synchronously for a sync target).
   */
  start(iteration: number, stage: number, intendedMs: number, onSettled?: () => void): void {
    const context = new IterationContext(iteration, this.batchSize);
    const startMs = this.clock.now() - this.origin;
    this.recorder.started(stage, startMs);
    let result: unknown;
    try {
      result = this.target(context);
    } catch (error) {
      this.finishSync(stage, intendedMs, startMs, errorKind(error));
      onSettled?.();
      return;
    }
    if (!isThenable(result)) {
      this.finishSync(stage, intendedMs, startMs, undefined);
      onSettled?.();
      return;
    }
    const call: PendingCall = {
      stage,
      intendedMs,
      startMs,
      deadlineMs: startMs + this.timeoutMs,
      context,
      onSettled,
      settled: false,
    };
    this.inFlight++;
    this.queue.push(call);
    result.then(
      () => this.settle(call, undefined),
      (error: unknown) => this.settle(call, errorKind(error)),
    );
  }

  /** A sync call blocked the thread for its whole duration: past the timeout it is a timeout. */
  private finishSync(stage: number, intendedMs: number, startMs: number, kind: string | undefined): void {
    const endMs = this.clock.now() - this.origin;
    if (endMs - startMs > this.timeoutMs) this.recorder.timedOut(stage, endMs);
    else this.recorder.completed(stage, intendedMs, startMs, endMs, kind);
  }

  private settle(call: PendingCall, kind: string | undefined): void {
    if (call.settled) return;
    call.settled = true;
    this.inFlight--;
    this.recorder.completed(call.stage, call.intendedMs, call.startMs, this.clock.now() - this.origin, kind);
    call.onSettled?.();
    this.wakeIfIdle();
  }

  private wakeIfIdle(): void {
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no call is in flight (immediately if none is). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Times out every pending call whose deadline has passed at run time `atMs`. */
  expire(atMs: number): void {
    const queue = this.queue;
    while (this.head < queue.length) {
      const call = queue[this.head];
      if (!call.settled) {
        if (call.deadlineMs > atMs) break;
        call.settled = true;
        this.inFlight--;
        this.recorder.timedOut(call.stage, atMs);
        call.context.abort(`no answer within ${this.timeoutMs} ms`);
        call.onSettled?.();
      }
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    this.wakeIfIdle();
  }

  /** Run time at which the oldest pending call times out, or undefined if none is pending. */
  nextDeadlineMs(): number | undefined {
    for (let i = this.head; i < this.queue.length; i++) {
      if (!this.queue[i].settled) return this.queue[i].deadlineMs;
    }
    return undefined;
  }
}
