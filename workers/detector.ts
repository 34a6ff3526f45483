/**
 * Worker entry that holds one shard of the engine's streaming detectors (a DetectorBank) and
 * scores one tick of that shard per call; run it with `createDetectorPool()`
 * (src/runtime/detector-pool.ts). State lives here, so each shard has a worker of its own.
 */
import * as Comlink from 'comlink';
import { DetectorBank, type BankState } from '../src/analyze/detectors/detector.ts';
import { ArgumentError } from '../src/errors.ts';
import { exposeWorker } from '../src/runtime/expose.ts';

let bank: DetectorBank | undefined;

const api = {
  /** Starts a fresh shard of `size` series, or continues from a saved state. */
  async open(size: number, saved?: BankState): Promise<void> {
    bank = saved ? await DetectorBank.restore(saved) : await DetectorBank.create(size);
  },

  /** Scores one tick: `values[k]` goes to series k of the shard; returns the scores. */
  update(ts: number, values: Float64Array): Float64Array {
    if (!bank) throw new ArgumentError('shard', 'open() the shard before updating it');
    const scores = bank.update(ts, values);
    return Comlink.transfer(scores, [scores.buffer]);
  },

  /** The shard's state, to continue elsewhere after a restart. */
  save(): BankState {
    if (!bank) throw new ArgumentError('shard', 'open() the shard before saving it');
    return bank.save();
  },
};

/** The API this worker exposes, for `WorkerPool<DetectorWorkerApi>`. */
export type DetectorWorkerApi = typeof api;

exposeWorker(api);
