/**
 * The engine's streaming detectors off the main thread: the series are split into shards, each
 * held by a worker of its own (workers/detector.ts), and every tick is scored by all shards in
 * parallel. It is a `BatchScorer` for the loop. A shard whose worker dies is reopened from its
 * last checkpoint; that tick it scores 0 and the restart is counted.
 */
import { ArgumentError, WorkerCrashedError } from '../../errors.ts';
import { defaultPoolSize, runtimeName } from '../../runtime/detect.ts';
import { WorkerPool } from '../../runtime/pool.ts';
import { workerEntry } from '../../runtime/spawn.ts';
import type { BankState } from './detector.ts';

/** What a detector worker offers its pool: one shard of a `DetectorBank`, state kept in the worker. */
export interface DetectorWorkerApi {
  /** Starts a fresh shard of `size` series, or continues from a saved state. */
  open(size: number, saved?: BankState): Promise<void>;
  /** Scores one tick: `values[k]` goes to series k of the shard; returns the scores. */
  update(ts: number, values: Float64Array): Float64Array;
  /** The shard's state, to continue elsewhere after a restart. */
  save(): BankState;
}

/** Options of `DetectorPool.open`. */
export interface DetectorPoolOptions {
  /** Number of shards (= workers); default `defaultPoolSize()`, never more than the series. */
  shards?: number;
  /** Ticks between state checkpoints used to reopen a crashed shard (default 600). */
  checkpointEvery?: number;
  /**
   * A saved bank of `series` series (e.g. `DetectorBank.save()` or `DetectorPool.save()` of an
   * earlier run) to continue from instead of fresh series; each shard takes its slice.
   */
  saved?: BankState;
}

interface Shard {
  pool: WorkerPool<DetectorWorkerApi>;
  start: number;
  size: number;
  checkpoint?: BankState;
}

/** Sharded detector bank in workers; create with `DetectorPool.open`, `close()` when done. */
export class DetectorPool {
  /** Shards reopened after their worker died. */
  restarts = 0;
  #ticks = 0;

  private constructor(
    /** Number of series. */
    readonly size: number,
    private readonly shards: Shard[],
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
    const per = Math.ceil(series / count);
    const shards: Shard[] = [];
    for (let start = 0; start < series; start += per) {
      const size = Math.min(per, series - start);
      // A restored shard's first checkpoint is its saved slice: a crash before the next one
      // reopens it from there rather than fresh.
      const checkpoint = saved && { ...saved, series: saved.series.slice(start, start + size) };
      shards.push({ pool: createDetectorWorker(), start, size, ...(checkpoint ? { checkpoint } : {}) });
    }
    try {
      await Promise.all(shards.map((s) => s.pool.run('open', [s.size, s.checkpoint])));
    } catch (error) {
      await Promise.all(shards.map((s) => s.pool.close()));
      throw error;
    }
    return new DetectorPool(series, shards, options.checkpointEvery ?? 600);
  }

  /** Every series' state, in series order (the shards' states joined): restorable as a bank or a pool. */
  async save(): Promise<BankState> {
    const parts = await Promise.all(this.shards.map((s) => s.pool.run('save', [])));
    return { version: parts[0].version, params: parts[0].params, series: parts.flatMap((p) => p.series) };
  }

  /** Scores one tick of every series (the loop's BatchScorer contract). */
  async update(ts: number, values: Float64Array, scores: Float64Array): Promise<void> {
    const checkpoint = ++this.#ticks % this.checkpointEvery === 0;
    await Promise.all(
      this.shards.map(async (shard) => {
        const slice = values.slice(shard.start, shard.start + shard.size);
        try {
          const result = await shard.pool.run('update', [ts, slice], [slice.buffer]);
          scores.set(result, shard.start);
          if (checkpoint) shard.checkpoint = await shard.pool.run('save', []);
        } catch (error) {
          if (!(error instanceof WorkerCrashedError)) throw error;
          this.restarts++;
          scores.fill(0, shard.start, shard.start + shard.size);
          await shard.pool.run('open', [shard.size, shard.checkpoint]);
        }
      }),
    );
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.pool.close()));
  }
}

function createDetectorWorker(): WorkerPool<DetectorWorkerApi> {
  return new WorkerPool<DetectorWorkerApi>(
    {
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
