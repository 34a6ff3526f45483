/**
 * Worker entry that holds one shard of the engine's streaming detectors (a DetectorBank) and
 * scores one tick of that shard per call; run it with `DetectorPool.open()`
 * (src/kernels/detector/pool.ts). State lives here, so each shard has a worker of its own.
 */
import * as Comlink from 'comlink';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import type { DetectorWorkerApi } from '../src/kernels/detector/pool.ts';
import { ArgumentError } from '../src/errors.ts';
import { exposeWorker } from '../src/runtime/expose.ts';

let bank: DetectorBank | undefined;

const api = {
  async open(size, saved) {
    bank = saved ? await DetectorBank.restore(saved) : await DetectorBank.create(size);
  },

  update(ts, values) {
    if (!bank) throw new ArgumentError('shard', 'open() the shard before updating it');
    const scores = bank.update(ts, values);
    return Comlink.transfer(scores, [scores.buffer]);
  },

  save() {
    if (!bank) throw new ArgumentError('shard', 'open() the shard before saving it');
    return bank.save();
  },
} satisfies DetectorWorkerApi;

exposeWorker(api);
