/**
 * k6-style pass/fail criteria parsed from strings: `p(95)<100` (latency in ms, corrected),
 * `avg<50`, `med<=10`, `max<1000`, `error_rate<0.01`, `dropped_rate==0`, `rate>=0.99*target`,
 * `errors<5`, `timeouts==0`, `ok>100`. A run that breaks one fails (and the CLI exits non-zero);
 * so does a run in which no call succeeded ({@link SOME_CALL_SUCCEEDED}), whatever thresholds are set.
 */
import { ArgumentError } from '../errors.ts';
import type { LoadSummary } from './summary.ts';

/** How a threshold compares the measured figure with its limit. */
export type Operator = '<' | '<=' | '>' | '>=' | '==';

/** A parsed threshold. */
export interface Threshold {
  /** The threshold as written, e.g. `p(99)<250`. */
  readonly expression: string;
  /** The figure it checks, e.g. `p(99)` or `error_rate`. */
  readonly metric: string;
  /** How the figure compares with the limit. */
  readonly operator: Operator;
  /** The limit is `factor * targetRate` when `relativeToTarget`, else `factor`. */
  readonly factor: number;
  /** Whether the limit scales with the stage's target rate. */
  readonly relativeToTarget: boolean;
  /** Reads the figure from a summary. */
  readonly read: (summary: LoadSummary) => number;
}

/** The outcome of one threshold on one summary. */
export interface ThresholdResult {
  /** The threshold as written. */
  expression: string;
  /** 'overall' or the stage label it was checked on. */
  scope: string;
  /** The figure measured. */
  actual: number;
  /** The limit it was compared with. */
  limit: number;
  /** Whether the figure met the limit. */
  passed: boolean;
}

const NAMED: Record<string, (s: LoadSummary) => number> = {
  avg: (s) => s.latency.mean,
  mean: (s) => s.latency.mean,
  med: (s) => s.latency.p50,
  min: (s) => s.latency.min,
  max: (s) => s.latency.max,
  error_rate: (s) => s.errorRate,
  dropped_rate: (s) => s.droppedRate,
  rate: (s) => s.achievedRate,
  errors: (s) => s.failed + s.timeouts,
  timeouts: (s) => s.timeouts,
  dropped: (s) => s.dropped,
  ok: (s) => s.ok,
};

/** The percentiles a summary carries; others are refused rather than guessed. */
const PERCENTILES: Record<number, (s: LoadSummary) => number> = {
  50: (s) => s.latency.p50,
  90: (s) => s.latency.p90,
  95: (s) => s.latency.p95,
  99: (s) => s.latency.p99,
  99.9: (s) => s.latency.p999,
  100: (s) => s.latency.max,
};

const SYNTAX = /^\s*([a-z_]+|p\(\s*[\d.]+\s*\))\s*(<=|>=|==|<|>)\s*(.+?)\s*$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function parseLimit(text: string, argument: string): { factor: number; relativeToTarget: boolean } {
  const parts = text.split('*').map((part) => part.trim());
  const targets = parts.filter((part) => part === 'target').length;
  const numbers = parts.filter((part) => part !== 'target');
  if (parts.length > 2 || targets > 1 || !numbers.every((n) => NUMBER.test(n))) {
    throw new ArgumentError(argument, `limit '${text}' must be a number, 'target' or 'N*target'`);
  }
  return { factor: numbers.length === 0 ? 1 : Number(numbers[0]), relativeToTarget: targets === 1 };
}

/** Parses one threshold; throws ArgumentError naming `argument` if it is malformed. */
export function parseThreshold(expression: string, argument = 'threshold'): Threshold {
  if (typeof expression !== 'string') throw new ArgumentError(argument, 'must be a string');
  const match = SYNTAX.exec(expression);
  if (!match)
    throw new ArgumentError(argument, `'${expression}' is not of the form metric<op>limit, e.g. p(95)<100`);
  const [, metric, operator, limitText] = match;
  let read = Object.hasOwn(NAMED, metric) ? NAMED[metric] : undefined;
  if (metric.startsWith('p(')) {
    const percentile = PERCENTILES[Number(metric.slice(2, -1).trim())];
    if (!percentile)
      throw new ArgumentError(
        argument,
        `'${metric}' is not reported; use p(50), p(90), p(95), p(99), p(99.9) or p(100)`,
      );
    read = percentile;
  }
  if (!read) {
    throw new ArgumentError(
      argument,
      `unknown metric '${metric}' (use p(N), ${Object.keys(NAMED).join(', ')})`,
    );
  }
  return {
    expression: expression.trim(),
    metric,
    operator: operator as Operator,
    ...parseLimit(limitText, argument),
    read,
  };
}

/** Parses a list of thresholds, naming the index of a bad one. */
export function parseThresholds(expressions: readonly string[], argument = 'thresholds'): Threshold[] {
  if (!Array.isArray(expressions)) throw new ArgumentError(argument, 'must be an array of strings');
  return expressions.map((e, i) => parseThreshold(e, `${argument}[${i}]`));
}

function compare(actual: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** Checks a threshold against a summary. A relative limit with no target rate fails. */
export function evaluateThreshold(
  threshold: Threshold,
  summary: LoadSummary,
  scope = 'overall',
): ThresholdResult {
  const actual = threshold.read(summary);
  const limit = threshold.relativeToTarget
    ? threshold.factor * (summary.targetRate ?? NaN)
    : threshold.factor;
  return {
    expression: threshold.expression,
    scope,
    actual,
    limit,
    passed: compare(actual, threshold.operator, limit),
  };
}

/**
 * The rule every run is held to on top of its own thresholds: at least one call succeeded. A
 * target that fails every call (a dead port, a wrong URL) must not pass because no threshold
 * happened to look at errors.
 */
export const SOME_CALL_SUCCEEDED: Threshold = parseThreshold('ok>0');
