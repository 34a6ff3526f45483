// Similarity kernel, part: the exact f32 scan (searchF32) and the f32 rescoring of int8
// candidates (rescore), with their scoring loops.
import { SENTINEL, offer, resetHeaps, sortHeap } from './topk';

// Rows scanned per block in batched search: small enough to stay in L2 while every group of
// queries passes over it, so each row comes from main memory once per batch.
export const ROW_BLOCK_BYTES: i32 = 192 * 1024;
// Metric code of squared L2 (key = -distance); the other codes are dot products.
const METRIC_L2: i32 = 2;

// Scoring. `dot`/`l2` return one key; the batched versions (dot2x4, row4) score rows against
// four queries at once, leaving results in the globals below, so each row load feeds four
// accumulators.

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


// Offers k0..k3 (scores of row `slot`) to four consecutive heaps.
// @ts-ignore: decorator
@inline
function offer4(ids: usize, keys: usize, slots: usize, heapBytes: usize, k: i32, slot: u32): void {
  offer(ids, keys, slots, k, k0, slot);
  offer(ids, keys + heapBytes, slots + heapBytes, k, k1, slot);
  offer(ids, keys + 2 * heapBytes, slots + 2 * heapBytes, k, k2, slot);
  offer(ids, keys + 3 * heapBytes, slots + 3 * heapBytes, k, k3, slot);
}

// Each entry point writes, for query j, `k` entries best-first at keys/slots + j * k * 4.

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
