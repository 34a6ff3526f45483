// Vector similarity: dot, cosine and squared L2 of queries against an N x d f32 matrix held in
// this instance's memory, with exact top-k selection (a bounded heap per query) and an int8
// scalar-quantised scan whose candidates are rescored exactly in f32 (large int8 batches: one
// level of Strassen's algorithm over blocks of rows, exact in integers; see strassenBlock).
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
// Batches of at least this many int8 queries (SIMD builds) take the Strassen scan for their
// first 8 * floor(nq / 8) queries (see strassenBlock). Preparing a block's operands costs a
// few operations and stores per row, which 7/8 of the multiply-adds repay from about 24
// queries on (measured: 16 queries 9% slower than the grouped scan, 24 even, 32 6% faster).
const STRASSEN_MIN: i32 = 32;
// Bytes of the seven row operands of a Strassen block (see strassenRows): each operand (half
// the block's rows, half the dimensions, as i16) then stays in L1 while every group of
// queries passes over it (96 KB to 384 KB measured the same).
const STRASSEN_BLOCK_BYTES: i32 = 160 * 1024;

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
function queryOffset(group: i32, j: i32, i: i32): usize {
  return <usize>(i >> 4) * <usize>(group << 5) + (<usize>j << 5) + <usize>(i & 14);
}

// How many of a batch of `nq` int8 queries take the Strassen scan (SIMD builds only): none
// below STRASSEN_MIN, else the largest multiple of 8 (two halves of whole groups of four).
// @ts-ignore: decorator
@inline
function strassenCount(nq: i32): i32 {
  return ASC_FEATURE_SIMD && nq >= STRASSEN_MIN ? nq & ~7 : 0;
}

// Byte offset of dimension `i` of query `j` in a plain group of four: per eight dimensions, 64
// bytes holding the four queries' eight i16 one after the other.
// @ts-ignore: decorator
@inline
function plainOffset(j: i32, i: i32): usize {
  return (<usize>(i >> 3) << 6) + (<usize>j << 4) + (<usize>(i & 7) << 1);
}

// Rows per block of the Strassen scan, a multiple of 4 (whole row pairs in each half); its
// seven row operands take 7 * rows * stride8 / 2 bytes.
// @ts-ignore: decorator
@inline
function strassenBlockRows(stride8: i32): i32 {
  return max(4, (STRASSEN_BLOCK_BYTES * 2 / (7 * stride8)) & ~3);
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
  return i32x4.sub(transposeSum(s0, s1, s2, s3), bias);
}

