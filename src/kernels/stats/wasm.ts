/**
 * The stats kernel's wasm module and how a facade object picks its backend: its own wasm
 * instance (SIMD build by default, or an injected module such as the scalar build) or the
 * pure-TS twin in ./twin.ts.
 */
import {
  chooseBackend,
  Kernel,
  type BackendOptions,
  type InitOptions,
  type KernelExports,
} from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { ArgumentError } from '../../errors.ts';
import { wasmBase64 } from './embedded.ts';

/** Exports of assembly/stats.ts (pointers are byte addresses in the instance's memory). */
export interface StatsExports extends KernelExports {
  batchUpdate(
    state: number,
    fieldBytes: number,
    n: number,
    values: number,
    alpha: number,
    slack: number,
  ): number;
  seriesPush(
    state: number,
    values: number,
    len: number,
    zOut: number,
    ewmaZOut: number,
    alpha: number,
    slack: number,
  ): number;
  windowUpdate(
    ring: number,
    sorted: number,
    fill: number,
    head: number,
    window: number,
    n: number,
    values: number,
    med: number,
    mad: number,
  ): number;
  windowSeries(
    ring: number,
    sorted: number,
    fill: number,
    head: number,
    window: number,
    values: number,
    len: number,
    med: number,
    mad: number,
  ): number;
  histogramAdd(values: number, len: number, lo: number, scale: number, bins: number, counts: number): number;
  sortKeys(data: number, len: number, scratch: number, counts: number): void;
  ksSorted(a: number, na: number, b: number, nb: number): number;
}

/** A wasm instance of the stats kernel with the host-side arena over its memory. */
export interface StatsInstance {
  readonly exports: StatsExports;
  readonly memory: LinearMemory;
}

const kernel = new Kernel<StatsExports>('stats', () => wasmBase64);

/** Compiles the stats kernel once (idempotent); `options.wasm` substitutes another build. */
export function initStats(options?: InitOptions): Promise<WebAssembly.Module> {
  return kernel.init(options);
}

/** A fresh wasm instance for the chosen backend, or null when the TS twin is to be used. */
export function instantiate(options: BackendOptions = {}): StatsInstance | null {
  if (chooseBackend(options) === 'ts') return null;
  const exports = kernel.instantiate(options.module);
  return { exports, memory: new LinearMemory(exports) };
}

const shared = new WeakMap<WebAssembly.Module, StatsInstance>();

/**
 * The instance behind the one-shot functions (histogram, ksDistance): one per module, created on
 * first use. Callers allocate above `memory.base` and release back to it, so it holds no data
 * between calls.
 */
export function sharedInstance(options: BackendOptions = {}): StatsInstance | null {
  if (chooseBackend(options) === 'ts') return null;
  const module = options.module ?? kernel.module;
  let instance = shared.get(module);
  if (!instance) {
    instance = instantiate({ backend: 'wasm', module })!;
    shared.set(module, instance);
  }
  return instance;
}

/** Reserves `bytes` in `memory`, reporting a size the wasm memory cannot reach against `argument`. */
export function allocFor(memory: LinearMemory, argument: string, bytes: number): number {
  const top = memory.base + memory.used;
  try {
    return memory.alloc(bytes);
  } catch (cause) {
    memory.release(top); // alloc moved the top before growing failed
    if (cause instanceof RangeError) {
      throw new ArgumentError(argument, `needs ${bytes} bytes, more than wasm memory can grow to`);
    }
    throw cause;
  }
}
