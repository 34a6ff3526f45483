// Vector similarity: dot, cosine and squared L2 of queries against an N x d f32 matrix held in
// this instance's memory, with exact top-k selection (a bounded heap per query) and an int8
// scalar-quantised scan whose candidates are rescored exactly in f32.
//
// Layout is owned by the host (src/kernels/similarity/wasm.ts). Rows are padded with zeros to
// `stride` floats (a multiple of 4) and int8 rows to `stride8` bytes (a multiple of 16), so the
// v128 loops need no tails; int8 rows keep their even bytes offset by +128 (see quantize).
// Heaps hold a key (higher is better: the score, or minus the L2 distance; NaN is stored as
// -Infinity) and a row slot; ties go to the lower external id (`ids[slot]`); slot SENTINEL
// marks an empty entry, worse than any real one. int8 dot products are exact integers: their
// partial sums may wrap modulo 2^32, but every final value lies within i32.
// Normalisation and quantisation run in f64 in a fixed order that the TS twin reproduces bit
// for bit; only the scoring loops are reordered by SIMD.
import { alignedHeapBase } from './lib/heap';

const SENTINEL: u32 = 0xffffffff;
const METRIC_L2: i32 = 2;
// Rows scanned per block in batched search: small enough to stay in L2 while every group of
// queries passes over it, so each row comes from main memory once per batch.
const ROW_BLOCK_BYTES: i32 = 192 * 1024;

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}

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
 * or a lone query starts at q16 + q * stride8 * 2 either way.
 */
export function quantizeQueries(queries: usize, q16: usize, nq: i32, stride: i32, stride8: i32): void {
  const grouped = nq & ~3;
  for (let q = 0; q < nq; q++) {
    const row = queries + (<usize>q * <usize>stride << 2);
    const inv = quantInverse(maxAbs(row, stride));
    const group = q < grouped ? 4 : 1;
    const out = q16 + (<usize>(q & -group) * <usize>stride8 << 1);
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
function queryOffset(group: i32, j: i32, i: i32): usize {
  return <usize>(i >> 4) * <usize>(group << 5) + (<usize>j << 5) + <usize>(i & 14);
}

// 128 * the sum of a query's e values: what the stored +128 of even row bytes adds to every
// dot product with that query. `chunkBytes` is 32 for a lone query, 128 in a group of four.
function queryBias(q: usize, bytes: i32, chunkBytes: i32): i32 {
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

// ---------------------------------------------------------------------------------------------
// Scoring. `dot`/`l2` return one key; the batched f32 versions (dot2x4, row4) score rows
// against four queries at once, leaving results in the globals below, so each row load feeds
// four accumulators. dotI84 returns its four int8 sums as one vector.

let k0: f32 = 0;
let k1: f32 = 0;
let k2: f32 = 0;
let k3: f32 = 0;
let k4: f32 = 0;
let k5: f32 = 0;
let k6: f32 = 0;
let k7: f32 = 0;

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

function dot(a: usize, b: usize, bytes: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let i = 0;
    for (; i + 64 <= bytes; i += 64) {
      const p = a + <usize>i, q = b + <usize>i;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(p), v128.load(q)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(p, 16), v128.load(q, 16)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(p, 32), v128.load(q, 32)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(p, 48), v128.load(q, 48)));
    }
    for (; i < bytes; i += 16) s0 = f32x4.add(s0, f32x4.mul(v128.load(a + <usize>i), v128.load(b + <usize>i)));
    return hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = 0; i < bytes; i += 16) {
      const p = a + <usize>i, q = b + <usize>i;
      s0 += load<f32>(p) * load<f32>(q);
      s1 += load<f32>(p, 4) * load<f32>(q, 4);
      s2 += load<f32>(p, 8) * load<f32>(q, 8);
      s3 += load<f32>(p, 12) * load<f32>(q, 12);
    }
    return (s0 + s1) + (s2 + s3);
  }
}

