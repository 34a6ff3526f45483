// Similarity kernel, part: the Strassen scan of wide int8 batches (SIMD builds only).
import { heapRoots4, offer } from './topk';

// Batches of at least this many int8 queries (SIMD builds) take the Strassen scan for their
// first 8 * floor(nq / 8) queries (see strassenBlock). Preparing a block's operands costs a
// few operations and stores per row, which 7/8 of the multiply-adds repay from about 24
// queries on (measured: 16 queries 9% slower than the grouped scan, 24 even, 32 6% faster).
const STRASSEN_MIN: i32 = 32;
// Bytes of the seven row operands of a Strassen block (see strassenRows): each operand (half
// the block's rows, half the dimensions, as i16) then stays in L1 while every group of
// queries passes over it (96 KB to 384 KB measured the same).
const STRASSEN_BLOCK_BYTES: i32 = 160 * 1024;

// How many of a batch of `nq` int8 queries take the Strassen scan (SIMD builds only): none
// below STRASSEN_MIN, else the largest multiple of 8 (two halves of whole groups of four).
// @ts-ignore: decorator
@inline
export function strassenCount(nq: i32): i32 {
  return ASC_FEATURE_SIMD && nq >= STRASSEN_MIN ? nq & ~7 : 0;
}

// Byte offset of dimension `i` of query `j` in a plain group of four: per eight dimensions, 64
// bytes holding the four queries' eight i16 one after the other.
// @ts-ignore: decorator
@inline
export function plainOffset(j: i32, i: i32): usize {
  return (<usize>(i >> 3) << 6) + (<usize>j << 4) + (<usize>(i & 7) << 1);
}

// Rows per block of the Strassen scan, a multiple of 4 (whole row pairs in each half); its
// seven row operands take 7 * rows * stride8 / 2 bytes.
// @ts-ignore: decorator
@inline
export function strassenBlockRows(stride8: i32): i32 {
  return max(4, (STRASSEN_BLOCK_BYTES * 2 / (7 * stride8)) & ~3);
}

// Lane j of the result is the total of s_j's four lanes.
// @ts-ignore: decorator
@inline
export function transposeSum(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u0 = i32x4.add(v128.shuffle<i32>(s0, s1, 0, 4, 1, 5), v128.shuffle<i32>(s0, s1, 2, 6, 3, 7));
  const u1 = i32x4.add(v128.shuffle<i32>(s2, s3, 0, 4, 1, 5), v128.shuffle<i32>(s2, s3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i64>(u0, u1, 0, 2), v128.shuffle<i64>(u0, u1, 1, 3));
}

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
export function strassenQueries(q16: usize, count: i32, stride8: i32, ops: usize): void {
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
export function strassenBlock(rows8: usize, scales: usize, ids: usize, start: i32, end: i32, next: i32, stride8: i32, count: i32, qOps: usize, rOps: usize, sums: usize, roots: usize, keys: usize, slots: usize, heapBytes: usize, k: i32): void {
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
