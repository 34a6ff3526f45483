// Similarity kernel, part: unit normalisation and int8 quantisation of rows and queries, in
// the layouts the int8 scans read. f64 in a fixed order that the TS twin reproduces bit for bit.
import { plainOffset, strassenCount } from './strassen';

/**
 * Scales each of `n` rows to unit L2 norm in place; all-zero rows stay zero. Squares are summed
 * in f64 in four partial sums (element i into sum i % 4), combined as (s0 + s1) + (s2 + s3).
 */
export function normalize(rows: usize, n: i32, stride: i32): void {
  for (let r = 0; r < n; r++) {
    const row = rows + (<usize>r * <usize>stride << 2);
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    for (let i = 0; i < stride; i += 4) {
      const p = row + (<usize>i << 2);
      const x0 = <f64>load<f32>(p), x1 = <f64>load<f32>(p, 4), x2 = <f64>load<f32>(p, 8), x3 = <f64>load<f32>(p, 12);
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
    }
    const sum = (s0 + s1) + (s2 + s3);
    if (sum == 0) continue;
    const inv = 1.0 / Math.sqrt(sum);
    for (let i = 0; i < stride; i++) {
      const p = row + (<usize>i << 2);
      store<f32>(p, <f32>(<f64>load<f32>(p) * inv));
    }
  }
}

/**
 * Quantises `n` f32 rows to int8 with one scale per row (max |x| / 127), writing `stride8`
 * bytes per row (zero padded) and the scales. Even bytes hold value + 128 (0..255), odd bytes
 * the value itself: read as a little-endian i16, bytes 2j and 2j+1 are then exactly
 * 256 * x[2j+1] + x[2j] + 128, which the scans multiply as loaded (see quantizeQueries), so a
 * row costs one shift per 16 bytes instead of two sign extensions.
 */
export function quantize(rows: usize, rows8: usize, scales: usize, n: i32, stride: i32, stride8: i32): void {
  for (let r = 0; r < n; r++) {
    const row = rows + (<usize>r * <usize>stride << 2);
    const out = rows8 + <usize>r * <usize>stride8;
    const max = maxAbs(row, stride);
    store<f32>(scales + (<usize>r << 2), <f32>(<f64>max / 127.0));
    const inv = quantInverse(max);
    for (let i = 0; i < stride8; i++) {
      const x = i < stride ? quantOne(row + (<usize>i << 2), inv) : 0;
      store<u8>(out + <usize>i, <u8>(i & 1 ? x : x + 128));
    }
  }
}

/**
 * Quantises `nq` f32 queries to int8 values (the query scale is a positive factor common to
 * every row, so ranking does not need it) and lays them out as i16 for i32x4.dot_i16x8_s
 * against the stored row pairs p_j = 256 * x[2j+1] + x[2j] + 128: each 16 dimensions become
 * eight e_j = q[2j] and eight o_j = q[2j+1] - 256 * q[2j] (all within i16), so that
 * p_j * e_j + (p_j >> 8) * o_j = x[2j] q[2j] + x[2j+1] q[2j+1] + 128 q[2j]; the scans subtract
 * the query's constant 128 * sum(e) (queryBias). Full groups of four queries are interleaved
 * chunk by chunk for the batched scan (see queryOffset); the last nq % 4 stand alone. A group
 * or a lone query starts at q16 + q * stride8 * 2 either way. In a batch of at least
 * STRASSEN_MIN queries the groups of the first strassenCount(nq) hold the plain values q[i] as
 * i16 instead, interleaved eight dimensions at a time (see plainOffset), for the Strassen scan.
 */
export function quantizeQueries(queries: usize, q16: usize, nq: i32, stride: i32, stride8: i32): void {
  const grouped = nq & ~3;
  const strassen = strassenCount(nq);
  for (let q = 0; q < nq; q++) {
    const row = queries + (<usize>q * <usize>stride << 2);
    const inv = quantInverse(maxAbs(row, stride));
    const group = q < grouped ? 4 : 1;
    const out = q16 + (<usize>(q & -group) * <usize>stride8 << 1);
    if (q < strassen) {
      for (let i = 0; i < stride8; i++) {
        store<i16>(out + plainOffset(q & 3, i), <i16>(i < stride ? quantOne(row + (<usize>i << 2), inv) : 0));
      }
      continue;
    }
    for (let i = 0; i < stride8; i += 2) {
      const e = i < stride ? quantOne(row + (<usize>i << 2), inv) : 0;
      const o = i + 1 < stride ? quantOne(row + (<usize>(i + 1) << 2), inv) : 0;
      const at = out + queryOffset(group, q & (group - 1), i);
      store<i16>(at, <i16>e);
      store<i16>(at, <i16>(o - 256 * e), 16);
    }
  }
}

// Byte offset of e for even dimension `i` of query `j` in a group of `group` queries (1 or 4);
// its o follows 16 bytes later. Per 16 dimensions the group holds, query after query, 32 bytes:
// the eight e (i & 14 is two bytes per pair), then the eight o, so one sequential stream feeds
// every query of the group.
// @ts-ignore: decorator
@inline
export function queryOffset(group: i32, j: i32, i: i32): usize {
  return <usize>(i >> 4) * <usize>(group << 5) + (<usize>j << 5) + <usize>(i & 14);
}

// 128 * the sum of a query's e values: what the stored +128 of even row bytes adds to every
// dot product with that query. `chunkBytes` is 32 for a lone query, 128 in a group of four.
export function queryBias(q: usize, bytes: i32, chunkBytes: i32): i32 {
  let sum: i32 = 0;
  for (let i = 0; i < bytes; i += 16) {
    const p = q + <usize>(i >> 4) * <usize>chunkBytes;
    for (let j = 0; j < 16; j += 2) sum += <i32>load<i16>(p + <usize>j);
  }
  return sum << 7;
}

function maxAbs(row: usize, stride: i32): f32 {
  let max: f32 = 0;
  for (let i = 0; i < stride; i++) max = Mathf.max(max, Mathf.abs(load<f32>(row + (<usize>i << 2))));
  return max;
}

// 127 / max|x| in f64 (0 for an all-zero row), so tiny rows do not overflow the multiplier.
function quantInverse(max: f32): f64 {
  return max == 0 ? 0 : 127.0 / <f64>max;
}

// @ts-ignore: decorator
@inline
function quantOne(p: usize, inv: f64): i32 {
  const v = nearest<f64>(<f64>load<f32>(p) * inv);
  return <i32>Math.max(-127, Math.min(127, v));
}
