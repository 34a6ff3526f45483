/**
 * The pool of kernel workers (workers/kernels.ts): decision scoring, batched series statistics
 * and similarity top-k off the main thread. Other stages make pools of their own entries the
 * same way (a WorkerPool over a literal worker URL).
 */
import { runtimeName } from '../runtime/detect.ts';
import { WorkerPool, type PoolOptions } from '../runtime/pool.ts';
import { workerEntry } from '../runtime/spawn.ts';
import type { KernelWorkerApi } from './tasks.ts';

/** A pool of kernel workers; call `close()` when done (live workers keep a process running). */
export function createKernelPool(options?: PoolOptions): WorkerPool<KernelWorkerApi> {
  return new WorkerPool<KernelWorkerApi>(
    {
      url: workerEntry(new URL('../../workers/kernels.ts', import.meta.url), import.meta.url),
      // The literal form that Vite recognises and bundles (TOOLCHAIN gotcha 6).
      create:
        runtimeName() === 'browser'
          ? () => new Worker(new URL('../../workers/kernels.ts', import.meta.url), { type: 'module' })
          : undefined,
    },
    options,
  );
}