// Lane j of the result is the total of s_j's four lanes.
// @ts-ignore: decorator
@inline
function transposeSum(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u0 = i32x4.add(v128.shuffle<i32>(s0, s1, 0, 4, 1, 5), v128.shuffle<i32>(s0, s1, 2, 6, 3, 7));
  const u1 = i32x4.add(v128.shuffle<i32>(s2, s3, 0, 4, 1, 5), v128.shuffle<i32>(s2, s3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i64>(u0, u1, 0, 2), v128.shuffle<i64>(u0, u1, 1, 3));
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
 * Bytes of scratch that searchI8 needs for a batch of `nq` queries of `stride8` dimensions (0
 * unless the batch takes the Strassen scan): for S = strassenCount(nq) and R =
 * strassenBlockRows(stride8), S heap roots (f32), seven query operands (S * stride8 / 2 bytes
 * each), seven row operands (R * stride8 / 2 bytes each) and R x S exact sums (i32). An f64,
 * so that the host sees a batch too large for memory instead of a wrapped count.
 */
export function searchI8ScratchBytes(nq: i32, stride8: i32): f64 {
  const count = <f64>strassenCount(nq);
  if (count == 0) return 0;
  const rows = <f64>strassenBlockRows(stride8), d = <f64>stride8;
  return count * 4 + 7 * (count * d / 2) + 7 * (rows * d / 2) + rows * count * 4;
}

/**
 * Approximate top-k dot products of `nq` int8 queries (from quantizeQueries) over `n` int8
 * rows: key = exact integer dot product * row scale. Heaps are left unsorted for `rescore`.
 * Rows are visited in blocks. In a batch of at least STRASSEN_MIN queries (SIMD builds) the
 * first strassenCount(nq) take the Strassen scan (see strassenBlock); the others are scanned
 * in groups of four (scanI84), the last nq % 4 alone. Every path computes the same exact
 * integer sums and keys. `scratch` (16-byte aligned) holds searchI8ScratchBytes(nq, stride8)
 * bytes.
 */
export function searchI8(rows8: usize, scales: usize, ids: usize, n: i32, stride8: i32, q16: usize, nq: i32, k: i32, keys: usize, slots: usize, scratch: usize): void {
  resetHeaps(keys, slots, nq * k);
  const qBytes = stride8 << 1;
  const heapBytes = <usize>k << 2;
  const strassen = strassenCount(nq);
  const block = strassen > 0 ? strassenBlockRows(stride8) : max(1, ROW_BLOCK_BYTES / stride8);
  // Strassen scratch, in the order of searchI8ScratchBytes.
  const roots = scratch;
  const qOps = roots + (<usize>strassen << 2);
  const rOps = qOps + 7 * (<usize>strassen * <usize>stride8 >> 1);
  const sums = rOps + 7 * (<usize>block * <usize>stride8 >> 1);
  if (ASC_FEATURE_SIMD) {
    if (strassen > 0) {
      strassenQueries(q16, strassen, stride8, qOps);
      for (let g = 0; g < strassen; g += 4) v128.store(roots + (<usize>g << 2), f32x4.splat(-Infinity));
    }
  }
  for (let start = 0; start < n; start += block) {
    const end = min(n, start + block);
    let q = 0;
    if (ASC_FEATURE_SIMD) {
      if (strassen > 0) {
        strassenBlock(rows8, scales, ids, start, end, min(n, end + block), stride8, strassen, qOps, rOps, sums, roots, keys, slots, heapBytes, k);
        q = strassen;
      }
    }
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

// ---------------------------------------------------------------------------------------------
// Strassen scan of a wide batch (SIMD builds only). For a block of R rows (A: R x d, the exact
// int8 values) and S queries (B: d x S, the query values as columns), the R x S exact dot
// products C = A B come from one level of Strassen's algorithm: A is split into row halves and
// dimension halves (A11 A12 / A21 A22), B into dimension halves and query halves, and seven
// half-size products of sums of quarters replace the eight of the plain product:
//   M1 = (A11 + A22)(B11 + B22)   M2 = (A21 + A22) B11   M3 = A11 (B12 - B22)
//   M4 = A22 (B21 - B11)   M5 = (A11 + A12) B22   M6 = (A21 - A11)(B11 + B12)
//   M7 = (A12 - A22)(B21 + B22)
//   C11 = M1 + M4 - M5 + M7   C12 = M3 + M5   C21 = M2 + M4   C22 = M1 - M2 + M3 + M6
// The scan is bound by its multiply-adds (i32x4.dot_i16x8_s and the add of each result), and
// this does 7/8 of them. Everything is integer: operands are sums of two int8 values (within
// +-254, exact in i16), dot_i16x8_s pairs stay within i32, and the rest is i32 arithmetic
// modulo 2^32, whose final values (the int8 dot products, within i32) are therefore exact:
// the keys are bit for bit those of the single-query scan.

// Builds the seven query operands from the first `count` queries (wide layout, see
// quantizeQueries): operand i (B11 + B22, B11, B12 - B22, B21 - B11, B22, B11 + B12,
// B21 + B22) takes count * stride8 / 2 bytes at ops + i * that, laid out like the queries of a
// wide group over stride8 / 2 dimensions: per group of four (of the count / 2 queries of a
// half), per eight dimensions, the four queries' eight i16.
function strassenQueries(q16: usize, count: i32, stride8: i32, ops: usize): void {
  const groupBytes = <usize>stride8 << 3;
  const half = <usize>stride8 << 2;
  const opBytes = <usize>count * <usize>stride8 >> 1;
  const groups = count >> 3;
  for (let g = 0; g < groups; g++) {
    const first = q16 + <usize>g * groupBytes, second = q16 + <usize>(g + groups) * groupBytes;
    const out = ops + <usize>g * half;
    for (let i: usize = 0; i < half; i += 16) {
      const b11 = v128.load(first + i), b21 = v128.load(first + half + i);
      const b12 = v128.load(second + i), b22 = v128.load(second + half + i);
      let o = out + i;
      v128.store(o, i16x8.add(b11, b22));
      o += opBytes;
      v128.store(o, b11);
      o += opBytes;
      v128.store(o, i16x8.sub(b12, b22));
      o += opBytes;
      v128.store(o, i16x8.sub(b21, b11));
      o += opBytes;
      v128.store(o, b22);
      o += opBytes;
      v128.store(o, i16x8.add(b11, b12));
      o += opBytes;
      v128.store(o, i16x8.add(b21, b22));
    }
  }
}

// Eight stored int8 values at `p` (an even byte offset) as i16: sign-extended, then the even
// ones lose their +128 (xor with 0xff80 maps the extended x + 128 back to x).
// @ts-ignore: decorator
@inline
function widen8(p: usize): v128 {
  return v128.xor(v128.load8x8_s(p), i32x4.splat(0xff80));
}

// Builds the seven row operands of a block of `rows` stored rows at `src`, padded with zero
// rows to `padded` (a multiple of 4): operand i (A11 + A22, A21 + A22, A11, A22, A11 + A12,
// A21 - A11, A12 - A22) holds padded / 2 rows of stride8 / 2 i16 (stride8 bytes a row) at
// ops + i * padded * stride8 / 2. Row r of the top half pairs with row r + padded / 2.
function strassenRows(src: usize, rows: i32, padded: i32, stride8: i32, ops: usize): void {
  const halfRows = padded >> 1;
  const d = <usize>stride8, halfDims = d >> 1;
  const opBytes = <usize>padded * d >> 1;
  const zero = i32x4.splat(0);
  for (let r = 0; r < halfRows; r++) {
    const top = src + <usize>r * d, bottom = top + <usize>halfRows * d;
    const out = ops + <usize>r * d;
    if (r + halfRows < rows) {
      for (let i: usize = 0; i < halfDims; i += 8) {
        const a11 = widen8(top + i), a12 = widen8(top + halfDims + i);
        const a21 = widen8(bottom + i), a22 = widen8(bottom + halfDims + i);
        storeRowOps(out + (i << 1), opBytes, a11, a12, a21, a22);
      }
    } else if (r < rows) {
      for (let i: usize = 0; i < halfDims; i += 8) {
        storeRowOps(out + (i << 1), opBytes, widen8(top + i), widen8(top + halfDims + i), zero, zero);
      }
    } else {
      for (let i: usize = 0; i < halfDims; i += 8) storeRowOps(out + (i << 1), opBytes, zero, zero, zero, zero);
    }
  }
}

// @ts-ignore: decorator
@inline
function storeRowOps(o: usize, opBytes: usize, a11: v128, a12: v128, a21: v128, a22: v128): void {
  v128.store(o, i16x8.add(a11, a22));
  v128.store(o + opBytes, i16x8.add(a21, a22));
  v128.store(o + 2 * opBytes, a11);
  v128.store(o + 3 * opBytes, a22);
  v128.store(o + 4 * opBytes, i16x8.add(a11, a12));
  v128.store(o + 5 * opBytes, i16x8.sub(a21, a11));
  v128.store(o + 6 * opBytes, i16x8.sub(a12, a22));
}

const STORE: i32 = 1;
const ADD: i32 = 2;
const SUB: i32 = 3;

// Writes, adds or subtracts (`mode` STORE, ADD, SUB; 0 does nothing) four sums at `p`.
// @ts-ignore: decorator
@inline
function apply(p: usize, mode: i32, v: v128): void {
  if (mode == STORE) v128.store(p, v);
  else if (mode == ADD) v128.store(p, i32x4.add(v128.load(p), v));
  else if (mode == SUB) v128.store(p, i32x4.sub(v128.load(p), v));
}

// One half-size product: the `halfRows` rows of a row operand at `t` times the count / 2
// queries of a query operand at `u`, over stride8 / 2 dimensions, applied (see apply) to the
// sums at `a` and at `b`, whose rows are count * 4 bytes apart. Two rows against a group of
// four queries at a time: each query vector loaded feeds both rows, so eight dimensions take
// six loads for eight dot products, and the loop is bound by the dot products and their adds.
// Inlined into one function per pair of modes (productSS ...), so that the modes are constants:
// a pair of rows then costs two transposes and two to four stores, with no branches.
// @ts-ignore: decorator
@inline
function strassenProduct(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, modeA: i32, b: usize, modeB: i32, touch: usize, touchEnd: usize, touches: i32): usize {
  const d = <usize>stride8;
  const groupBytes = d << 2;
  const sumRow = <usize>count << 2;
  const groups = count >> 3;
  for (let g = 0; g < groups; g++) {
    const qp = u + <usize>g * groupBytes;
    for (let r = 0; r < halfRows; r += 2) {
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
      const row = t + <usize>r * d;
      const rowEnd = row + d;
      let q = qp;
      for (let p = row; p < rowEnd; p += 16) {
        const v = v128.load(p), w = v128.load(p + d);
        let x = v128.load(q);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v, x));
        t0 = i32x4.add(t0, i32x4.dot_i16x8_s(w, x));
        x = v128.load(q, 16);
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v, x));
        t1 = i32x4.add(t1, i32x4.dot_i16x8_s(w, x));
        x = v128.load(q, 32);
        s2 = i32x4.add(s2, i32x4.dot_i16x8_s(v, x));
        t2 = i32x4.add(t2, i32x4.dot_i16x8_s(w, x));
        x = v128.load(q, 48);
        s3 = i32x4.add(s3, i32x4.dot_i16x8_s(v, x));
        t3 = i32x4.add(t3, i32x4.dot_i16x8_s(w, x));
        q += 64;
      }
      const at = <usize>r * sumRow + (<usize>g << 4);
      const first = transposeSum(s0, s1, s2, s3), second = transposeSum(t0, t1, t2, t3);
      apply(a + at, modeA, first);
      apply(a + at + sumRow, modeA, second);
      apply(b + at, modeB, first);
      apply(b + at + sumRow, modeB, second);
      if (touch < touchEnd) {
        const stop = min(touch + (<usize>touches << 6), touchEnd);
        let sink = touched;
        for (; touch < stop; touch += 64) sink ^= load<u8>(touch);
        touched = sink;
      }
    }
  }
  return touch;
}