function l2(a: usize, b: usize, bytes: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let i = 0;
    for (; i + 64 <= bytes; i += 64) {
      const p = a + <usize>i, q = b + <usize>i;
      const d0 = f32x4.sub(v128.load(p), v128.load(q));
      const d1 = f32x4.sub(v128.load(p, 16), v128.load(q, 16));
      const d2 = f32x4.sub(v128.load(p, 32), v128.load(q, 32));
      const d3 = f32x4.sub(v128.load(p, 48), v128.load(q, 48));
      s0 = f32x4.add(s0, f32x4.mul(d0, d0));
      s1 = f32x4.add(s1, f32x4.mul(d1, d1));
      s2 = f32x4.add(s2, f32x4.mul(d2, d2));
      s3 = f32x4.add(s3, f32x4.mul(d3, d3));
    }
    for (; i < bytes; i += 16) {
      const d = f32x4.sub(v128.load(a + <usize>i), v128.load(b + <usize>i));
      s0 = f32x4.add(s0, f32x4.mul(d, d));
    }
    return -hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = 0; i < bytes; i += 16) {
      const p = a + <usize>i, q = b + <usize>i;
      const d0 = load<f32>(p) - load<f32>(q), d1 = load<f32>(p, 4) - load<f32>(q, 4);
      const d2 = load<f32>(p, 8) - load<f32>(q, 8), d3 = load<f32>(p, 12) - load<f32>(q, 12);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    return -((s0 + s1) + (s2 + s3));
  }
}

// Two rows (`row`, `row + bytes`) against four queries at `q`, `q + bytes`, ...: scores of the
// first row in k0..k3, of the second in k4..k7. Eight accumulators, and each load feeds
// several products (0.75 loads per product instead of 2).
function dot2x4(row: usize, q: usize, bytes: i32): void {
  const rb = row + <usize>bytes;
  const qa = q, qb = q + <usize>bytes, qc = qb + <usize>bytes, qd = qc + <usize>bytes;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let i = 0; i < bytes; i += 16) {
      const o = <usize>i;
      const r = v128.load(row + o), u = v128.load(rb + o);
      let x = v128.load(qa + o);
      a0 = f32x4.add(a0, f32x4.mul(r, x));
      b0 = f32x4.add(b0, f32x4.mul(u, x));
      x = v128.load(qb + o);
      a1 = f32x4.add(a1, f32x4.mul(r, x));
      b1 = f32x4.add(b1, f32x4.mul(u, x));
      x = v128.load(qc + o);
      a2 = f32x4.add(a2, f32x4.mul(r, x));
      b2 = f32x4.add(b2, f32x4.mul(u, x));
      x = v128.load(qd + o);
      a3 = f32x4.add(a3, f32x4.mul(r, x));
      b3 = f32x4.add(b3, f32x4.mul(u, x));
    }
    k0 = hsum(a0);
    k1 = hsum(a1);
    k2 = hsum(a2);
    k3 = hsum(a3);
    k4 = hsum(b0);
    k5 = hsum(b1);
    k6 = hsum(b2);
    k7 = hsum(b3);
  } else {
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    let b0: f32 = 0, b1: f32 = 0, b2: f32 = 0, b3: f32 = 0;
    for (let i = 0; i < bytes; i += 4) {
      const o = <usize>i;
      const r = load<f32>(row + o), u = load<f32>(rb + o);
      let x = load<f32>(qa + o);
      a0 += r * x;
      b0 += u * x;
      x = load<f32>(qb + o);
      a1 += r * x;
      b1 += u * x;
      x = load<f32>(qc + o);
      a2 += r * x;
      b2 += u * x;
      x = load<f32>(qd + o);
      a3 += r * x;
      b3 += u * x;
    }
    k0 = a0;
    k1 = a1;
    k2 = a2;
    k3 = a3;
    k4 = b0;
    k5 = b1;
    k6 = b2;
    k7 = b3;
  }
}

