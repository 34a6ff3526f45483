/**
 * The five scenarios of the original validation plan, plus an ingest ramp that doubles the
 * sample rate from 125k to 16M samples/s (1M on the way) until a threshold breaks. `scale`
 * multiplies every duration (0.1 runs all five plan presets in under a minute).
 */
import { ArgumentError } from '../errors.ts';
import type { OpenScenario, Scenario } from './scenario.ts';
import { rampScenario } from './stress.ts';

/** A named scenario factory. */
export interface Preset {
  /** The name the CLI takes (`load --preset <name>`). */
  readonly name: string;
  /** One line on what it measures. */
  readonly description: string;
  /** Builds the scenario, every stage's length multiplied by `scale` (rates stay). */
  readonly scenario: (scale: number) => Scenario;
}

/**
 * Every preset also requires these. The rate check allows 5 %: a short stage whose last starts
 * are delayed a few ms by a busy machine should not fail it; dropped work is checked exactly.
 */
const HEALTHY = ['error_rate<0.01', 'dropped_rate<0.01', 'rate>=0.95*target'];

function constant(
  name: string,
  rate: number,
  seconds: number,
  scale: number,
  thresholds: string[],
  extra: Partial<OpenScenario> = {},
): OpenScenario {
  return {
    name,
    model: 'open',
    stages: [{ rate, durationMs: seconds * 1000 * scale }],
    thresholds,
    ...extra,
  };
}

/** Every preset by name; `all` in the CLI means the five plan presets (not `ingest`). */
export const PRESETS: Readonly<Record<string, Preset>> = {
  baseline: {
    name: 'baseline',
    description: '50 ops/s for 30 s',
    scenario: (scale) => constant('baseline', 50, 30, scale, ['p(95)<100', ...HEALTHY]),
  },
  throughput: {
    name: 'throughput',
    description: '100 ops/s for 60 s',
    scenario: (scale) => constant('throughput', 100, 60, scale, ['p(99)<200', ...HEALTHY]),
  },
  'high-concurrency': {
    name: 'high-concurrency',
    description: '200 ops/s with at most 50 calls in flight for 45 s',
    scenario: (scale) =>
      constant('high-concurrency', 200, 45, scale, ['p(99)<250', ...HEALTHY], { maxInFlight: 50 }),
  },
  stress: {
    name: 'stress',
    description: 'ramp 50 -> 300 ops/s in six 30 s steps, stopping at the first broken threshold',
    scenario: (scale) =>
      rampScenario({
        name: 'stress',
        startRate: 50,
        maxRate: 300,
        step: 50,
        stepDurationMs: 30_000 * scale,
        thresholds: ['p(99)<250', ...HEALTHY],
      }),
  },
  'latency-consistency': {
    name: 'latency-consistency',
    description: '50, 100, 150 and 200 ops/s for 20 s each; thresholds hold at every level',
    scenario: (scale) => ({
      name: 'latency-consistency',
      model: 'open',
      stages: [50, 100, 150, 200].map((rate) => ({ rate, durationMs: 20_000 * scale })),
      thresholds: ['p(99)<100', ...HEALTHY],
    }),
  },
  ingest: {
    name: 'ingest',
    description:
      'batches of 1,000 samples, 125k -> 16M samples/s doubling every 10 s until a threshold breaks',
    scenario: (scale) =>
      rampScenario({
        name: 'ingest',
        startRate: 125,
        maxRate: 16_000,
        factor: 2,
        stepDurationMs: 10_000 * scale,
        batchSize: 1000,
        maxInFlight: 64,
        thresholds: ['p(99)<100', ...HEALTHY],
      }),
  },
};

/** The five presets of the original validation plan, in its order. */
export const PLAN_PRESETS: readonly string[] = [
  'baseline',
  'throughput',
  'high-concurrency',
  'stress',
  'latency-consistency',
];

/** The scenario of preset `name` scaled by `scale`; ArgumentError for an unknown name or bad scale. */
export function presetScenario(name: string, scale = 1): Scenario {
  const preset = PRESETS[name];
  if (!preset)
    throw new ArgumentError('preset', `unknown preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale)))
    throw new ArgumentError('scale', `must be a positive number, got ${String(scale)}`);
  return preset.scenario(scale);
}
