/**
 * A pool of workers that expose one comlink API (see expose.ts). Calls go to the least busy
 * worker; a worker that dies is replaced and the calls it had in flight reject at once with
 * WorkerCrashedError; `close()` drains or rejects what is pending with PoolClosedError.
 */
import * as Comlink from 'comlink';
import { ArgumentError, PoolClosedError, WorkerCrashedError } from '../errors.ts';
import { checkInt } from '../validate.ts';
import { defaultPoolSize } from './detect.ts';
import { spawnWorker, type SpawnedWorker, type WorkerSource } from './spawn.ts';

/** Pool settings. */
export interface PoolOptions {
  /** Number of workers; default `defaultPoolSize()` (cores - 1, at least 1). */
  size?: number;
  /** A worker that has not posted READY after this many ms is a failed start. Default 30,000. */
  startTimeout?: number;
  /**
   * A call that has not returned this many ms after it was sent (time queued behind other calls
   * to the same worker included) means a hung worker: it is terminated and replaced, and its
   * in-flight calls reject with WorkerCrashedError. Default: no limit.
   */
  callTimeout?: number;
}

/** Options of `close`. */
export interface CloseOptions {
  /** true (default): let in-flight calls finish first; false: reject them with PoolClosedError. */
  drain?: boolean;
}