// One row against four queries at `q`, `q + bytes`, ...: dot products, or minus squared
// distances when `isL2`; results in k0..k3.
function row4(row: usize, q: usize, bytes: i32, isL2: bool): void {
  const qa = q, qb = q + <usize>bytes, qc = qb + <usize>bytes, qd = qc + <usize>bytes;
  if (ASC_FEATURE_SIMD) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    if (isL2) {
      for (let i = 0; i < bytes; i += 16) {
        const o = <usize>i;
        const r = v128.load(row + o);
        const d0 = f32x4.sub(r, v128.load(qa + o)), d1 = f32x4.sub(r, v128.load(qb + o));
        const d2 = f32x4.sub(r, v128.load(qc + o)), d3 = f32x4.sub(r, v128.load(qd + o));
        s0 = f32x4.add(s0, f32x4.mul(d0, d0));
        s1 = f32x4.add(s1, f32x4.mul(d1, d1));
        s2 = f32x4.add(s2, f32x4.mul(d2, d2));
        s3 = f32x4.add(s3, f32x4.mul(d3, d3));
      }
    } else {
      for (let i = 0; i < bytes; i += 16) {
        const o = <usize>i;
        const r = v128.load(row + o);
        s0 = f32x4.add(s0, f32x4.mul(r, v128.load(qa + o)));
        s1 = f32x4.add(s1, f32x4.mul(r, v128.load(qb + o)));
        s2 = f32x4.add(s2, f32x4.mul(r, v128.load(qc + o)));
        s3 = f32x4.add(s3, f32x4.mul(r, v128.load(qd + o)));
      }
    }
    k0 = hsum(s0);
    k1 = hsum(s1);
    k2 = hsum(s2);
    k3 = hsum(s3);
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = 0; i < bytes; i += 4) {
      const o = <usize>i;
      const r = load<f32>(row + o);
      let x0 = load<f32>(qa + o), x1 = load<f32>(qb + o), x2 = load<f32>(qc + o), x3 = load<f32>(qd + o);
      if (isL2) {
        x0 = r - x0;
        x1 = r - x1;
        x2 = r - x2;
        x3 = r - x3;
        s0 += x0 * x0;
        s1 += x1 * x1;
        s2 += x2 * x2;
        s3 += x3 * x3;
      } else {
        s0 += r * x0;
        s1 += r * x1;
        s2 += r * x2;
        s3 += r * x3;
      }
    }
    k0 = s0;
    k1 = s1;
    k2 = s2;
    k3 = s3;
  }
  if (isL2) {
    k0 = -k0;
    k1 = -k1;
    k2 = -k2;
    k3 = -k3;
  }
}

// Exact integer dot product of a stored int8 row and a lone query (quantizeQueries layout)
// whose queryBias is `bias`. Each 16 bytes: the row as eight i16 pairs times e, plus the odd
// bytes (one shift) times o. (i32x4.dot_i16x8_s maps to one pmaddwd on x64.)
function dotI8(row: usize, q: usize, bytes: i32, bias: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let s0 = i32x4.splat(0), s1 = i32x4.splat(0);
    for (let i = 0; i < bytes; i += 16) {
      const v = v128.load(row + <usize>i);
      const p = q + (<usize>i << 1);
      s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v, v128.load(p)));
      s1 = i32x4.add(s1, i32x4.dot_i16x8_s(i16x8.shr_s(v, 8), v128.load(p, 16)));
    }
    return isum(i32x4.add(s0, s1)) - bias;
  } else {
    let s: i32 = 0;
    for (let i = 0; i < bytes; i += 2) {
      const pair = <i32>load<i16>(row + <usize>i);
      const p = q + queryOffset(1, 0, i);
      s += pair * <i32>load<i16>(p) + (pair >> 8) * <i32>load<i16>(p, 16);
    }
    return s - bias;
  }
}

// One stored int8 row against a group of four queries (SIMD builds only): lane j of the result
// is the exact dot product with query j, whose queryBias is lane j of `bias`. The row needs
// one shift per 16 bytes, shared by the four queries.
function dotI84(row: usize, q: usize, bytes: i32, bias: v128): v128 {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  const end = row + <usize>bytes;
  for (let p = row; p < end; p += 16) {
    const v = v128.load(p);
    const odd = i16x8.shr_s(v, 8);
    s0 = i32x4.add(s0, i32x4.add(i32x4.dot_i16x8_s(v, v128.load(q)), i32x4.dot_i16x8_s(odd, v128.load(q, 16))));
    s1 = i32x4.add(s1, i32x4.add(i32x4.dot_i16x8_s(v, v128.load(q, 32)), i32x4.dot_i16x8_s(odd, v128.load(q, 48))));
    s2 = i32x4.add(s2, i32x4.add(i32x4.dot_i16x8_s(v, v128.load(q, 64)), i32x4.dot_i16x8_s(odd, v128.load(q, 80))));
    s3 = i32x4.add(s3, i32x4.add(i32x4.dot_i16x8_s(v, v128.load(q, 96)), i32x4.dot_i16x8_s(odd, v128.load(q, 112))));
    q += 128;
  }
  // Transpose-and-add: lane j becomes the total of s_j.
  const u0 = i32x4.add(v128.shuffle<i32>(s0, s1, 0, 4, 1, 5), v128.shuffle<i32>(s0, s1, 2, 6, 3, 7));
  const u1 = i32x4.add(v128.shuffle<i32>(s2, s3, 0, 4, 1, 5), v128.shuffle<i32>(s2, s3, 2, 6, 3, 7));
  return i32x4.sub(i32x4.add(v128.shuffle<i64>(u0, u1, 0, 2), v128.shuffle<i64>(u0, u1, 1, 3)), bias);
}

