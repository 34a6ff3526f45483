/**
 * Checks at the TypeScript boundary of every kernel: a caller's numbers never make a kernel read
 * or write outside its memory, and a wrong argument fails with an error that names it.
 */
import { ArgumentError, DetachedBufferError, DimensionError } from './errors.ts';

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Int8Array | Uint8Array;
type TypedCtor = { new (n: number): Typed; name: string };

/** Asserts `value` is a live typed array of the given constructor. */
export function checkArray<T extends Typed>(name: string, value: unknown, ctor: TypedCtor): T {
  if (!(value instanceof ctor)) {
    throw new ArgumentError(name, `expected ${ctor.name}, got ${describe(value)}`);
  }
  if (isDetached(value)) throw new DetachedBufferError(name);
  return value as T;
}

/** Asserts `array.length === expected`. */
export function checkLength(name: string, array: { length: number }, expected: number): void {
  if (array.length !== expected) {
    throw new DimensionError(name, `expected length ${expected}, got ${array.length}`);
  }
}

/** Asserts an integer within [min, max]. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ArgumentError(name, `expected an integer ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Asserts a finite number. */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(name, `expected a finite number, got ${describe(value)}`);
  }
  return value;
}

function isDetached(array: Typed): boolean {
  // A detached buffer reports byteLength 0, as a genuinely empty one does; only the detached one
  // refuses a new view (ArrayBuffer.prototype.detached is missing on Node 20).
  if (array.buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(array.buffer);
    return false;
  } catch {
    return true;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