// Sink of the loads that touch the next block's rows ahead of use (see strassenBlock).
let touched: u8 = 0;

// strassenProduct with constant modes: S(tore), A(dd) or Sub into `a`, then into `b`.
function productSS(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, b: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, STORE, b, STORE, touch, touchEnd, touches);
}
function productSSub(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, b: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, STORE, b, SUB, touch, touchEnd, touches);
}
function productSA(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, b: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, STORE, b, ADD, touch, touchEnd, touches);
}
function productAA(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, b: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, ADD, b, ADD, touch, touchEnd, touches);
}
function productSubA(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, b: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, SUB, b, ADD, touch, touchEnd, touches);
}
function productA(t: usize, u: usize, halfRows: i32, count: i32, stride8: i32, a: usize, touch: usize, touchEnd: usize, touches: i32): usize {
  return strassenProduct(t, u, halfRows, count, stride8, a, ADD, 0, 0, touch, touchEnd, touches);
}

// Scans rows start..end-1 for the first `count` queries of a wide batch: builds the block's
// row operands at `rOps`, forms the exact sums at `sums` (rows of count i32) from the seven
// products with the query operands at `qOps`, then offers them to the heaps. The heap roots
// of each group of four queries are kept as one vector at `roots`, so a row that beats none
// of them (nearly all, once the heaps fill) costs one comparison per group.
function strassenBlock(rows8: usize, scales: usize, ids: usize, start: i32, end: i32, next: i32, stride8: i32, count: i32, qOps: usize, rOps: usize, sums: usize, roots: usize, keys: usize, slots: usize, heapBytes: usize, k: i32): void {
  const rows = end - start;
  const padded = (rows + 3) & ~3;
  const halfRows = padded >> 1;
  strassenRows(rows8 + <usize>start * <usize>stride8, rows, padded, stride8, rOps);
  const rBytes = <usize>padded * <usize>stride8 >> 1, qBytes = <usize>count * <usize>stride8 >> 1;
  const sumRow = <usize>count << 2;
  const c11 = sums, c12 = sums + (sumRow >> 1), c21 = sums + <usize>halfRows * sumRow, c22 = c21 + (sumRow >> 1);
  // While the products run, one load per 64 bytes of the next block's rows (up to `next`)
  // starts their way from memory, so strassenRows finds them in cache instead of waiting.
  let touch = rows8 + <usize>end * <usize>stride8;
  const touchEnd = rows8 + <usize>next * <usize>stride8;
  const steps = <i64>7 * <i64>(count >> 3) * <i64>(halfRows >> 1);
  const touches = <i32>((<i64>((touchEnd - touch) >> 6) + steps - 1) / steps);
  touch = productSS(rOps, qOps, halfRows, count, stride8, c11, c22, touch, touchEnd, touches);
  touch = productSSub(rOps + rBytes, qOps + qBytes, halfRows, count, stride8, c21, c22, touch, touchEnd, touches);
  touch = productSA(rOps + 2 * rBytes, qOps + 2 * qBytes, halfRows, count, stride8, c12, c22, touch, touchEnd, touches);
  touch = productAA(rOps + 3 * rBytes, qOps + 3 * qBytes, halfRows, count, stride8, c11, c21, touch, touchEnd, touches);
  touch = productSubA(rOps + 4 * rBytes, qOps + 4 * qBytes, halfRows, count, stride8, c11, c12, touch, touchEnd, touches);
  touch = productA(rOps + 5 * rBytes, qOps + 5 * qBytes, halfRows, count, stride8, c22, touch, touchEnd, touches);
  productA(rOps + 6 * rBytes, qOps + 6 * qBytes, halfRows, count, stride8, c11, touch, touchEnd, touches);
  for (let r = 0; r < rows; r++) {
    const slot = start + r;
    const scale = f32x4.splat(load<f32>(scales + (<usize>slot << 2)));
    const row = sums + <usize>r * sumRow;
    // First one test over all the groups: nearly every row beats no root at all.
    let beats = i32x4.splat(0);
    for (let g = 0; g < count; g += 4) {
      const key = f32x4.mul(f32x4.convert_i32x4_s(v128.load(row + (<usize>g << 2))), scale);
      beats = v128.or(beats, f32x4.ge(key, v128.load(roots + (<usize>g << 2))));
    }
    if (!v128.any_true(beats)) continue;
    for (let g = 0; g < count; g += 4) {
      const key = f32x4.mul(f32x4.convert_i32x4_s(v128.load(row + (<usize>g << 2))), scale);
      const rootAt = roots + (<usize>g << 2);
      if (v128.any_true(f32x4.ge(key, v128.load(rootAt)))) {
        const hk = keys + <usize>g * heapBytes, hs = slots + <usize>g * heapBytes;
        offer(ids, hk, hs, k, f32x4.extract_lane(key, 0), slot);
        offer(ids, hk + heapBytes, hs + heapBytes, k, f32x4.extract_lane(key, 1), slot);
        offer(ids, hk + 2 * heapBytes, hs + 2 * heapBytes, k, f32x4.extract_lane(key, 2), slot);
        offer(ids, hk + 3 * heapBytes, hs + 3 * heapBytes, k, f32x4.extract_lane(key, 3), slot);
        v128.store(rootAt, heapRoots4(hk, heapBytes));
      }
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