// @ts-ignore: decorator
@inline
function isum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// ---------------------------------------------------------------------------------------------
// Bounded heaps: a min-heap of `k` entries whose root is the worst kept result, so a new row
// costs one comparison against the root unless it belongs in the top k.

function resetHeaps(keys: usize, slots: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    store<f32>(keys + (<usize>i << 2), -Infinity);
    store<u32>(slots + (<usize>i << 2), SENTINEL);
  }
}

// True when entry (ka, sa) ranks below entry (kb, sb).
// @ts-ignore: decorator
@inline
function worse(ids: usize, ka: f32, sa: u32, kb: f32, sb: u32): bool {
  if (sa == SENTINEL) return sb != SENTINEL;
  if (sb == SENTINEL) return false;
  if (ka != kb) return ka < kb;
  return load<u32>(ids + (<usize>sa << 2)) > load<u32>(ids + (<usize>sb << 2));
}

// Moves entry (key, slot) down from the root of a heap of `size` entries.
function siftDown(ids: usize, keys: usize, slots: usize, size: i32, key: f32, slot: u32): void {
  let i = 0;
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let ck = load<f32>(keys + (<usize>c << 2)), cs = load<u32>(slots + (<usize>c << 2));
    if (c + 1 < size) {
      const rk = load<f32>(keys + (<usize>(c + 1) << 2)), rs = load<u32>(slots + (<usize>(c + 1) << 2));
      if (worse(ids, rk, rs, ck, cs)) {
        c++;
        ck = rk;
        cs = rs;
      }
    }
    if (!worse(ids, ck, cs, key, slot)) break;
    store<f32>(keys + (<usize>i << 2), ck);
    store<u32>(slots + (<usize>i << 2), cs);
    i = c;
  }
  store<f32>(keys + (<usize>i << 2), key);
  store<u32>(slots + (<usize>i << 2), slot);
}

// Offers a scored row to one query's heap. NaN keys count as -Infinity.
// @ts-ignore: decorator
@inline
function offer(ids: usize, keys: usize, slots: usize, k: i32, key: f32, slot: u32): void {
  if (key != key) key = -Infinity;
  const root = load<f32>(keys);
  if (key >= root && worse(ids, root, load<u32>(slots), key, slot)) siftDown(ids, keys, slots, k, key, slot);
}

// Offers k0..k3 (scores of row `slot`) to four consecutive heaps.
// @ts-ignore: decorator
@inline
function offer4(ids: usize, keys: usize, slots: usize, heapBytes: usize, k: i32, slot: u32): void {
  offer(ids, keys, slots, k, k0, slot);
  offer(ids, keys + heapBytes, slots + heapBytes, k, k1, slot);
  offer(ids, keys + 2 * heapBytes, slots + 2 * heapBytes, k, k2, slot);
  offer(ids, keys + 3 * heapBytes, slots + 3 * heapBytes, k, k3, slot);
}

// The root keys (worst kept entries) of four heaps `heapBytes` apart, as one vector.
// @ts-ignore: decorator
@inline
function heapRoots4(hk: usize, heapBytes: usize): v128 {
  return f32x4(load<f32>(hk), load<f32>(hk + heapBytes), load<f32>(hk + 2 * heapBytes), load<f32>(hk + 3 * heapBytes));
}

