// Vector similarity: dot, cosine and squared L2 of queries against an N x d f32 matrix held in
// this instance's memory, with exact top-k selection (a bounded heap per query) and an int8
// scalar-quantised scan whose candidates are rescored exactly in f32 (large int8 batches: one
// level of Strassen's algorithm over blocks of rows, exact in integers; see strassenBlock).
// Parts in similarity/: quantize (normalisation, int8), score (f32 and int8 dot products), topk
// (bounded heaps), f32 and int8 (the scans), strassen (the wide-batch int8 scan).
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

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}

export { normalize, quantize, quantizeQueries } from './similarity/quantize';
export { searchF32 } from './similarity/f32';
export { searchI8ScratchBytes, searchI8 } from './similarity/int8';
export { rescore } from './similarity/f32';
