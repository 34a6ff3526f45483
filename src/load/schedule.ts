/**
 * Load shapes: stages of arrival rate (open model) or concurrency (closed model), and the exact
 * intended start time of every open-model iteration. Intended times come from the integral of
 * the rate, never from "previous start + interval", so a late scheduler cannot drift the plan.
 */
import { ArgumentError } from '../errors.ts';

/** An open-model stage: `rate` ops/s for `durationMs`, ramping linearly from `fromRate` if set. */
export interface RateStage {
  /** Length of the stage, ms. */
  readonly durationMs: number;
  /** Arrival rate at the stage's end (throughout, without `fromRate`), ops/s. */
  readonly rate: number;
  /** Arrival rate at the stage's start, ops/s, for a linear ramp. */
  readonly fromRate?: number;
}

/** A closed-model stage: `concurrency` loops, each starting its next call when the last ends. */
export interface ConcurrencyStage {
  /** Length of the stage, ms. */
  readonly durationMs: number;
  /** Loops running through the stage. */
  readonly concurrency: number;
}

function requireFinite(argument: string, value: unknown, min: number, integer = false): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ArgumentError(
      argument,
      `must be a finite ${integer ? 'integer' : 'number'} >= ${min}, got ${String(value)}`,
    );
  }
}

/** Throws ArgumentError naming the bad field unless every rate stage is well formed. */
export function validateRateStages(stages: readonly RateStage[], argument = 'stages'): void {
  if (!Array.isArray(stages) || stages.length === 0)
    throw new ArgumentError(argument, 'needs at least one stage');
  stages.forEach((stage, i) => {
    requireFinite(`${argument}[${i}].durationMs`, stage.durationMs, 1);
    requireFinite(`${argument}[${i}].rate`, stage.rate, 0);
    if (stage.fromRate !== undefined) requireFinite(`${argument}[${i}].fromRate`, stage.fromRate, 0);
  });
}

/** Throws ArgumentError naming the bad field unless every concurrency stage is well formed. */
export function validateConcurrencyStages(stages: readonly ConcurrencyStage[], argument = 'stages'): void {
  if (!Array.isArray(stages) || stages.length === 0)
    throw new ArgumentError(argument, 'needs at least one stage');
  stages.forEach((stage, i) => {
    requireFinite(`${argument}[${i}].durationMs`, stage.durationMs, 1);
    requireFinite(`${argument}[${i}].concurrency`, stage.concurrency, 1, true);
  });
}

/** Sum of stage durations in milliseconds. */
export function totalDurationMs(stages: readonly { durationMs: number }[]): number {
  return stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/**
 * Time (ms from stage start) at which `k` arrivals have been due in a stage whose rate moves
 * linearly from `r0` to `r1` ops/s over `durationMs`: the root of r0*t + (r1-r0)*t^2/(2D) = k,
 * written in the form that stays exact when r1 == r0.
 */
function arrivalTime(k: number, r0: number, r1: number, durationMs: number): number {
  if (k === 0) return 0;
  const a = r0 / 1000;
  const c = (r1 - r0) / 1000 / (2 * durationMs);
  const disc = a * a + 4 * c * k;
  if (disc < 0) return Infinity;
  const denominator = a + Math.sqrt(disc);
  return denominator > 0 ? (2 * k) / denominator : Infinity;
}

/** Number of arrivals a rate stage schedules: every k with arrivalTime(k) < durationMs. */
export function stageArrivals(stage: RateStage): number {
  const r0 = stage.fromRate ?? stage.rate;
  const due = ((r0 + stage.rate) / 2) * (stage.durationMs / 1000);
  let count = Math.max(0, Math.ceil(due - 1e-9));
  // Floating point can put the last root a hair either side of the stage end; settle it exactly.
  while (count > 0 && arrivalTime(count - 1, r0, stage.rate, stage.durationMs) >= stage.durationMs) count--;
  return count;
}

/** One planned iteration of an open-model run. */
export interface Arrival {
  /** Global 0-based iteration number. */
  iteration: number;
  stage: number;
  /** Intended start, ms from the start of the run. */
  intendedMs: number;
}

/** Walks the intended start times of a rate-stage plan in order; reuses one Arrival object. */
export class ArrivalPlan {
  private stage = 0;
  private k = 0;
  private stageStartMs = 0;
  private stageCount: number;
  private iteration = 0;
  private stopped = false;
  private readonly current: Arrival = { iteration: 0, stage: 0, intendedMs: 0 };

  constructor(private readonly stages: readonly RateStage[]) {
    validateRateStages(stages);
    this.stageCount = stageArrivals(stages[0]);
  }

  /** Total iterations the whole plan schedules. */
  static countArrivals(stages: readonly RateStage[]): number {
    return stages.reduce((sum, stage) => sum + stageArrivals(stage), 0);
  }

  /** The next arrival (the same object, updated), or undefined when the plan is exhausted. */
  next(): Arrival | undefined {
    if (this.stopped) return undefined;
    while (this.k >= this.stageCount) {
      this.stageStartMs += this.stages[this.stage].durationMs;
      this.stage++;
      if (this.stage >= this.stages.length) {
        this.stopped = true;
        return undefined;
      }
      this.k = 0;
      this.stageCount = stageArrivals(this.stages[this.stage]);
    }
    const s = this.stages[this.stage];
    this.current.iteration = this.iteration++;
    this.current.stage = this.stage;
    this.current.intendedMs =
      this.stageStartMs + arrivalTime(this.k++, s.fromRate ?? s.rate, s.rate, s.durationMs);
    return this.current;
  }

  /** Stops the plan early: later calls to next() return undefined. */
  stop(): void {
    this.stopped = true;
  }
}
