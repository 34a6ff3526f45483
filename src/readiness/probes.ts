/**
 * Health and readiness probes over a running MAPE-K loop, in the Kubernetes sense: `health()`
 * (liveness) fails when the loop has stopped making progress; `readiness()` also fails until
 * the loop has ticked at all and while its knowledge-store writes are backed up or failing.
 * Progress is observed, not reported: each probe reads the loop's tick count and notes when it
 * last saw it change, so a stall is reported by the first probe more than `staleAfterMs` after
 * the probe that saw the last tick (at most one polling interval plus `staleAfterMs` late).
 */
import type { LoopStats } from '../loop/loop.ts';

/** What a probe reads from the loop (a MapeKLoop has it). */
export interface ProbedLoop {
  /** The loop's running statistics. */
  stats(): LoopStats;
}

/** Options of {@link LoopProbes}. */
export interface ProbeOptions {
  /** Liveness fails when the tick count has not changed for this long (ms). Default 5,000. */
  staleAfterMs?: number;
  /** Readiness fails when more store writes than this are queued. Default 1,000. */
  maxPendingWrites?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** One condition a probe evaluated. */
export interface ProbeCondition {
  /** Whether the condition holds. */
  ok: boolean;
  /** The figures it was judged on, for people. */
  detail: string;
}

/** A probe's answer: ok only when every condition is. */
export interface ProbeResult {
  /** Whether every condition holds. */
  ok: boolean;
  /** When it was evaluated, ms. */
  at: number;
  /** Each condition by name. */
  conditions: Record<string, ProbeCondition>;
}

/** Liveness and readiness of one loop; poll them (e.g. through serveProbes in probe-server.ts). */
export class LoopProbes {
  readonly #loop: ProbedLoop;
  readonly #staleAfterMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;
  #lastTicks: number;
  #lastProgress: number;
  #lastFailures: number;

  /** Probes of `loop`, taking its current statistics as the first progress seen. */
  constructor(loop: ProbedLoop, options: ProbeOptions = {}) {
    this.#loop = loop;
    this.#staleAfterMs = options.staleAfterMs ?? 5000;
    this.#maxPending = options.maxPendingWrites ?? 1000;
    this.#now = options.now ?? Date.now;
    const stats = loop.stats();
    this.#lastTicks = stats.ticks;
    this.#lastFailures = stats.storeFailures;
    this.#lastProgress = this.#now();
  }

  /** Liveness: the loop's tick count changed within `staleAfterMs`. */
  health(): ProbeResult {
    const { at, stats } = this.#observe();
    return result(at, { progressing: this.#progressing(at, stats) });
  }

  /** Readiness: alive, has ticked, store writes neither backed up nor newly failing. */
  readiness(): ProbeResult {
    const { at, stats } = this.#observe();
    const newFailures = stats.storeFailures - this.#lastFailures;
    this.#lastFailures = stats.storeFailures;
    return result(at, {
      progressing: this.#progressing(at, stats),
      started: { ok: stats.ticks > 0, detail: `${stats.ticks} ticks` },
      storeBacklog: {
        ok: stats.storePending <= this.#maxPending,
        detail: `${stats.storePending} writes pending (max ${this.#maxPending})`,
      },
      storeHealthy: {
        ok: newFailures === 0,
        detail: `${newFailures} store failures since the last readiness probe`,
      },
    });
  }

  #observe(): { at: number; stats: LoopStats } {
    const at = this.#now();
    const stats = this.#loop.stats();
    if (stats.ticks !== this.#lastTicks) {
      this.#lastTicks = stats.ticks;
      this.#lastProgress = at;
    }
    return { at, stats };
  }

  #progressing(at: number, stats: LoopStats): ProbeCondition {
    const idle = at - this.#lastProgress;
    return {
      ok: idle <= this.#staleAfterMs,
      detail: `tick ${stats.ticks}, last progress ${idle} ms ago (stale after ${this.#staleAfterMs} ms)`,
    };
  }
}

function result(at: number, conditions: Record<string, ProbeCondition>): ProbeResult {
  return { ok: Object.values(conditions).every((c) => c.ok), at, conditions };
}
