// Streaming moments of many series at once, struct-of-arrays, in f64.
//
// State is 11 arrays of f64 (fields), field f of series i at `state + f * fieldBytes + 8 * i`.
// The field order below is shared with src/kernels/stats/layout.ts; change both or neither.
// f64, not f32: Welford over long series with a large offset (byte counters, latencies in ns)
// loses every significant digit in f32's 24-bit mantissa; f64 also makes the TS twin exact.

const COUNT: usize = 0;
const MEAN: usize = 1;
const M2: usize = 2;
const EWMA_MEAN: usize = 3;
const EWMA_VAR: usize = 4;
const MIN: usize = 5;
const MAX: usize = 6;
const CUSUM_POS: usize = 7;
const CUSUM_NEG: usize = 8;
const Z: usize = 9;
const EWMA_Z: usize = 10;

/**
 * One finite-or-not value `x` into the series at byte offset `o`. Returns 1 if `x` was rejected
 * (NaN or infinite: state unchanged, z and ewmaZ set to NaN), else 0. Scalar twin of the v128
 * path in `batchUpdate`: the same operations in the same order, so both give identical bits.
 */
// @ts-ignore: decorator
@inline
function step(state: usize, fb: usize, o: usize, x: f64, alpha: f64, slack: f64): i32 {
  const p = state + o;
  if (!isFinite<f64>(x)) {
    store<f64>(p + Z * fb, NaN);
    store<f64>(p + EWMA_Z * fb, NaN);
    return 1;
  }
  const n0 = load<f64>(p + COUNT * fb);
  const mean0 = load<f64>(p + MEAN * fb);
  const m20 = load<f64>(p + M2 * fb);
  const em0 = load<f64>(p + EWMA_MEAN * fb);
  const ev0 = load<f64>(p + EWMA_VAR * fb);

  const n1 = n0 + 1.0;
  const delta = x - mean0;
  const mean1 = mean0 + delta / n1;
  const m21 = m20 + delta * (x - mean1);
  // delta * sqrt((n - 1) / m2) is z = delta / sd with one division fewer than delta / sqrt(m2 / (n - 1)).
  const z = n0 >= 2.0 && delta != 0.0 ? delta * Math.sqrt((n0 - 1.0) / m20) : 0.0;

  const ed = x - em0;
  const em1 = n0 == 0.0 ? x : em0 + alpha * ed;
  const ev1 = n0 == 0.0 ? 0.0 : (1.0 - alpha) * (ev0 + alpha * ed * ed);
  const ez = n0 >= 2.0 && ed != 0.0 ? ed / Math.sqrt(ev0) : 0.0;

  store<f64>(p + COUNT * fb, n1);
  store<f64>(p + MEAN * fb, mean1);
  store<f64>(p + M2 * fb, m21);
  store<f64>(p + EWMA_MEAN * fb, em1);
  store<f64>(p + EWMA_VAR * fb, ev1);
  store<f64>(p + MIN * fb, min<f64>(load<f64>(p + MIN * fb), x));
  store<f64>(p + MAX * fb, max<f64>(load<f64>(p + MAX * fb), x));
  store<f64>(p + CUSUM_POS * fb, max<f64>(0.0, load<f64>(p + CUSUM_POS * fb) + z - slack));
  store<f64>(p + CUSUM_NEG * fb, max<f64>(0.0, load<f64>(p + CUSUM_NEG * fb) - z - slack));
  store<f64>(p + Z * fb, z);
  store<f64>(p + EWMA_Z * fb, ez);
  return 0;
}

/**
 * One new value per series: `values[i]` updates series i for i in [0, n). `fieldBytes` is the
 * distance between two fields (>= 8 * n, a multiple of 16). Returns how many values were rejected.
 */
