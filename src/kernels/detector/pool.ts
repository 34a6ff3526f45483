/**
 * The engine's streaming detectors off the main thread: the series are split into shards, each
 * held by a worker of its own (workers/detector.ts, src/kernels/detector/shard.ts), and every
 * tick is scored by all shards in parallel. It is a `BatchScorer` for the loop, and scores
 * exactly as one `DetectorBank` of the same series does.
 *
 * Where memory can be shared (Node, Deno, Bun, cross-origin isolated pages) a tick's values go
 * into each shard's shared input ring and the scores come back in shared memory: a message per
 * shard carries only the tick number. A shard whose worker dies is rebuilt in a new worker from
 * its checkpoints and the ring, and the tick is scored as if nothing happened (`restarts` counts
 * them). Without shared memory, values and scores travel in messages, the pool checkpoints each
 * shard every `checkpointEvery` ticks and keeps the ticks since, and replays them the same way.
 */
import { ArgumentError, WorkerCrashedError } from '../../errors.ts';
import { defaultPoolSize, runtimeName, sharedMemoryAvailable } from '../../runtime/detect.ts';
import { WorkerPool } from '../../runtime/pool.ts';
import { type WorkerSource, workerEntry } from '../../runtime/spawn.ts';
import type { BankState } from './detector.ts';
import { DEFAULT_PARAMS, type DetectorParams } from './params.ts';
import { type DetectorWorkerApi, type SharedShard, sharedShard } from './shard.ts';

/** Options of `DetectorPool.open`. */
export interface DetectorPoolOptions {
  /** Number of shards (= workers); default `defaultPoolSize()`, never more than the series. */
  shards?: number;
  /**
   * Ticks within which every series' state is checkpointed (default 128): a replaced worker
   * replays at most this many ticks, and the pool keeps as many ticks of input to replay.
   */
  checkpointEvery?: number;
  /**
   * A saved bank of `series` series (e.g. `DetectorBank.save()` or `DetectorPool.save()` of an
   * earlier run) to continue from instead of fresh series; each shard takes its slice.
   */
  saved?: BankState;
  /**
   * Share memory with the workers (default: where the runtime allows it, `sharedMemoryAvailable()`);
   * false sends values and scores in messages.
   */
  shareMemory?: boolean;
  /** The worker entry running each shard (default workers/detector.ts): one exposing `DetectorWorkerApi`. */
  source?: WorkerSource;
}

/** Crashes in a row on one tick of one shard before the pool gives up and rejects the tick. */
const MAX_RECOVERIES = 3;

/** One shard as the pool sees it: its worker, its series and how it recovers. */
interface Shard {
  pool: WorkerPool<DetectorWorkerApi>;
  start: number;
  size: number;
  /** Shared mode: the shard's memory and views of its ring, stamps and scores. */
  shared?: { memory: SharedShard; values: Float64Array; stamps: Float64Array; scores: Float64Array };
  /** Copying mode: the last checkpoint (undefined: fresh) and the ticks sent since. */
  checkpoint?: BankState;
  log: Array<{ ts: number; values: Float64Array }>;
  /** The worker pool's crash count when the shard was last known whole. */
  crashes: number;
}

/** Sharded detector bank in workers; create with `DetectorPool.open`, `close()` when done. */
export class DetectorPool {
  /** Shards rebuilt after their worker died. */
  restarts = 0;
  #ticks = 0;

  private constructor(
    /** Number of series. */
    readonly size: number,
    private readonly shards: Shard[],
    private readonly params: DetectorParams,
    private readonly checkpointEvery: number,
  ) {}

  /**
   * Starts the workers and opens a bank of `series` series across them: fresh, or continuing
   * `options.saved` (ArgumentError when it holds another number of series).
   */
  static async open(series: number, options: DetectorPoolOptions = {}): Promise<DetectorPool> {
    if (!Number.isInteger(series) || series < 1)
      throw new ArgumentError('series', `expected an integer >= 1, got ${series}`);
    const saved = options.saved;
    if (saved !== undefined && saved?.series?.length !== series)
      throw new ArgumentError(
        'options.saved',
        `expected the saved state of ${series} series, got ${String(saved?.series?.length)}`,
      );
    const count = Math.min(series, options.shards ?? defaultPoolSize());
    if (!Number.isInteger(count) || count < 1)
      throw new ArgumentError('shards', `expected an integer >= 1, got ${options.shards}`);
    const every = options.checkpointEvery ?? 128;
    if (!Number.isInteger(every) || every < 1)
      throw new ArgumentError('checkpointEvery', `expected an integer >= 1, got ${every}`);
    const share = options.shareMemory ?? sharedMemoryAvailable();
    if (share && !sharedMemoryAvailable())
      throw new ArgumentError('shareMemory', 'this runtime cannot share memory with workers');
    const params = saved?.params ?? DEFAULT_PARAMS;
    const per = Math.ceil(series / count);
    const shards: Shard[] = [];
    for (let start = 0; start < series; start += per) {
      const size = Math.min(per, series - start);
      // A restored shard's first checkpoint is its saved slice: a crash before the next one
      // reopens it from there rather than fresh.
      const checkpoint = saved && { ...saved, series: saved.series.slice(start, start + size) };
      const memory = share ? sharedShard(size, params, every) : undefined;
      shards.push({
        pool: detectorWorker(options.source),
        start,
        size,
        ...(checkpoint ? { checkpoint } : {}),
        ...(memory
          ? {
              shared: {
                memory,
                values: new Float64Array(memory.values),
                stamps: new Float64Array(memory.stamps),
                scores: new Float64Array(memory.scores),
              },
            }
          : {}),
        log: [],
        crashes: 0,
      });
    }
    try {
      await Promise.all(shards.map((s) => s.pool.run('open', [s.size, s.checkpoint, s.shared?.memory])));
    } catch (error) {
      await Promise.all(shards.map((s) => s.pool.close()));
      throw error;
    }
    // Shared shards checkpoint into their own memory from here on.
    for (const s of shards) if (s.shared) delete s.checkpoint;
    return new DetectorPool(series, shards, params, every);
  }

