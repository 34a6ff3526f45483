// Drift measures: fixed-bin histograms and the two-sample Kolmogorov-Smirnov distance.

/**
 * Adds `len` values into `bins` f64 counts over [lo, hi): bin = floor((x - lo) * scale), clamped
 * to [0, bins - 1], so out-of-range values and infinities land in the edge bins. NaN values are
 * skipped; returns how many.
 */
export function histogramAdd(
  values: usize, len: i32, lo: f64, scale: f64, bins: i32, counts: usize,
): i32 {
  let rejected: i32 = 0;
  let i: i32 = 0;
  const top = <f64>(bins - 1);
  if (ASC_FEATURE_SIMD) {
    // The bin index arithmetic runs two lanes at a time; the increments are scattered, so scalar.
    const vlo = f64x2.splat(lo);
    const vscale = f64x2.splat(scale);
    const vtop = f64x2.splat(top);
    const zero = f64x2.splat(0.0);
    for (; i + 2 <= len; i += 2) {
      const x = v128.load(values + (<usize>i << 3));
      const ok = f64x2.eq(x, x);
      const t = f64x2.mul(f64x2.sub(x, vlo), vscale);
      const bin = i32x4.trunc_sat_f64x2_s_zero(f64x2.floor(f64x2.pmin(f64x2.pmax(t, zero), vtop)));
      if (i64x2.extract_lane(ok, 0) != 0) {
        const p = counts + (<usize>i32x4.extract_lane(bin, 0) << 3);
        store<f64>(p, load<f64>(p) + 1.0);
      } else rejected++;
      if (i64x2.extract_lane(ok, 1) != 0) {
        const p = counts + (<usize>i32x4.extract_lane(bin, 1) << 3);
        store<f64>(p, load<f64>(p) + 1.0);
      } else rejected++;
    }
  }
  for (; i < len; i++) {
    const x = load<f64>(values + (<usize>i << 3));
    if (x != x) {
      rejected++;
      continue;
    }
    const t = (x - lo) * scale;
    const bin = <i32>Math.floor(t < 0.0 ? 0.0 : t > top ? top : t);
    const p = counts + (<usize>bin << 3);
    store<f64>(p, load<f64>(p) + 1.0);
  }
  return rejected;
}

// Radix keys: the f64 bit pattern flipped so that unsigned integer order is numeric order.
// -0 is first turned into +0 (x + 0.0) so that equal numbers get equal keys.
// @ts-ignore: decorator
@inline
function toKey(x: f64): u64 {
  const bits = reinterpret<u64>(x + 0.0);
  return (bits >> 63) != 0 ? ~bits : bits | 0x8000000000000000;
}

const DIGIT_BITS: u64 = 11;
const DIGITS: i32 = 1 << 11;
const PASSES: i32 = 6; // 6 * 11 >= 64

/**
 * Converts `len` f64 at `data` to radix keys and sorts them in place (LSD radix sort, six 11-bit
 * passes, stable). `scratch` holds len u64; `counts` holds 2048 u32.
 */
export function sortKeys(data: usize, len: i32, scratch: usize, counts: usize): void {
  for (let i: i32 = 0; i < len; i++) {
    const p = data + (<usize>i << 3);
    store<u64>(p, toKey(load<f64>(p)));
  }
  let src = data;
  let dst = scratch;
  for (let pass: i32 = 0; pass < PASSES; pass++) {
    const shift = <u64>pass * DIGIT_BITS;
    memory.fill(counts, 0, <usize>DIGITS << 2);
    for (let i: i32 = 0; i < len; i++) {
      const d = <usize>((load<u64>(src + (<usize>i << 3)) >> shift) & <u64>(DIGITS - 1));
      store<u32>(counts + (d << 2), load<u32>(counts + (d << 2)) + 1);
    }
    let sum: u32 = 0;
    for (let d: i32 = 0; d < DIGITS; d++) {
      const c = load<u32>(counts + (<usize>d << 2));
      store<u32>(counts + (<usize>d << 2), sum);
      sum += c;
    }
    for (let i: i32 = 0; i < len; i++) {
      const key = load<u64>(src + (<usize>i << 3));
      const d = <usize>((key >> shift) & <u64>(DIGITS - 1));
      const at = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), at + 1);
      store<u64>(dst + (<usize>at << 3), key);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // An even number of passes leaves the sorted keys back in `data`.
}

/**
 * Two-sample KS distance sup |Fa - Fb| between the sorted key arrays a (na) and b (nb), both
 * non-empty: a merge walk that steps past every copy of the smaller key before comparing.
 */
export function ksSorted(a: usize, na: i32, b: usize, nb: i32): f64 {
  let i: i32 = 0;
  let j: i32 = 0;
  let d: f64 = 0;
  const fa = <f64>na;
  const fb = <f64>nb;
  while (i < na && j < nb) {
    const ka = load<u64>(a + (<usize>i << 3));
    const kb = load<u64>(b + (<usize>j << 3));
    const k = ka <= kb ? ka : kb;
    while (i < na && load<u64>(a + (<usize>i << 3)) == k) i++;
    while (j < nb && load<u64>(b + (<usize>j << 3)) == k) j++;
    d = max<f64>(d, Math.abs(<f64>i / fa - <f64>j / fb));
  }
  return d;
}
