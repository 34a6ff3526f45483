/**
 * The pool of kernel workers (workers/kernels.ts): decision scoring, batched series statistics
 * and similarity top-k off the main thread. Other stages make pools of their own entries the
 * same way (a WorkerPool over a literal worker URL).
 */
import type { KernelWorkerApi } from '../../workers/kernels.ts';
import { runtimeName } from './detect.ts';
import { WorkerPool, type PoolOptions } from './pool.ts';
import { workerEntry } from './spawn.ts';

export type { KernelWorkerApi } from '../../workers/kernels.ts';
export type {
  ScoreRequest,
  SimilaritySearchRequest,
  StatsUpdateRequest,
  StatsUpdateResult,
} from './kernel-tasks.ts';

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
