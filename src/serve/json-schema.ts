/**
 * Checking an operator's JSON files against their published schemas (schema/*.schema.json, JSON
 * Schema 2020-12) with ajv, every fault at once, each turned into a ConfigProblem at its JSON
 * pointer: a missing field's path names the field, an unknown field's path names it and the
 * message lists the known ones, so a typo is found without reading the schema.
 */
import { Ajv2020, type AnySchemaObject, type ErrorObject } from 'ajv/dist/2020.js';
import type { ConfigProblem } from '../errors.ts';

/** Checks a value against one schema; returns its problems (none when it conforms). */
export type SchemaCheck = (value: unknown) => ConfigProblem[];

/** Compiles `schema` once (allErrors: every fault, not the first) into a SchemaCheck. */
export function compileSchema(schema: AnySchemaObject): SchemaCheck {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : problemsOf(validate.errors ?? []));
}

/** A JSON pointer (RFC 6901) to `segments` below `base`: `~` and `/` inside a segment are escaped. */
export function pointer(base: string, ...segments: ReadonlyArray<string | number>): string {
  return base + segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Whether `value` is a JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ajv's errors as problems, one per fault, in the order found. */
function problemsOf(errors: readonly ErrorObject[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // A failed `if` only says which `then` applied; the `then`'s own errors name the faults.
    if (error.keyword === 'if') continue;
    const problem = describe(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) seen.add(key), problems.push(problem);
  }
  return problems;
}

function describe(error: ErrorObject): ConfigProblem {
  const at = error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { path: pointer(at, error.params.missingProperty), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys(error.parentSchema?.properties ?? {}).filter((k) => k !== '$schema');
      const hint = known.length ? `; known fields: ${known.join(', ')}` : '';
      return { path: pointer(at, error.params.additionalProperty), message: `is not a known field${hint}` };
    }
    case 'enum':
      return {
        path: at,
        message: `must be one of ${error.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` };
  }
}
