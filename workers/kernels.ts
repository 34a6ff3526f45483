/**
 * Worker entry that exposes the wasm kernels through comlink; run it with `createKernelPool()`
 * (src/runtime/kernel-pool.ts). The work itself is in src/runtime/kernel-tasks.ts; this file only
 * exposes it and hands the result arrays back as transfers (moved, not copied).
 */
import * as Comlink from 'comlink';
import * as tasks from '../src/runtime/kernel-tasks.ts';
import { exposeWorker } from '../src/runtime/expose.ts';
import { transferablesOf } from '../src/runtime/transfer.ts';

const api = {
  /** Scores one batch of candidates (see `Scorer.score`). */
  async score(request: tasks.ScoreRequest) {
    const result = await tasks.score(request);
    return Comlink.transfer(result, transferablesOf(result.scores, result.probabilities));
  },
  /** Updates many series over one or more steps (see `SeriesStatsBatch`). */
  async statsUpdate(request: tasks.StatsUpdateRequest) {
    const result = await tasks.statsUpdate(request);
    return Comlink.transfer(result, transferablesOf(result.z, result.ewmaZ, result.snapshot));
  },
  /** Exact top-k of queries against the request's vectors (see `SimilarityIndex`). */
  async similaritySearch(request: tasks.SimilaritySearchRequest) {
    const results = await tasks.similaritySearch(request);
    return Comlink.transfer(results, transferablesOf(...results.flatMap((r) => [r.ids, r.scores])));
  },
};

/** The API this worker exposes, for `WorkerPool<KernelWorkerApi>`. */
export type KernelWorkerApi = typeof api;

exposeWorker(api);