// Heapsort in place: the worst entry goes last each round, leaving the heap best-first.
function sortHeap(ids: usize, keys: usize, slots: usize, k: i32): void {
  for (let end = k - 1; end > 0; end--) {
    const p = <usize>end << 2;
    const key = load<f32>(keys + p), slot = load<u32>(slots + p);
    store<f32>(keys + p, load<f32>(keys));
    store<u32>(slots + p, load<u32>(slots));
    siftDown(ids, keys, slots, end, key, slot);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points. Each writes, for query j, `k` entries best-first at keys/slots + j * k * 4.

/**
 * Exact top-k of `nq` f32 queries (stride floats each) over `n` rows. `metric` 2 is squared L2
 * (key = -distance); any other value is the dot product (cosine when rows and queries are unit).
 * Rows are visited in blocks; each block is scored against queries four at a time.
 */
export function searchF32(metric: i32, rows: usize, ids: usize, n: i32, stride: i32, queries: usize, nq: i32, k: i32, keys: usize, slots: usize): void {
  resetHeaps(keys, slots, nq * k);
  const bytes = stride << 2;
  const heapBytes = <usize>k << 2;
  const block = max(1, ROW_BLOCK_BYTES / bytes);
  for (let start = 0; start < n; start += block) {
    const end = min(n, start + block);
    let q = 0;
    for (; q + 4 <= nq; q += 4) {
      const qp = queries + <usize>q * <usize>bytes;
      const hk = keys + <usize>q * heapBytes, hs = slots + <usize>q * heapBytes;
      let r = start;
      if (metric != METRIC_L2) {
        for (; r + 2 <= end; r += 2) {
          dot2x4(rows + <usize>r * <usize>bytes, qp, bytes);
          offer4(ids, hk, hs, heapBytes, k, r);
          k0 = k4;
          k1 = k5;
          k2 = k6;
          k3 = k7;
          offer4(ids, hk, hs, heapBytes, k, r + 1);
        }
      }
      for (; r < end; r++) {
        row4(rows + <usize>r * <usize>bytes, qp, bytes, metric == METRIC_L2);
        offer4(ids, hk, hs, heapBytes, k, r);
      }
    }
    for (; q < nq; q++) {
      const qp = queries + <usize>q * <usize>bytes;
      const hk = keys + <usize>q * heapBytes, hs = slots + <usize>q * heapBytes;
      for (let r = start; r < end; r++) {
        const row = rows + <usize>r * <usize>bytes;
        offer(ids, hk, hs, k, metric == METRIC_L2 ? l2(row, qp, bytes) : dot(row, qp, bytes), r);
      }
    }
  }
  for (let q = 0; q < nq; q++) sortHeap(ids, keys + <usize>q * heapBytes, slots + <usize>q * heapBytes, k);
}

/**
 * Approximate top-k dot products of `nq` int8 queries (from quantizeQueries) over `n` int8
 * rows: key = exact integer dot product * row scale. Heaps are left unsorted for `rescore`.
 */
export function searchI8(rows8: usize, scales: usize, ids: usize, n: i32, stride8: i32, q16: usize, nq: i32, k: i32, keys: usize, slots: usize): void {
  resetHeaps(keys, slots, nq * k);
  const qBytes = stride8 << 1;
  const heapBytes = <usize>k << 2;
  const block = max(1, ROW_BLOCK_BYTES / stride8);
  for (let start = 0; start < n; start += block) {
    const end = min(n, start + block);
    let q = 0;
    for (; q + 4 <= nq; q += 4) {
      scanI84(rows8, scales, ids, start, end, stride8, q16 + <usize>q * <usize>qBytes, keys + <usize>q * heapBytes, slots + <usize>q * heapBytes, heapBytes, k);
    }
    for (; q < nq; q++) {
      const qp = q16 + <usize>q * <usize>qBytes;
      const hk = keys + <usize>q * heapBytes, hs = slots + <usize>q * heapBytes;
      const bias = queryBias(qp, stride8, 32);
      for (let r = start; r < end; r++) {
        const key = <f32>dotI8(rows8 + <usize>r * <usize>stride8, qp, stride8, bias) * load<f32>(scales + (<usize>r << 2));
        offer(ids, hk, hs, k, key, r);
      }
    }
  }
}

// Rows start..end-1 against a group of four queries at `qp` (see quantizeQueries), offered to
// the four heaps at hk/hs (`heapBytes` apart). The four sums of a row come back as one vector,
// scaled and compared with the four heap roots at once, so a row that beats no root (nearly
// all of them once the heaps fill) costs no scalar work. Keys are never NaN (finite sums times
// finite scales), so `key >= root` is exactly offer's own first test.
function scanI84(rows8: usize, scales: usize, ids: usize, start: i32, end: i32, stride8: i32, qp: usize, hk: usize, hs: usize, heapBytes: usize, k: i32): void {
  const b0 = queryBias(qp, stride8, 128), b1 = queryBias(qp + 32, stride8, 128);
  const b2 = queryBias(qp + 64, stride8, 128), b3 = queryBias(qp + 96, stride8, 128);
  if (ASC_FEATURE_SIMD) {
    const bias = i32x4(b0, b1, b2, b3);
    let roots = heapRoots4(hk, heapBytes);
    for (let r = start; r < end; r++) {
      const sums = dotI84(rows8 + <usize>r * <usize>stride8, qp, stride8, bias);
      const key = f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.splat(load<f32>(scales + (<usize>r << 2))));
      if (v128.any_true(f32x4.ge(key, roots))) {
        offer(ids, hk, hs, k, f32x4.extract_lane(key, 0), r);
        offer(ids, hk + heapBytes, hs + heapBytes, k, f32x4.extract_lane(key, 1), r);
        offer(ids, hk + 2 * heapBytes, hs + 2 * heapBytes, k, f32x4.extract_lane(key, 2), r);
        offer(ids, hk + 3 * heapBytes, hs + 3 * heapBytes, k, f32x4.extract_lane(key, 3), r);
        roots = heapRoots4(hk, heapBytes);
      }
    }
  } else {
    for (let r = start; r < end; r++) {
      const row = rows8 + <usize>r * <usize>stride8;
      let s0 = -b0, s1 = -b1, s2 = -b2, s3 = -b3;
      for (let i = 0; i < stride8; i += 2) {
        const pair = <i32>load<i16>(row + <usize>i), odd = pair >> 8;
        const p = qp + queryOffset(4, 0, i);
        s0 += pair * <i32>load<i16>(p) + odd * <i32>load<i16>(p, 16);
        s1 += pair * <i32>load<i16>(p, 32) + odd * <i32>load<i16>(p, 48);
        s2 += pair * <i32>load<i16>(p, 64) + odd * <i32>load<i16>(p, 80);
        s3 += pair * <i32>load<i16>(p, 96) + odd * <i32>load<i16>(p, 112);
      }
      const rs = load<f32>(scales + (<usize>r << 2));
      offer(ids, hk, hs, k, <f32>s0 * rs, r);
      offer(ids, hk + heapBytes, hs + heapBytes, k, <f32>s1 * rs, r);
      offer(ids, hk + 2 * heapBytes, hs + 2 * heapBytes, k, <f32>s2 * rs, r);
      offer(ids, hk + 3 * heapBytes, hs + 3 * heapBytes, k, <f32>s3 * rs, r);
    }
  }
}

/**
 * Rescores each query's `kc` candidates (slots from searchI8) exactly in f32 and keeps the best
 * `k`, sorted best-first, in keys/slots.
 */
export function rescore(metric: i32, rows: usize, ids: usize, stride: i32, queries: usize, nq: i32, kc: i32, candSlots: usize, k: i32, keys: usize, slots: usize): void {
  resetHeaps(keys, slots, nq * k);
  const bytes = stride << 2;
  const heapBytes = <usize>k << 2;
  for (let q = 0; q < nq; q++) {
    const qp = queries + <usize>q * <usize>bytes;
    const hk = keys + <usize>q * heapBytes, hs = slots + <usize>q * heapBytes;
    const cand = candSlots + <usize>q * (<usize>kc << 2);
    for (let j = 0; j < kc; j++) {
      const slot = load<u32>(cand + (<usize>j << 2));
      if (slot == SENTINEL) continue;
      const row = rows + <usize>slot * <usize>bytes;
      offer(ids, hk, hs, k, metric == METRIC_L2 ? l2(row, qp, bytes) : dot(row, qp, bytes), slot);
    }
    sortHeap(ids, hk, hs, k);
  }
}
