/**
 * Fixed-size windows for many series in one Float64Array (struct-of-arrays): series s owns
 * slots [s*capacity, (s+1)*capacity). No allocation per sample.
 */
export class SeriesWindows {
  /** Values of every series, series s in slots [s*capacity, (s+1)*capacity). */
  readonly values: Float64Array;
  /** The timestamp of each slot of `values`. */
  readonly timestamps: Float64Array;
  /** Next write position per series. */
  readonly #head: Uint32Array;
  /** Samples held per series (<= capacity). */
  readonly #count: Uint32Array;

  /**
   * Empty windows.
   * @param series how many series
   * @param capacity samples kept per series
   */
  constructor(
    readonly series: number,
    readonly capacity: number,
  ) {
    this.values = new Float64Array(series * capacity);
    this.timestamps = new Float64Array(series * capacity);
    this.#head = new Uint32Array(series);
    this.#count = new Uint32Array(series);
  }

  /** Appends one sample to series `s`, overwriting the oldest when full. */
  push(s: number, ts: number, value: number): void {
    const slot = s * this.capacity + this.#head[s];
    this.values[slot] = value;
    this.timestamps[slot] = ts;
    this.#head[s] = (this.#head[s] + 1) % this.capacity;
    if (this.#count[s] < this.capacity) this.#count[s]++;
  }

  /** Number of samples held for series `s`. */
  size(s: number): number {
    return this.#count[s];
  }

  /** The last `n` values of series `s`, oldest first (n is clamped to what is held). */
  last(s: number, n = this.capacity): { ts: number[]; values: number[] } {
    const count = Math.min(n, this.#count[s]);
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = count; i > 0; i--) {
      const slot = s * this.capacity + ((this.#head[s] - i + this.capacity) % this.capacity);
      ts.push(this.timestamps[slot]);
      values.push(this.values[slot]);
    }
    return { ts, values };
  }
}
