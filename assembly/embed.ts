// Hashed n-gram text embedding (the default RAG embedder's arithmetic).
//
// Input: a batch of already-normalised texts as UTF-16 code units, tokens separated by one
// space (0x20); `offsets[i]..offsets[i+1]` delimits text i. A token that starts with '#' is a
// thesaurus concept: it contributes only its word feature. Every other token contributes its
// word, the bigram with the previous plain token, and its character trigrams (with virtual
// begin/end markers). Each feature is signed-hashed into one of `dim` buckets; bucket values
// then get sub-linear weighting sign(v) * ln(1 + |v|) and the vector is L2-normalised.
// The pure-TS twin (src/kernels/embed/twin.ts) mirrors this bit for bit up to float rounding.
import { alignedHeapBase } from './lib/heap';

const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
const GOLDEN: u32 = 0x9e3779b1;
const SPACE: u16 = 0x20;
const CONCEPT: u16 = 0x23; // '#'
const BEGIN: u32 = 0x02;
const END: u32 = 0x03;

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}

// murmur3 finaliser: spreads FNV's weak low bits before bucket and sign are taken.
// @ts-ignore: decorator
@inline
function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

// @ts-ignore: decorator
@inline
function step(h: u32, unit: u32): u32 {
  return (h ^ unit) * FNV_PRIME;
}

// @ts-ignore: decorator
@inline
function addFeature(out: usize, dim: u32, hash: u32, weight: f32): void {
  const h = mix(hash);
  const ptr = out + (<usize>((h >>> 1) % dim) << 2);
  const signed = h & 1 ? -weight : weight;
  store<f32>(ptr, load<f32>(ptr) + signed);
}

/** Hashes units [start, end) as one word (FNV-1a over the code units). */
function wordHash(chars: usize, start: i32, end: i32): u32 {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = step(h, <u32>load<u16>(chars + (<usize>i << 1)));
  return h;
}

function unitAt(chars: usize, start: i32, end: i32, j: i32): u32 {
  if (j < 0) return BEGIN;
  if (start + j >= end) return END;
  return <u32>load<u16>(chars + (<usize>(start + j) << 1));
}

/** Adds the character trigrams of the token [start, end), padded with BEGIN and END. */
function addTrigrams(chars: usize, start: i32, end: i32, out: usize, dim: u32, weight: f32): void {
  const len = end - start;
  for (let j = -1; j + 2 <= len; j++) {
    let h = step(FNV_OFFSET ^ 0x5bd1e995, unitAt(chars, start, end, j));
    h = step(h, unitAt(chars, start, end, j + 1));
    h = step(h, unitAt(chars, start, end, j + 2));
    addFeature(out, dim, h, weight);
  }
}

/** sign(v) * ln(1 + |v|) per bucket, then scales the vector to unit L2 norm (zero stays zero). */
function finish(out: usize, dim: u32): void {
  for (let i: u32 = 0; i < dim; i++) {
    const p = out + (<usize>i << 2);
    const v = load<f32>(p);
    const s = <f32>Math.log1p(<f64>Mathf.abs(v));
    store<f32>(p, v < 0 ? -s : s);
  }
  let norm: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (let i: u32 = 0; i < dim; i += 4) {
      const x = v128.load(out + (<usize>i << 2));
      acc = f32x4.add(acc, f32x4.mul(x, x));
    }
    norm = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else {
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    for (let i: u32 = 0; i < dim; i += 4) {
      const p = out + (<usize>i << 2);
      const x0 = load<f32>(p), x1 = load<f32>(p, 4), x2 = load<f32>(p, 8), x3 = load<f32>(p, 12);
      a0 += x0 * x0; a1 += x1 * x1; a2 += x2 * x2; a3 += x3 * x3;
    }
    norm = a0 + a1 + (a2 + a3);
  }
  if (norm == 0) return;
  const inv = <f32>(1.0 / Math.sqrt(<f64>norm));
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(inv);
    for (let i: u32 = 0; i < dim; i += 4) {
      const p = out + (<usize>i << 2);
      v128.store(p, f32x4.mul(v128.load(p), s));
    }
  } else {
    for (let i: u32 = 0; i < dim; i++) {
      const p = out + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
  }
}

/**
 * Embeds `count` texts into `out` (count x dim f32, row-major). `dim` must be a positive
 * multiple of 4; `offsets` holds count + 1 i32 code-unit offsets into `chars`.
 */
export function embedBatch(
  chars: usize, offsets: usize, count: i32, out: usize, dim: u32,
  wWord: f32, wBigram: f32, wChar: f32, wConcept: f32,
): void {
  memory.fill(out, 0, <usize>count * dim << 2);
  for (let t = 0; t < count; t++) {
    const row = out + (<usize>t * dim << 2);
    const begin = load<i32>(offsets + (<usize>t << 2));
    const stop = load<i32>(offsets + (<usize>(t + 1) << 2));
    let prev: u32 = 0;
    let hasPrev = false;
    let start = begin;
    for (let i = begin; i <= stop; i++) {
      if (i < stop && load<u16>(chars + (<usize>i << 1)) != SPACE) continue;
      if (i > start) {
        const h = wordHash(chars, start, i);
        if (load<u16>(chars + (<usize>start << 1)) == CONCEPT) {
          addFeature(row, dim, h, wConcept);
        } else {
          addFeature(row, dim, h, wWord);
          if (hasPrev) addFeature(row, dim, (prev * GOLDEN) ^ h, wBigram);
          addTrigrams(chars, start, i, row, dim, wChar);
          prev = h;
          hasPrev = true;
        }
      }
      start = i + 1;
    }
    finish(row, dim);
  }
}
