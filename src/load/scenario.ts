/**
 * What to run: an open-model (arrival rate) or closed-model (concurrent loops) scenario, with
 * defaults and validation in one place.
 */
import { ArgumentError } from '../errors.ts';
import {
  type ConcurrencyStage,
  type RateStage,
  validateConcurrencyStages,
  validateRateStages,
} from './schedule.ts';
import { parseThresholds, type Threshold } from './thresholds.ts';

/** The fields every scenario has, whatever its model. */
export interface ScenarioBase {
  /** Non-empty; names the run in progress lines and in the result. */
  readonly name: string;
  /** A call that has not settled this long after its start is abandoned as a 'timeout'. Default 10 s. */
  readonly timeoutMs?: number;
  /** Units of work per call, passed to the target and used for units/s figures. Default 1. */
  readonly batchSize?: number;
  /** k6-style thresholds, checked on the whole run and on each stage. */
  readonly thresholds?: readonly string[];
}

/** Constant or ramping arrival rate; iterations start on schedule whatever earlier ones do. */
export interface OpenScenario extends ScenarioBase {
  /** Iterations start at a planned rate. */
  readonly model: 'open';
  /** The rate plan, stage by stage. */
  readonly stages: readonly RateStage[];
  /** Cap on calls in flight; a due iteration finding the cap reached is dropped. Default 10,000. */
  readonly maxInFlight?: number;
  /** Stop after the first stage that breaks a threshold (what StressTester uses). */
  readonly stopOnBreak?: boolean;
}

/** N loops, each calling the target again as soon as its previous call settles. */
export interface ClosedScenario extends ScenarioBase {
  /** Loops call again as soon as their last call settles. */
  readonly model: 'closed';
  /** How many loops run, stage by stage. */
  readonly stages: readonly ConcurrencyStage[];
}

/** A load scenario. */
export type Scenario = OpenScenario | ClosedScenario;

/** A scenario with defaults filled in and thresholds parsed. */
export interface ResolvedScenario {
  readonly scenario: Scenario;
  readonly timeoutMs: number;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly thresholds: readonly Threshold[];
}

function positive(argument: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ArgumentError(
      argument,
      `must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
    );
  }
  return value;
}

/** Validates a scenario (ArgumentError names the bad field) and fills in defaults. */
export function resolveScenario(scenario: Scenario): ResolvedScenario {
  if (scenario === null || typeof scenario !== 'object')
    throw new ArgumentError('scenario', 'must be an object');
  if (typeof scenario.name !== 'string' || scenario.name === '')
    throw new ArgumentError('scenario.name', 'must be a non-empty string');
  if (scenario.model === 'open') validateRateStages(scenario.stages, 'scenario.stages');
  else if (scenario.model === 'closed') validateConcurrencyStages(scenario.stages, 'scenario.stages');
  else
    throw new ArgumentError(
      'scenario.model',
      `must be 'open' or 'closed', got ${String((scenario as { model?: unknown }).model)}`,
    );
  const thresholds = parseThresholds(scenario.thresholds ?? [], 'scenario.thresholds');
  if (scenario.model === 'closed' && thresholds.some((t) => t.relativeToTarget)) {
    throw new ArgumentError('scenario.thresholds', 'a closed-model run has no target rate to compare with');
  }
  return {
    scenario,
    timeoutMs: positive('scenario.timeoutMs', scenario.timeoutMs, 10_000, false),
    batchSize: positive('scenario.batchSize', scenario.batchSize, 1, true),
    maxInFlight: positive(
      'scenario.maxInFlight',
      scenario.model === 'open' ? scenario.maxInFlight : undefined,
      10_000,
      true,
    ),
    thresholds,
  };
}
