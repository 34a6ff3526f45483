/**
 * Pure-TypeScript twin of assembly/stats.ts: the fallback where wasm SIMD is missing and the
 * oracle of the conformance tests. Each function mirrors one kernel export over typed arrays
 * instead of pointers, with the same f64 operations in the same order, so results are identical
 * bit for bit (IEEE f64 arithmetic and sqrt are exactly specified in JS and wasm alike).
 */
import { COUNT, CUSUM_NEG, CUSUM_POS, EWMA_MEAN, EWMA_VAR, EWMA_Z, M2, MAX, MEAN, MIN, Z } from './layout.ts';

/**
 * One value into series `i` of `state` (field f at `f * stride + i`); returns 1 if rejected.
 * See assembly/stats/moments.ts `step`.
 */
function step(
  state: Float64Array,
  stride: number,
  i: number,
  x: number,
  alpha: number,
  slack: number,
): number {
  if (!Number.isFinite(x)) {
    state[Z * stride + i] = NaN;
    state[EWMA_Z * stride + i] = NaN;
    return 1;
  }
  const n0 = state[COUNT * stride + i];
  const mean0 = state[MEAN * stride + i];
  const m20 = state[M2 * stride + i];
  const em0 = state[EWMA_MEAN * stride + i];
  const ev0 = state[EWMA_VAR * stride + i];

  const n1 = n0 + 1;
  const delta = x - mean0;
  const mean1 = mean0 + delta / n1;
  const m21 = m20 + delta * (x - mean1);
  // z against the state before x: a spike must not dilute its own score.
  const z = n0 >= 2 && delta !== 0 ? delta * Math.sqrt((n0 - 1) / m20) : 0;

  const ed = x - em0;
  const em1 = n0 === 0 ? x : em0 + alpha * ed;
  const ev1 = n0 === 0 ? 0 : (1 - alpha) * (ev0 + alpha * ed * ed);
  const ez = n0 >= 2 && ed !== 0 ? ed / Math.sqrt(ev0) : 0;

  state[COUNT * stride + i] = n1;
  state[MEAN * stride + i] = mean1;
  state[M2 * stride + i] = m21;
  state[EWMA_MEAN * stride + i] = em1;
  state[EWMA_VAR * stride + i] = ev1;
  state[MIN * stride + i] = Math.min(state[MIN * stride + i], x);
  state[MAX * stride + i] = Math.max(state[MAX * stride + i], x);
  state[CUSUM_POS * stride + i] = Math.max(0, state[CUSUM_POS * stride + i] + z - slack);
  state[CUSUM_NEG * stride + i] = Math.max(0, state[CUSUM_NEG * stride + i] - z - slack);
  state[Z * stride + i] = z;
  state[EWMA_Z * stride + i] = ez;
  return 0;
}

/** Twin of `batchUpdate`: values[i] into series i for i < n. Returns the rejected count. */
export function batchUpdate(
  state: Float64Array,
  stride: number,
  n: number,
  values: Float64Array,
  alpha: number,
  slack: number,
): number {
  let rejected = 0;
  for (let i = 0; i < n; i++) rejected += step(state, stride, i, values[i], alpha, slack);
  return rejected;
}

/** Twin of `seriesPush`: many values of one series (state of FIELDS values), in order. */
export function seriesPush(
  state: Float64Array,
  values: Float64Array,
  zOut: Float64Array,
  ewmaZOut: Float64Array,
  alpha: number,
  slack: number,
): number {
  let rejected = 0;
  for (let t = 0; t < values.length; t++) {
    rejected += step(state, 1, 0, values[t], alpha, slack);
    zOut[t] = state[Z];
    ewmaZOut[t] = state[EWMA_Z];
  }
  return rejected;
}

/** Windows of several series: series s's ring and sorted copy start at s * window; fill[s], head[s]. */
export interface WindowState {
  ring: Float64Array;
  sorted: Float64Array;
  fill: Int32Array;
  head: Int32Array;
}

