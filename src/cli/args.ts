/** Small helpers shared by the subcommands' option parsing. */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

/**
 * Checks, before any work starts, that a command will be able to write `path` at the end: its
 * folder exists and is writable, and `path` is not a folder. Throws an ArgumentError naming
 * `option` otherwise (a long run must not end in a stack trace and lose its results).
 */
export function checkOutputFile(option: string, path: string): void {
  if (typeof path !== 'string' || path === '') throw new ArgumentError(option, 'expected a file path');
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new ArgumentError(option, `${path} is a folder, not a file`);
  const folder = dirname(resolve(path));
  const parent = statSync(folder, { throwIfNoEntry: false });
  if (!parent) throw new ArgumentError(option, `cannot write ${path}: folder ${folder} does not exist`);
  if (!parent.isDirectory())
    throw new ArgumentError(option, `cannot write ${path}: ${folder} is not a folder`);
  try {
    accessSync(existing ? path : folder, constants.W_OK);
  } catch {
    throw new ArgumentError(option, `cannot write ${path}: permission denied`);
  }
}
