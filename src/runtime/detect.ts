/**
 * Which JavaScript runtime this is, how many cores it offers and whether memory can be shared
 * with workers. Synchronous and import-free, so browser bundles can include it.
 */

/** The runtimes x0tta6bl4 supports. */
export type RuntimeName = 'node' | 'deno' | 'bun' | 'browser';

interface RuntimeGlobals {
  Deno?: unknown;
  Bun?: { isMainThread?: boolean };
  process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  WorkerGlobalScope?: unknown;
}

const g = globalThis as unknown as RuntimeGlobals;

/** The runtime running this code (checked in the order Deno, Bun, Node, browser). */
export function runtimeName(): RuntimeName {
  if (g.Deno !== undefined) return 'deno';
  if (g.Bun !== undefined) return 'bun';
  if (g.process?.versions?.node !== undefined) return 'node';
  return 'browser';
}

/**
 * True inside a web-style worker (browser, Deno or Bun `Worker`), whose endpoint is `self`.
 * Bun's main thread also has `self.postMessage`, so Bun is asked directly (TOOLCHAIN gotcha 3).
 */
export function inWebWorker(): boolean {
  return g.WorkerGlobalScope !== undefined || g.Bun?.isMainThread === false;
}

/** A Node built-in loaded synchronously (Node >= 20.16), invisible to browser bundlers. */
export function nodeBuiltin<T>(id: string): T {
  const load = g.process?.getBuiltinModule;
  if (!load) throw new Error(`${id} needs Node >= 20.16 (process.getBuiltinModule)`);
  return load(id) as T;
}

/** Logical cores: navigator.hardwareConcurrency, or os.availableParallelism() on Node 20. */
export function coreCount(): number {
  const cores = g.navigator?.hardwareConcurrency;
  if (cores !== undefined && cores > 0) return cores;
  if (runtimeName() === 'node')
    return nodeBuiltin<{ availableParallelism(): number }>('node:os').availableParallelism();
  return 1;
}

/** The default pool size: one worker per core but one (left to the main thread), at least 1. */
export function defaultPoolSize(): number {
  return Math.max(1, coreCount() - 1);
}

/**
 * True when a SharedArrayBuffer can be posted to workers: always on Node, Deno and Bun; in
 * browsers only on cross-origin isolated pages (COOP + COEP headers).
 */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return runtimeName() !== 'browser' || g.crossOriginIsolated === true;
}
