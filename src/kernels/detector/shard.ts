/**
 * One shard of a `DetectorPool` as its worker holds it (workers/detector.ts exposes
 * `shardWorkerApi()`): a DetectorBank of the shard's series. Where memory can be shared, the
 * shard works on buffers its pool allocated (`sharedShard`): it reads each tick's values from an
 * input ring, writes its scores in place, and after answering checkpoints one chunk of its state
 * into shared memory that outlives the worker. A replacement worker restores from those chunks
 * and replays the ring up to the tick its predecessor died at, so a crash changes no score.
 * Without shared memory, values and scores travel in messages and the pool keeps the checkpoint.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { type BankState, DetectorBank } from './detector.ts';
import { type DetectorParams, checkParams, stateLayout } from './params.ts';

/** What a detector worker offers its pool: one shard of a `DetectorBank`, state kept in the worker. */
export interface DetectorWorkerApi {
  /**
   * Starts a fresh shard of `size` series, or continues from a saved state; with `shared`, it
   * works on those buffers (`tick`) and checkpoints into them from now on.
   */
  open(size: number, saved?: BankState, shared?: SharedShard): Promise<void>;
  /**
   * Rebuilds a shard whose worker died from `shared`'s checkpoints and input ring, up to tick
   * `known` (the last tick the pool saw answered) or further if a checkpoint already holds a later
   * one; returns the tick reached. When that is the tick in flight, its scores are in `shared`.
   */
  recover(shared: SharedShard, params: DetectorParams, known: number): Promise<number>;
  /** Scores tick `n` (the ticks are numbered from 1, each once) from the input ring's slot. */
  tick(n: number): void;
  /** Scores one tick sent in the message: `values[k]` goes to series k of the shard; returns the scores. */
  update(ts: number, values: Float64Array): Float64Array;
  /** Feeds ticks again after a restart: `values` holds `stamps.length` ticks of the shard, tick-major. */
  replay(stamps: Float64Array, values: Float64Array): void;
  /** The shard's state, to continue elsewhere. */
  save(): BankState;
}

/** The memory a shard shares with its pool (all SharedArrayBuffers; made by `sharedShard`). */
export interface SharedShard {
  /** Series in the shard. */
  readonly size: number;
  /** Series per checkpoint chunk (one chunk is checkpointed per tick). */
  readonly chunk: number;
  /** Slots of the input ring: tick n's values are in slot n % slots. */
  readonly slots: number;
  /** The input ring: `slots * size` f64, slot after slot. */
  readonly values: SharedArrayBuffer;
  /** Each slot's timestamp: `slots` f64. */
  readonly stamps: SharedArrayBuffer;
  /** The shard's scores of its last tick: `size` f64. */
  readonly scores: SharedArrayBuffer;
  /** Every series' state as of its chunk's last checkpoint: `size * stateLength` f64. */
  readonly checkpoint: SharedArrayBuffer;
  /** One chunk on its way into `checkpoint` (a crash mid-copy leaves it whole here). */
  readonly staging: SharedArrayBuffer;
  /** Int32: the tick each chunk's checkpoint holds, then the staged chunk (-1: none) and its tick. */
  readonly marks: SharedArrayBuffer;
}

/**
 * Allocates a shard's shared memory: every series is checkpointed within `checkpointEvery` ticks
 * (one chunk a tick), and the input ring keeps the ticks a recovery may need to replay.
 */
export function sharedShard(size: number, params: DetectorParams, checkpointEvery: number): SharedShard {
  if (!Number.isInteger(size) || size < 1)
    throw new ArgumentError('size', `expected an integer >= 1, got ${size}`);
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1)
    throw new ArgumentError('checkpointEvery', `expected an integer >= 1, got ${checkpointEvery}`);
  const L = stateLayout(checkParams(params)).length;
  const chunk = Math.ceil(size / Math.min(size, checkpointEvery));
  const chunks = Math.ceil(size / chunk);
  // The oldest checkpoint is `chunks` ticks old, and one more tick may be in flight.
  const slots = chunks + 2;
  const f64 = (n: number) => new SharedArrayBuffer(n * 8);
  const marks = new Int32Array(new SharedArrayBuffer((chunks + 2) * 4));
  marks[chunks] = -1;
  return {
    size,
    chunk,
    slots,
    values: f64(slots * size),
    stamps: f64(slots),
    scores: f64(size),
    checkpoint: f64(size * L),
    staging: f64(chunk * L),
    marks: marks.buffer as SharedArrayBuffer,
  };
}

/** The typed views of a `SharedShard`. */
class SharedViews {
  readonly values: Float64Array;
  readonly stamps: Float64Array;
  readonly scores: Float64Array;
  readonly checkpoint: Float64Array;
  readonly staging: Float64Array;
  readonly marks: Int32Array;
  readonly chunks: number;

  constructor(readonly memory: SharedShard) {
    this.values = new Float64Array(memory.values);
    this.stamps = new Float64Array(memory.stamps);
    this.scores = new Float64Array(memory.scores);
    this.checkpoint = new Float64Array(memory.checkpoint);
    this.staging = new Float64Array(memory.staging);
    this.marks = new Int32Array(memory.marks);
    this.chunks = this.marks.length - 2;
  }

  /** The series of chunk `c`: first and count. */
  span(c: number): [number, number] {
    const first = c * this.memory.chunk;
    return [first, Math.min(this.memory.chunk, this.memory.size - first)];
  }
}

