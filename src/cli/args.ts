/** Small helpers shared by the subcommands' option parsing. */
import { ArgumentError } from '../errors.ts';

/** Parses a positive integer option, naming it in the error. */
export function intOption(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ArgumentError(`--${name}`, `expected an integer >= ${min}, got "${value}"`);
  return n;
}

/** Parses a positive number option, naming it in the error. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ArgumentError(`--${name}`, `expected a number > 0, got "${value}"`);
  return n;
}
