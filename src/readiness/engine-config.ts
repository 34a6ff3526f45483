/**
 * The engine configuration a deployment versions: the MAPE-K loop's tunables and its safety
 * rails (see LoopOptions in src/loop/loop.ts and RailOptions in src/execute/rails.ts). Every
 * field is optional (the loop has defaults); unknown fields and out-of-range values are errors.
 */

/** A versioned engine configuration. */
export interface EngineConfig {
  /** Loop settings: confirmTicks, settleTicks, patienceTicks, maxAttempts, holdDownTicks, window. */
  loop?: Partial<Record<(typeof LOOP_FIELDS)[number], number>>;
  /**
   * Safety rail settings: rateLimit, rateWindow, breakerThreshold, breakerOpenFor, cooldown,
   * backoffBase, backoffMax, quorum.
   */
  rails?: Partial<Record<(typeof RAIL_FIELDS)[number] | 'quorum', number>>;
}

/** The loop settings an EngineConfig may set (each a positive integer). */
export const LOOP_FIELDS = [
  'confirmTicks',
  'settleTicks',
  'patienceTicks',
  'maxAttempts',
  'holdDownTicks',
  'window',
] as const;
/** The safety rail settings an EngineConfig may set besides `quorum` (each a positive integer). */
export const RAIL_FIELDS = [
  'rateLimit',
  'rateWindow',
  'breakerThreshold',
  'breakerOpenFor',
  'cooldown',
  'backoffBase',
  'backoffMax',
] as const;

/** The problems of `value` as an EngineConfig (empty when it is valid). */
export function configProblems(value: unknown): string[] {
  if (!isObject(value)) return ['config: expected an object'];
  const problems: string[] = [];
  for (const section of Object.keys(value)) {
    if (section !== 'loop' && section !== 'rails') problems.push(`${section}: unknown section`);
  }
  const fields = (
    section: 'loop' | 'rails',
    allowed: readonly string[],
    check: (field: string, v: unknown) => string | undefined,
  ) => {
    const body = value[section];
    if (body === undefined) return;
    if (!isObject(body)) return void problems.push(`${section}: expected an object`);
    for (const [field, v] of Object.entries(body)) {
      if (!allowed.includes(field)) problems.push(`${section}.${field}: unknown field`);
      else {
        const problem = check(field, v);
        if (problem) problems.push(`${section}.${field}: ${problem}`);
      }
    }
  };
  const positiveInteger = (_f: string, v: unknown) =>
    Number.isInteger(v) && (v as number) >= 1 ? undefined : `expected an integer >= 1, got ${String(v)}`;
  fields('loop', LOOP_FIELDS, positiveInteger);
  fields('rails', [...RAIL_FIELDS, 'quorum'], (f, v) =>
    f === 'quorum'
      ? typeof v === 'number' && v > 0 && v <= 1
        ? undefined
        : `expected a number in (0, 1], got ${String(v)}`
      : positiveInteger(f, v),
  );
  const rails = value.rails;
  if (
    isObject(rails) &&
    typeof rails.backoffBase === 'number' &&
    typeof rails.backoffMax === 'number' &&
    rails.backoffBase > rails.backoffMax
  ) {
    problems.push('rails.backoffBase: larger than rails.backoffMax');
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