  /** Every series' state, in series order (the shards' states joined): restorable as a bank or a pool. */
  async save(): Promise<BankState> {
    const parts = await Promise.all(
      this.shards.map(async (shard) => {
        let state: BankState | undefined;
        await this.#withRecovery(shard, async (crashed) => {
          if (crashed) await this.#rebuild(shard, this.#ticks);
          state = await shard.pool.run('save', []);
        });
        return state!;
      }),
    );
    return { version: parts[0].version, params: parts[0].params, series: parts.flatMap((p) => p.series) };
  }

  /** Scores one tick of every series (the loop's BatchScorer contract). */
  async update(ts: number, values: Float64Array, scores: Float64Array): Promise<void> {
    const tick = ++this.#ticks;
    await Promise.all(
      this.shards.map((shard) =>
        shard.shared
          ? this.#tickShared(shard, tick, ts, values, scores)
          : this.#tickCopying(shard, tick, ts, values, scores),
      ),
    );
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.pool.close()));
  }

  async #tickShared(shard: Shard, tick: number, ts: number, values: Float64Array, scores: Float64Array) {
    const shared = shard.shared!;
    const slot = tick % shared.memory.slots;
    shared.stamps[slot] = ts;
    shared.values.set(values.subarray(shard.start, shard.start + shard.size), slot * shard.size);
    await this.#withRecovery(shard, async (crashed) => {
      if (crashed && (await this.#rebuild(shard, tick - 1)) >= tick) return;
      await shard.pool.run('tick', [tick]);
    });
    scores.set(shared.scores, shard.start);
  }

  async #tickCopying(shard: Shard, tick: number, ts: number, values: Float64Array, scores: Float64Array) {
    const slice = values.slice(shard.start, shard.start + shard.size);
    let result: Float64Array | undefined;
    await this.#withRecovery(shard, async (crashed) => {
      if (crashed) await this.#rebuild(shard, tick - 1);
      const sent = slice.slice();
      result = await shard.pool.run('update', [ts, sent], [sent.buffer]);
    });
    scores.set(result!, shard.start);
    shard.log.push({ ts, values: slice });
    if (tick % this.checkpointEvery !== 0) return;
    try {
      shard.checkpoint = await shard.pool.run('save', []);
      shard.log = [];
    } catch (error) {
      // The log still holds every tick since the last checkpoint: the next tick rebuilds from it.
      if (!(error instanceof WorkerCrashedError)) throw error;
    }
  }

  /**
   * Brings the shard's replacement worker to its state after tick `known`: from its checkpoints
   * and input ring (shared memory; a checkpoint may already hold the tick after, in flight when
   * the worker died, and its scores), or from the pool's checkpoint and log. Returns the tick reached.
   */
  async #rebuild(shard: Shard, known: number): Promise<number> {
    if (shard.shared) return shard.pool.run('recover', [shard.shared.memory, this.params, known]);
    await shard.pool.run('open', [shard.size, shard.checkpoint]);
    const stamps = Float64Array.from(shard.log, (entry) => entry.ts);
    const block = new Float64Array(shard.log.length * shard.size);
    shard.log.forEach((entry, t) => block.set(entry.values, t * shard.size));
    await shard.pool.run('replay', [stamps, block], [stamps.buffer, block.buffer]);
    return known;
  }

  /**
   * Runs `attempt`, told whether the shard's worker died since it last answered (in a call, or
   * idle between ticks: its replacement then holds nothing yet), and again after each crash in
   * it, a few times at most.
   */
  async #withRecovery(shard: Shard, attempt: (crashed: boolean) => Promise<void>): Promise<void> {
    for (let tries = 0, failed = false; ; tries++) {
      const crashed = failed || shard.pool.crashes !== shard.crashes;
      if (crashed) this.restarts++;
      shard.crashes = shard.pool.crashes;
      try {
        return await attempt(crashed);
      } catch (error) {
        if (!(error instanceof WorkerCrashedError) || tries >= MAX_RECOVERIES) throw error;
        failed = true;
      }
    }
  }
}

function detectorWorker(source: WorkerSource | undefined): WorkerPool<DetectorWorkerApi> {
  return new WorkerPool<DetectorWorkerApi>(
    source ?? {
      url: workerEntry(new URL('../../../workers/detector.ts', import.meta.url), import.meta.url),
      // The literal form that Vite recognises and bundles (TOOLCHAIN gotcha 6).
      create:
        runtimeName() === 'browser'
          ? () => new Worker(new URL('../../../workers/detector.ts', import.meta.url), { type: 'module' })
          : undefined,
    },
    { size: 1 },
  );
}
