/**
 * Worker entry that holds one shard of the engine's streaming detectors (a DetectorBank, see
 * src/kernels/detector/shard.ts) and scores one tick of that shard per call; run it with
 * `DetectorPool.open()` (src/kernels/detector/pool.ts). State lives here, so each shard has a
 * worker of its own.
 */
import * as Comlink from 'comlink';
import { type DetectorWorkerApi, shardWorkerApi } from '../src/kernels/detector/shard.ts';
import { exposeWorker } from '../src/runtime/expose.ts';

const shard = shardWorkerApi();

exposeWorker({
  ...shard,
  // Scores sent in a message move rather than copy.
  update(ts, values) {
    const scores = shard.update(ts, values);
    return Comlink.transfer(scores, [scores.buffer]);
  },
} satisfies DetectorWorkerApi);
