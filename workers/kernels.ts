/**
 * Worker entry that exposes the wasm kernels through comlink; run it with `createKernelPool()`
 * (src/kernels/pool.ts). The work itself is in src/kernels/tasks.ts; this file only exposes it
 * and hands the result arrays back as transfers (moved, not copied).
 */
import * as Comlink from 'comlink';
import * as tasks from '../src/kernels/tasks.ts';
import { exposeWorker } from '../src/runtime/expose.ts';
import { transferablesOf } from '../src/runtime/transfer.ts';

const api = {
  async score(request) {
    const result = await tasks.score(request);
    return Comlink.transfer(result, transferablesOf(result.scores, result.probabilities));
  },
  async statsUpdate(request) {
    const result = await tasks.statsUpdate(request);
    return Comlink.transfer(result, transferablesOf(result.z, result.ewmaZ, result.snapshot));
  },
  async similaritySearch(request) {
    const results = await tasks.similaritySearch(request);
    return Comlink.transfer(results, transferablesOf(...results.flatMap((r) => [r.ids, r.scores])));
  },
} satisfies tasks.KernelWorkerApi;

exposeWorker(api);