function upperBound(sorted: Float64Array, base: number, len: number, x: number): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[base + mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(sorted: Float64Array, base: number, len: number, x: number): number {
  let lo = 0;
  let hi = len - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[base + mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function midpoint(a: number, b: number): number {
  const m = (a + b) * 0.5;
  return Number.isFinite(m) ? m : a * 0.5 + b * 0.5;
}

/** Twin of the window `push`: adds x to window `s`, evicting the oldest when full; 1 if rejected. */
function windowPush(w: WindowState, window: number, s: number, x: number): number {
  if (!Number.isFinite(x)) return 1;
  const base = s * window;
  const { ring, sorted } = w;
  const fill = w.fill[s];
  const head = w.head[s];
  if (fill === window) {
    const old = ring[base + head];
    ring[base + head] = x;
    w.head[s] = head + 1 === window ? 0 : head + 1;
    const out = indexOf(sorted, base, fill, old);
    const at = upperBound(sorted, base, fill, x);
    if (at > out) {
      sorted.copyWithin(base + out, base + out + 1, base + at);
      sorted[base + at - 1] = x;
    } else {
      sorted.copyWithin(base + at + 1, base + at, base + out);
      sorted[base + at] = x;
    }
    return 0;
  }
  const slot = head + fill >= window ? head + fill - window : head + fill;
  ring[base + slot] = x;
  const at = upperBound(sorted, base, fill, x);
  sorted.copyWithin(base + at + 1, base + at, base + fill);
  sorted[base + at] = x;
  w.fill[s] = fill + 1;
  return 0;
}

/**
 * Rank k (0-based) among the absolute deviations from `med` of the window at `base` (fill
 * values): A(i) = med - sorted[l - i] and B(j) = sorted[l + 1 + j] - med are ascending runs, and
 * a binary search finds how many of the k + 1 smallest come from A.
 */
function deviationRank(
  sorted: Float64Array,
  base: number,
  fill: number,
  l: number,
  med: number,
  k: number,
): number {
  const n = fill - l - 1;
  const r = base + l + 1;
  let lo = Math.max(0, k + 1 - n);
  let hi = Math.min(k + 1, l + 1);
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    if (med - sorted[base + l - i] >= sorted[r + k - i] - med) hi = i;
    else lo = i + 1;
  }
  const j = k + 1 - lo;
  const a = lo > 0 ? med - sorted[base + l - lo + 1] : -Infinity;
  const b = j > 0 ? sorted[r + j - 1] - med : -Infinity;
  return Math.max(a, b);
}

/** Median and unscaled MAD of window `s` (NaN, NaN when empty), written to med[o] and mad[o]. */
function medianMad(
  w: WindowState,
  window: number,
  s: number,
  med: Float64Array,
  mad: Float64Array,
  o: number,
): void {
  const fill = w.fill[s];
  if (fill === 0) {
    med[o] = NaN;
    mad[o] = NaN;
    return;
  }
  const sorted = w.sorted;
  const base = s * window;
  const half = fill >> 1;
  if (fill & 1) {
    const m = sorted[base + half];
    med[o] = m;
    mad[o] = deviationRank(sorted, base, fill, half, m, half);
  } else {
    const m = midpoint(sorted[base + half - 1], sorted[base + half]);
    med[o] = m;
    mad[o] = midpoint(
      deviationRank(sorted, base, fill, half - 1, m, half - 1),
      deviationRank(sorted, base, fill, half - 1, m, half),
    );
  }
}

/** Twin of `windowUpdate`: values[s] into window s for s < n, median and MAD to med[s], mad[s]. */
export function windowUpdate(
  w: WindowState,
  window: number,
  n: number,
  values: Float64Array,
  med: Float64Array,
  mad: Float64Array,
): number {
  let rejected = 0;
  for (let s = 0; s < n; s++) {
    rejected += windowPush(w, window, s, values[s]);
    medianMad(w, window, s, med, mad, s);
  }
  return rejected;
}

/** Twin of `windowSeries`: many values through window 0, median and MAD after each one. */
export function windowSeries(
  w: WindowState,
  window: number,
  values: Float64Array,
  med: Float64Array,
  mad: Float64Array,
): number {
  let rejected = 0;
  for (let t = 0; t < values.length; t++) {
    rejected += windowPush(w, window, 0, values[t]);
    medianMad(w, window, 0, med, mad, t);
  }
  return rejected;
}

/** Twin of `histogramAdd`: counts[clamp(floor((x - lo) * scale))] += 1; returns the NaN count. */
export function histogramAdd(values: Float64Array, lo: number, scale: number, counts: Float64Array): number {
  const top = counts.length - 1;
  let rejected = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x !== x) {
      rejected++;
      continue;
    }
    const t = (x - lo) * scale;
    counts[Math.floor(t < 0 ? 0 : t > top ? top : t)] += 1;
  }
  return rejected;
}

/** Twin of `sortKeys` + `ksSorted`: sup |Fa - Fb| of two non-empty NaN-free samples. */
export function ksDistance(a: Float64Array, b: Float64Array): number {
  // +0 turns -0 into +0 so that equal numbers compare equal, as the kernel's radix keys do.
  const sa = Float64Array.from(a, (x) => x + 0).sort();
  const sb = Float64Array.from(b, (x) => x + 0).sort();
  const na = sa.length;
  const nb = sb.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < na && j < nb) {
    const k = sa[i] <= sb[j] ? sa[i] : sb[j];
    while (i < na && sa[i] === k) i++;
    while (j < nb && sb[j] === k) j++;
    d = Math.max(d, Math.abs(i / na - j / nb));
  }
  return d;
}
