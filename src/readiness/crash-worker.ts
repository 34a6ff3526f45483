/**
 * Worker entry for the pool crash-recovery check: tells workers apart by id and dies on request
 * with an uncaught error (which kills a worker on every runtime). Run it in a WorkerPool.
 */
import { exposeWorker } from '../runtime/expose.ts';

// Distinguishes a replacement from the worker it replaced; nothing needs to reproduce it.
const id = crypto.randomUUID();

const api = {
  /** This worker's id. */
  id: (): string => id,
  /** Throws outside any call a moment from now; the returned promise never settles. */
  crash(): Promise<never> {
    setTimeout(() => {
      throw new Error('readiness crash-worker died on purpose');
    });
    return new Promise(() => {});
  },
};

/** The crash worker's API, for WorkerPool<CrashWorkerApi>. */
export type CrashWorkerApi = typeof api;

exposeWorker(api);
