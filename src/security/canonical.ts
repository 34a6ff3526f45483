/**
 * Canonical JSON: object keys sorted, no whitespace, only JSON values. Hashes and signatures
 * are computed over this form so that a store may re-serialise entries without breaking them.
 */
import { ArgumentError } from '../errors.ts';

/** A JSON value as stored in audit entries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

// Thrown inside encode(); the path is assembled while unwinding, so the happy path builds no paths.
class NotJson {
  constructor(
    readonly reason: string,
    public path = '',
  ) {}
}

function encode(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotJson('numbers must be finite');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + inside(value[i], `[${i}]`);
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        throw new NotJson('only plain objects, arrays and primitives are JSON');
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++)
        out += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${inside(record[keys[i]], `.${keys[i]}`)}`;
      return `${out}}`;
    }
    default:
      throw new NotJson(`${typeof value} is not a JSON value`);
  }
}

function inside(value: unknown, segment: string): string {
  try {
    return encode(value);
  } catch (error) {
    if (error instanceof NotJson) error.path = segment + error.path;
    throw error;
  }
}

/** Serialises `value` canonically; throws an ArgumentError naming the offending path otherwise. */
export function canonicalJson(value: unknown, path = 'value'): string {
  try {
    return encode(value);
  } catch (error) {
    if (error instanceof NotJson) throw new ArgumentError(path + error.path, error.reason);
    throw error;
  }
}
