/**
 * StressTester: an open-model ramp in equal-length steps (additive or multiplicative) that
 * stops after the first step breaking a threshold, and reports the highest stable rate and
 * the knee of the p99-versus-rate curve (in `result.stress`).
 */
import { ArgumentError } from '../errors.ts';
import type { RunHooks } from './progress.ts';
import { type LoadResult, runScenario } from './run.ts';
import type { OpenScenario } from './scenario.ts';
import type { LoadTarget } from './target.ts';

/** How to ramp. Give exactly one of `step` (ops/s added) or `factor` (rate multiplied). */
export interface StressOptions {
  /** The scenario's name (default `stress <startRate>-><maxRate> ops/s`). */
  name?: string;
  /** Rate of the first step, ops/s. */
  startRate: number;
  /** Highest rate tried, ops/s. */
  maxRate: number;
  /** Ops/s added per step. */
  step?: number;
  /** Rate multiplier per step. */
  factor?: number;
  /** Length of each step, ms. */
  stepDurationMs: number;
  /** What "stable" means; at least one is required. */
  thresholds: readonly string[];
  /** Call timeout (default 10 s). */
  timeoutMs?: number;
  /** Cap on calls in flight (default 10,000). */
  maxInFlight?: number;
  /** Units of work per call (default 1). */
  batchSize?: number;
}

const MAX_STEPS = 100;

/** The stop-on-break open scenario a ramp runs; throws ArgumentError naming a bad option. */
export function rampScenario(options: StressOptions): OpenScenario {
  const { startRate, maxRate, step, factor, stepDurationMs, thresholds } = options;
  if (!(startRate > 0 && Number.isFinite(startRate)))
    throw new ArgumentError('startRate', 'must be a positive number');
  if (!(maxRate >= startRate && Number.isFinite(maxRate)))
    throw new ArgumentError('maxRate', 'must be a number >= startRate');
  if ((step === undefined) === (factor === undefined))
    throw new ArgumentError('step', 'give exactly one of step or factor');
  if (step !== undefined && !(step > 0 && Number.isFinite(step)))
    throw new ArgumentError('step', 'must be a positive number');
  if (factor !== undefined && !(factor > 1 && Number.isFinite(factor)))
    throw new ArgumentError('factor', 'must be a number > 1');
  if (!Array.isArray(thresholds) || thresholds.length === 0)
    throw new ArgumentError('thresholds', 'a ramp needs at least one threshold to break');
  const rates: number[] = [];
  for (
    let rate = startRate;
    rate < maxRate * (1 - 1e-9);
    rate = step !== undefined ? rate + step : rate * factor!
  ) {
    rates.push(Number(rate.toPrecision(10)));
    if (rates.length >= MAX_STEPS)
      throw new ArgumentError('step', `ramp would take more than ${MAX_STEPS} steps`);
  }
  rates.push(maxRate);
  return {
    name: options.name ?? `stress ${startRate}->${maxRate} ops/s`,
    model: 'open',
    stages: rates.map((rate) => ({ rate, durationMs: stepDurationMs })),
    thresholds,
    timeoutMs: options.timeoutMs,
    maxInFlight: options.maxInFlight,
    batchSize: options.batchSize,
    stopOnBreak: true,
  };
}

/** Ramps load on a target until a threshold breaks (or the maximum rate holds). */
export class StressTester {
  /** The scenario this tester runs. */
  readonly scenario: OpenScenario;

  /**
   * Plans the ramp; throws an `ArgumentError` naming a bad option or a target that is not a function.
   * @param target the operation under load
   * @param options the ramp and what stable means
   */
  constructor(
    private readonly target: LoadTarget,
    options: StressOptions,
  ) {
    if (typeof target !== 'function') throw new ArgumentError('target', 'must be a function');
    this.scenario = rampScenario(options);
  }

  /** Runs the ramp; `result.stress` holds the highest stable rate, the breaking rate and the knee. */
  run(hooks?: RunHooks): Promise<LoadResult> {
    return runScenario(this.target, this.scenario, hooks);
  }
}