/** The worker-side shard; `shardWorkerApi` exposes it. */
class ShardHost implements DetectorWorkerApi {
  #bank: DetectorBank | undefined;
  #shared: SharedViews | undefined;
  /** Ticks applied (shared mode). */
  #ticks = 0;
  /** The tick whose chunk checkpoint is due, or -1. */
  #due = -1;

  async open(size: number, saved?: BankState, shared?: SharedShard): Promise<void> {
    const bank = saved ? await DetectorBank.restore(saved) : await DetectorBank.create(size);
    if (bank.size !== size) throw new ArgumentError('saved', `holds ${bank.size} series, expected ${size}`);
    this.#bank = bank;
    this.#shared = undefined;
    if (!shared) return;
    const views = this.#attach(shared, bank);
    bank.readState(0, size, views.checkpoint);
    views.marks.fill(0, 0, views.chunks);
    Atomics.store(views.marks, views.chunks, -1);
    this.#ticks = 0;
  }

  async recover(shared: SharedShard, params: DetectorParams, known: number): Promise<number> {
    const bank = await DetectorBank.create(shared.size, { params });
    const views = this.#attach(shared, bank);
    const { marks, chunks, checkpoint, staging, values, stamps } = views;
    const L = bank.stateLength;
    const staged = Atomics.load(marks, chunks);
    if (staged >= 0) {
      const [first, count] = views.span(staged);
      checkpoint.set(staging.subarray(0, count * L), first * L);
      Atomics.store(marks, staged, Atomics.load(marks, chunks + 1));
      Atomics.store(marks, chunks, -1);
    }
    bank.writeState(0, checkpoint);
    let reached = known;
    for (let c = 0; c < chunks; c++) reached = Math.max(reached, marks[c]);
    const { slots, size } = shared;
    for (let c = 0; c < chunks; c++) {
      const from = marks[c] + 1;
      const ticks = reached - from + 1;
      if (ticks <= 0) continue;
      if (reached - marks[c] >= slots)
        throw new ArgumentError('known', `tick ${known} is past the input ring of ${slots} ticks`);
      const times = new Float64Array(ticks);
      for (let t = 0; t < ticks; t++) times[t] = stamps[(from + t) % slots];
      const points = new Float64Array(ticks);
      const [first, count] = views.span(c);
      for (let k = first; k < first + count; k++) {
        for (let t = 0; t < ticks; t++) points[t] = values[((from + t) % slots) * size + k];
        bank.updateSeries(k, times, points);
      }
    }
    this.#ticks = reached;
    return reached;
  }

  tick(n: number): void {
    const views = this.#shared;
    const bank = this.#open();
    if (!views) throw new ArgumentError('shard', 'open() the shard with shared memory before tick()');
    this.#checkpoint();
    if (n !== this.#ticks + 1) throw new ArgumentError('n', `expected tick ${this.#ticks + 1}, got ${n}`);
    const { size, slots } = views.memory;
    const slot = n % slots;
    bank.update(views.stamps[slot], views.values.subarray(slot * size, (slot + 1) * size), views.scores);
    this.#ticks = n;
    // After the answer is sent: the checkpoint then overlaps the pool's own work on the scores.
    this.#due = n;
    setTimeout(() => this.#checkpoint(), 0);
  }

  update(ts: number, values: Float64Array): Float64Array {
    return this.#open().update(ts, values);
  }

  replay(stamps: Float64Array, values: Float64Array): void {
    const bank = this.#open();
    if (values.length !== stamps.length * bank.size)
      throw new DimensionError('values', `expected ${stamps.length} ticks of ${bank.size} series`);
    for (let t = 0; t < stamps.length; t++)
      bank.update(stamps[t], values.subarray(t * bank.size, (t + 1) * bank.size));
  }

  save(): BankState {
    this.#checkpoint();
    return this.#open().save();
  }

  #open(): DetectorBank {
    if (!this.#bank) throw new ArgumentError('shard', 'open() the shard first');
    return this.#bank;
  }

  #attach(shared: SharedShard, bank: DetectorBank): SharedViews {
    const views = new SharedViews(shared);
    if (views.checkpoint.length !== shared.size * bank.stateLength)
      throw new DimensionError('shared.checkpoint', `expected ${shared.size * bank.stateLength} f64`);
    this.#bank = bank;
    this.#shared = views;
    this.#due = -1;
    return views;
  }

  /** Checkpoints the chunk due, through the staging buffer so a crash mid-copy loses nothing. */
  #checkpoint(): void {
    const views = this.#shared;
    const tick = this.#due;
    if (!views || tick < 0) return;
    this.#due = -1;
    const { marks, chunks } = views;
    const c = tick % chunks;
    const [first, count] = views.span(c);
    const bank = this.#open();
    bank.readState(first, count, views.staging);
    Atomics.store(marks, chunks + 1, tick);
    Atomics.store(marks, chunks, c);
    views.checkpoint.set(views.staging.subarray(0, count * bank.stateLength), first * bank.stateLength);
    Atomics.store(marks, c, tick);
    Atomics.store(marks, chunks, -1);
  }
}

/** The API a detector worker exposes (workers/detector.ts): one shard, fresh until opened. */
export function shardWorkerApi(): DetectorWorkerApi {
  const host = new ShardHost();
  return {
    open: (size, saved, shared) => host.open(size, saved, shared),
    recover: (shared, params, known) => host.recover(shared, params, known),
    tick: (n) => host.tick(n),
    update: (ts, values) => host.update(ts, values),
    replay: (stamps, values) => host.replay(stamps, values),
    save: () => host.save(),
  };
}