/** Names of the function-valued members of an API. */
export type MethodOf<Api> = {
  [K in keyof Api]: Api[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Api];

/** The argument tuple and awaited result of method `K` of `Api`, as `run` takes and returns them. */
export type MethodCall<Api, K extends MethodOf<Api>> = Api[K] extends (...args: infer A) => infer R
  ? { args: A; result: Awaited<R> }
  : never;

/** One started (or starting) worker and the calls sent to it. */
interface Life<Api> {
  worker: SpawnedWorker;
  remote: Promise<Comlink.Remote<Api>>;
  /** Rejecters of the calls sent to this worker that have not settled. */
  pending: Set<(error: Error) => void>;
}

interface Slot<Api> {
  life: Life<Api> | undefined;
  busy: number;
}

/** A fixed-size pool of workers running `source`, whose comlink API is `Api`. */
export class WorkerPool<Api extends object> {
  /** Number of workers. */
  readonly size: number;
  readonly #source: WorkerSource;
  readonly #startTimeout: number;
  readonly #callTimeout: number | undefined;
  readonly #slots: Slot<Api>[];
  readonly #inFlight = new Set<Promise<unknown>>();
  #next = 0;
  #closed = false;
  #crashes = 0;

  /** Workers start lazily, on their first call, or all at once with `start()`. */
  constructor(source: WorkerSource, options: PoolOptions = {}) {
    if (typeof source !== 'object' || source === null || !(source.url instanceof URL)) {
      throw new ArgumentError('source', 'expected { url: URL, create?: () => Worker }');
    }
    if (source.create !== undefined && typeof source.create !== 'function') {
      throw new ArgumentError('source.create', 'expected a function returning a Worker');
    }
    this.#source = source;
    this.size = checkInt('size', options.size ?? defaultPoolSize(), 1, 1024);
    this.#startTimeout = checkInt('startTimeout', options.startTimeout ?? 30_000, 1);
    this.#callTimeout =
      options.callTimeout === undefined ? undefined : checkInt('callTimeout', options.callTimeout, 1);
    this.#slots = Array.from({ length: this.size }, () => ({ life: undefined, busy: 0 }));
  }

  /** Workers that died or hung after starting (and were replaced) since the pool was made. */
  get crashes(): number {
    return this.#crashes;
  }

  /** Calls in flight, per worker. */
  get load(): number[] {
    return this.#slots.map((slot) => slot.busy);
  }

  /** Starts every worker now rather than on first use; rejects if one cannot start. */
  async start(): Promise<void> {
    if (this.#closed) throw new PoolClosedError('the worker pool is closed');
    await Promise.all(this.#slots.map((slot) => this.#life(slot).remote));
  }

  /**
   * Calls `method` with `args` on the least busy worker. `transfer` lists buffers to move rather
   * than copy (see `transferablesOf`); comlink remembers them on the first object argument, so
   * pass a fresh object with each transferring call.
   */
  run<K extends MethodOf<Api>>(
    method: K,
    args: MethodCall<Api, K>['args'],
    transfer: Transferable[] = [],
  ): Promise<MethodCall<Api, K>['result']> {
    if (!Array.isArray(args))
      return Promise.reject(new ArgumentError('args', 'expected an array of arguments'));
    if (transfer.length > 0) {
      const carrier = args.find((arg: unknown) => typeof arg === 'object' && arg !== null);
      if (carrier === undefined) {
        return Promise.reject(new ArgumentError('transfer', 'needs an object argument to carry it'));
      }
      Comlink.transfer(carrier, transfer);
    }
    return this.#call((remote) => {
      const fn = remote[method as unknown as keyof typeof remote] as unknown;
      return (fn as (...a: unknown[]) => Promise<MethodCall<Api, K>['result']>)(...args);
    });
  }

  /** Runs `task` with the least busy worker's comlink proxy. */
  #call<R>(task: (remote: Comlink.Remote<Api>) => Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    const slot = this.#leastBusy();
    const life = this.#life(slot);
    let fail: (error: Error) => void = () => {};
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const outcome = new Promise<R>((resolve, reject) => {
      fail = reject;
      life.remote
        .then((remote) => {
          if (this.#callTimeout !== undefined)
            deadline = setTimeout(() => this.#hung(slot, life), this.#callTimeout);
          return task(remote);
        })
        .then(resolve, reject);
    });
    life.pending.add(fail);
    slot.busy++;
    const done = outcome.finally(() => {
      clearTimeout(deadline);
      life.pending.delete(fail);
      slot.busy--;
      this.#inFlight.delete(done);
    });
    this.#inFlight.add(done);
    return done;
  }

  /**
   * Stops accepting calls, then waits for the calls in flight (`drain`, the default: a call that
   * never returns keeps it waiting) or rejects them with PoolClosedError (`drain: false`), and
   * terminates every worker. Idempotent.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    this.#closed = true;
    if (options.drain === false) {
      const closed = new PoolClosedError('the worker pool was closed before the call finished');
      for (const slot of this.#slots) if (slot.life) rejectAll(slot.life, closed);
    } else {
      await Promise.allSettled([...this.#inFlight]);
    }
    const lives = this.#slots.flatMap((slot) => (slot.life ? [slot.life] : []));
    for (const slot of this.#slots) slot.life = undefined;
    await Promise.all(lives.map((life) => life.worker.terminate()));
  }

  #leastBusy(): Slot<Api> {
    // Scanning from a moving start lets equally idle workers take turns.
    let best = this.#slots[this.#next];
    for (let i = 1; i < this.size; i++) {
      const slot = this.#slots[(this.#next + i) % this.size];
      if (slot.busy < best.busy) best = slot;
    }
    this.#next = (this.#next + 1) % this.size;
    return best;
  }

  /** The slot's worker, started if it has none. */
  #life(slot: Slot<Api>): Life<Api> {
    if (slot.life) return slot.life;
    const worker = spawnWorker(this.#source, this.#startTimeout, (error) => this.#died(slot, life, error));
    const life: Life<Api> = {
      worker,
      remote: worker.ready.then((endpoint) => Comlink.wrap<Api>(endpoint)),
      pending: new Set(),
    };
    // A worker that cannot start fails the calls waiting on it; the slot's next call tries afresh
    // (no restart loop for an entry that can never start).
    life.remote.catch(() => {
      if (slot.life === life) slot.life = undefined;
    });
    slot.life = life;
    return life;
  }

  #hung(slot: Slot<Api>, life: Life<Api>): void {
    void life.worker.terminate();
    this.#died(
      slot,
      life,
      new WorkerCrashedError(`a call got no answer within ${this.#callTimeout} ms; worker replaced`),
    );
  }

  #died(slot: Slot<Api>, life: Life<Api>, error: WorkerCrashedError): void {
    rejectAll(life, error);
    if (slot.life !== life || this.#closed) return;
    this.#crashes++;
    slot.life = undefined;
    this.#life(slot);
  }
}

function rejectAll<Api>(life: Life<Api>, error: Error): void {
  for (const fail of life.pending) fail(error);
  life.pending.clear();
}
