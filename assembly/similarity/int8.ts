// Similarity kernel, part: the int8 scan and its exact integer dot products: queries alone, in
// groups of four (scanI84, dotI84 returns its four sums as one vector), or the first ones of a
// wide batch through the Strassen scan (strassen.ts).
import { ROW_BLOCK_BYTES } from './f32';
import { queryBias, queryOffset } from './quantize';
import { strassenBlock, strassenBlockRows, strassenCount, strassenQueries, transposeSum } from './strassen';
import { heapRoots4, offer, resetHeaps } from './topk';

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

// @ts-ignore: decorator
@inline
function isum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
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