export function batchUpdate(
  state: usize, fieldBytes: usize, n: i32, values: usize, alpha: f64, slack: f64,
): i32 {
  const fb = fieldBytes;
  let rejected: i32 = 0;
  let i: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f64x2.splat(0.0);
    const one = f64x2.splat(1.0);
    const two = f64x2.splat(2.0);
    const nan = f64x2.splat(NaN);
    const va = f64x2.splat(alpha);
    const vb = f64x2.splat(1.0 - alpha);
    const vk = f64x2.splat(slack);
    let rej = i64x2.splat(0);
    for (; i + 2 <= n; i += 2) {
      const p = state + (<usize>i << 3);
      const x = v128.load(values + (<usize>i << 3));
      const ok = f64x2.eq(f64x2.sub(x, x), zero); // all ones where x is finite
      rej = i64x2.add(rej, v128.not(ok)); // -1 per rejected lane, negated below
      const n0 = v128.load(p + COUNT * fb);
      const mean0 = v128.load(p + MEAN * fb);
      const m20 = v128.load(p + M2 * fb);
      const em0 = v128.load(p + EWMA_MEAN * fb);
      const ev0 = v128.load(p + EWMA_VAR * fb);
      const enough = f64x2.ge(n0, two);
      const first = f64x2.eq(n0, zero);

      const n1 = f64x2.add(n0, one);
      const delta = f64x2.sub(x, mean0);
      const mean1 = f64x2.add(mean0, f64x2.div(delta, n1));
      const m21 = f64x2.add(m20, f64x2.mul(delta, f64x2.sub(x, mean1)));
      let z = f64x2.mul(delta, f64x2.sqrt(f64x2.div(f64x2.sub(n0, one), m20)));
      z = v128.and(z, v128.and(enough, f64x2.ne(delta, zero)));

      const ed = f64x2.sub(x, em0);
      const em1 = v128.bitselect(x, f64x2.add(em0, f64x2.mul(va, ed)), first);
      const ev1 = v128.andnot(
        f64x2.mul(vb, f64x2.add(ev0, f64x2.mul(f64x2.mul(va, ed), ed))), first);
      let ez = f64x2.div(ed, f64x2.sqrt(ev0));
      ez = v128.and(ez, v128.and(enough, f64x2.ne(ed, zero)));

      const min0 = v128.load(p + MIN * fb);
      const max0 = v128.load(p + MAX * fb);
      const cp0 = v128.load(p + CUSUM_POS * fb);
      const cn0 = v128.load(p + CUSUM_NEG * fb);
      const cp1 = f64x2.max(zero, f64x2.sub(f64x2.add(cp0, z), vk));
      const cn1 = f64x2.max(zero, f64x2.sub(f64x2.sub(cn0, z), vk));

      v128.store(p + COUNT * fb, v128.bitselect(n1, n0, ok));
      v128.store(p + MEAN * fb, v128.bitselect(mean1, mean0, ok));
      v128.store(p + M2 * fb, v128.bitselect(m21, m20, ok));
      v128.store(p + EWMA_MEAN * fb, v128.bitselect(em1, em0, ok));
      v128.store(p + EWMA_VAR * fb, v128.bitselect(ev1, ev0, ok));
      v128.store(p + MIN * fb, v128.bitselect(f64x2.min(min0, x), min0, ok));
      v128.store(p + MAX * fb, v128.bitselect(f64x2.max(max0, x), max0, ok));
      v128.store(p + CUSUM_POS * fb, v128.bitselect(cp1, cp0, ok));
      v128.store(p + CUSUM_NEG * fb, v128.bitselect(cn1, cn0, ok));
      v128.store(p + Z * fb, v128.bitselect(z, nan, ok));
      v128.store(p + EWMA_Z * fb, v128.bitselect(ez, nan, ok));
    }
    rejected = -<i32>(i64x2.extract_lane(rej, 0) + i64x2.extract_lane(rej, 1));
  }
  for (; i < n; i++) {
    rejected += step(state, fb, <usize>i << 3, load<f64>(values + (<usize>i << 3)), alpha, slack);
  }
  return rejected;
}

/**
 * Many values of one series, in order (fields 8 bytes apart). Writes each value's z and ewmaZ
 * (against the state before it) to `zOut` and `ewmaZOut`. Returns how many were rejected.
 */
export function seriesPush(
  state: usize, values: usize, len: i32, zOut: usize, ewmaZOut: usize, alpha: f64, slack: f64,
): i32 {
  let rejected: i32 = 0;
  for (let t: i32 = 0; t < len; t++) {
    const o = <usize>t << 3;
    rejected += step(state, 8, 0, load<f64>(values + o), alpha, slack);
    store<f64>(zOut + o, load<f64>(state + Z * 8));
    store<f64>(ewmaZOut + o, load<f64>(state + EWMA_Z * 8));
  }
  return rejected;
}
