// Sliding-window median and MAD per series: a ring buffer keeps arrival order (which value
// leaves next) and a sorted copy of the window gives order statistics. Insert and delete are a
// binary search plus one memory.copy of the values in between (bulk memory, O(window) bytes
// moved, no per-element loop); the MAD is a rank selection over two sorted runs, O(log window).
// Binary search beats a v128 linear rank count for any window above a few dozen values, so this
// file is deliberately scalar.
//
// Per series s: ring at `ring + s * window * 8`, sorted at `sorted + s * window * 8`,
// fill (values held) and head (oldest value's ring slot) as i32 at `fill + 4 s`, `head + 4 s`.

/** First index in sorted[0, len) whose value is > x (upper bound). */
// @ts-ignore: decorator
@inline
function upperBound(sorted: usize, len: i32, x: f64): i32 {
  let lo: i32 = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(sorted + (<usize>mid << 3)) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of one element equal to x in sorted[0, len); x is known to be present. */
// @ts-ignore: decorator
@inline
function indexOf(sorted: usize, len: i32, x: f64): i32 {
  let lo: i32 = 0;
  let hi = len - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(sorted + (<usize>mid << 3)) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Mean of two finite values without overflow and without losing subnormals. */
// @ts-ignore: decorator
@inline
function midpoint(a: f64, b: f64): f64 {
  const m = (a + b) * 0.5;
  return isFinite<f64>(m) ? m : a * 0.5 + b * 0.5;
}

/**
 * Adds `x` to one series' window, evicting the oldest value when full. Returns 1 if `x` was
 * rejected (NaN or infinite; window unchanged), else 0.
 */
// @ts-ignore: decorator
@inline
function push(ring: usize, sorted: usize, fillPtr: usize, headPtr: usize, window: i32, x: f64): i32 {
  if (!isFinite<f64>(x)) return 1;
  let fill = load<i32>(fillPtr);
  const head = load<i32>(headPtr);
  if (fill == window) {
    const slot = ring + (<usize>head << 3);
    const old = load<f64>(slot);
    store<f64>(slot, x);
    store<i32>(headPtr, head + 1 == window ? 0 : head + 1);
    // Move the values between the evicted and the inserted position by one slot, then write x.
    const out = indexOf(sorted, fill, old);
    const at = upperBound(sorted, fill, x);
    if (at > out) {
      const dst = at - 1;
      memory.copy(sorted + (<usize>out << 3), sorted + (<usize>(out + 1) << 3), <usize>(dst - out) << 3);
      store<f64>(sorted + (<usize>dst << 3), x);
    } else {
      memory.copy(sorted + (<usize>(at + 1) << 3), sorted + (<usize>at << 3), <usize>(out - at) << 3);
      store<f64>(sorted + (<usize>at << 3), x);
    }
    return 0;
  }
  let slot = head + fill;
  if (slot >= window) slot -= window;
  store<f64>(ring + (<usize>slot << 3), x);
  const at = upperBound(sorted, fill, x);
  memory.copy(sorted + (<usize>(at + 1) << 3), sorted + (<usize>at << 3), <usize>(fill - at) << 3);
  store<f64>(sorted + (<usize>at << 3), x);
  store<i32>(fillPtr, fill + 1);
  return 0;
}

/**
 * Rank `k` (0-based) among the absolute deviations from `med` of sorted[0, fill). Deviations of
 * the values at or below the median, A(i) = med - sorted[l - i], and of those above,
 * B(j) = sorted[l + 1 + j] - med, are two ascending runs; binary search finds how many of the
 * k + 1 smallest come from A. O(log fill), where a merge walk would be O(fill).
 */
// @ts-ignore: decorator
@inline
function deviationRank(sorted: usize, fill: i32, l: i32, med: f64, k: i32): f64 {
  const m = l + 1;
  const n = fill - m;
  const r = sorted + (<usize>m << 3);
  let lo = max<i32>(0, k + 1 - n);
  let hi = min<i32>(k + 1, m);
  // Smallest i (taken from A) with A(i) >= B(k - i): then the k + 1 smallest are A(0..i), B(0..j).
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    const a = med - load<f64>(sorted + (<usize>(l - i) << 3));
    const b = load<f64>(r + (<usize>(k - i) << 3)) - med;
    if (a >= b) hi = i;
    else lo = i + 1;
  }
  const j = k + 1 - lo;
  const a = lo > 0 ? med - load<f64>(sorted + (<usize>(l - lo + 1) << 3)) : -Infinity;
  const b = j > 0 ? load<f64>(r + (<usize>(j - 1) << 3)) - med : -Infinity;
  return max<f64>(a, b);
}

/** Writes the median and the MAD (median absolute deviation, unscaled) of sorted[0, fill). */
// @ts-ignore: decorator
@inline
function medianMad(sorted: usize, fill: i32, medOut: usize, madOut: usize): void {
  if (fill == 0) {
    store<f64>(medOut, NaN);
    store<f64>(madOut, NaN);
    return;
  }
  const half = fill >> 1;
  if (fill & 1) {
    const med = load<f64>(sorted + (<usize>half << 3));
    store<f64>(medOut, med);
    store<f64>(madOut, deviationRank(sorted, fill, half, med, half));
  } else {
    const med = midpoint(load<f64>(sorted + (<usize>(half - 1) << 3)), load<f64>(sorted + (<usize>half << 3)));
    store<f64>(medOut, med);
    store<f64>(madOut, midpoint(
      deviationRank(sorted, fill, half - 1, med, half - 1),
      deviationRank(sorted, fill, half - 1, med, half),
    ));
  }
}

/**
 * One new value per series into `n` windows of `window` values; writes each series' median and
 * MAD to med[i] and mad[i]. Returns how many values were rejected.
 */
export function windowUpdate(
  ring: usize, sorted: usize, fill: usize, head: usize, window: i32, n: i32,
  values: usize, med: usize, mad: usize,
): i32 {
  let rejected: i32 = 0;
  const wb = <usize>window << 3;
  for (let s: i32 = 0; s < n; s++) {
    const o = <usize>s;
    const x = load<f64>(values + (o << 3));
    rejected += push(ring + o * wb, sorted + o * wb, fill + (o << 2), head + (o << 2), window, x);
    medianMad(sorted + o * wb, load<i32>(fill + (o << 2)), med + (o << 3), mad + (o << 3));
  }
  return rejected;
}

/**
 * Many values of one series through one window, in order; writes the median and MAD after each
 * value to med[t] and mad[t]. Returns how many values were rejected.
 */
export function windowSeries(
  ring: usize, sorted: usize, fill: usize, head: usize, window: i32,
  values: usize, len: i32, med: usize, mad: usize,
): i32 {
  let rejected: i32 = 0;
  for (let t: i32 = 0; t < len; t++) {
    const o = <usize>t << 3;
    rejected += push(ring, sorted, fill, head, window, load<f64>(values + o));
    medianMad(sorted, load<i32>(fill), med + o, mad + o);
  }
  return rejected;
}
