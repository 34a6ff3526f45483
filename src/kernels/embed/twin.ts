/**
 * Pure-TypeScript twin of assembly/embed.ts: the same features, hashes and float operations in
 * the same order, so it is both the fallback where wasm SIMD is missing and the oracle the
 * kernel is tested against. See the kernel file for the feature definition.
 */

import { ArgumentError } from '../../errors.ts';
import { checkFinite, checkInt } from '../../validate.ts';

/** Largest vector dimension either backend accepts. */
export const MAX_EMBED_DIM = 1 << 20;

/** Feature weights of the hashed embedder (f32 in the kernel). */
export interface FeatureWeights {
  /** A whole word. */
  word: number;
  /** Two consecutive words. */
  bigram: number;
  /** Each character trigram of a word. */
  char: number;
  /** A thesaurus concept tag. */
  concept: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const GOLDEN = 0x9e3779b1;
const SPACE = 0x20;
const CONCEPT = 0x23;
const BEGIN = 0x02;
const END = 0x03;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function step(h: number, unit: number): number {
  return Math.imul(h ^ unit, FNV_PRIME) >>> 0;
}

function addFeature(row: Float32Array, hash: number, weight: number): void {
  const h = mix(hash);
  const bucket = (h >>> 1) % row.length;
  row[bucket] += h & 1 ? -weight : weight;
}

function unitAt(text: string, start: number, end: number, j: number): number {
  if (j < 0) return BEGIN;
  if (start + j >= end) return END;
  return text.charCodeAt(start + j);
}

function embedOne(text: string, row: Float32Array, w: FeatureWeights): void {
  let prev = 0;
  let hasPrev = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== SPACE) continue;
    if (i > start) {
      let h = FNV_OFFSET;
      for (let j = start; j < i; j++) h = step(h, text.charCodeAt(j));
      if (text.charCodeAt(start) === CONCEPT) {
        addFeature(row, h, w.concept);
      } else {
        addFeature(row, h, w.word);
        if (hasPrev) addFeature(row, (Math.imul(prev, GOLDEN) ^ h) >>> 0, w.bigram);
        for (let j = -1; j + 2 <= i - start; j++) {
          let g = step((FNV_OFFSET ^ 0x5bd1e995) >>> 0, unitAt(text, start, i, j));
          g = step(g, unitAt(text, start, i, j + 1));
          g = step(g, unitAt(text, start, i, j + 2));
          addFeature(row, g, w.char);
        }
        prev = h;
        hasPrev = true;
      }
    }
    start = i + 1;
  }
  finish(row);
}

function finish(row: Float32Array): void {
  const lanes = [0, 0, 0, 0];
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    const s = Math.fround(Math.log1p(Math.abs(v)));
    row[i] = v < 0 ? -s : s;
    lanes[i & 3] = Math.fround(lanes[i & 3] + Math.fround(row[i] * row[i]));
  }
  const norm = Math.fround(Math.fround(lanes[0] + lanes[1]) + Math.fround(lanes[2] + lanes[3]));
  if (norm === 0) return;
  const inv = Math.fround(1 / Math.sqrt(norm));
  for (let i = 0; i < row.length; i++) row[i] = row[i] * inv;
}

/**
 * Checks a batch for either backend, naming the bad argument: `texts` an array of strings, `dim`
 * a multiple of 4 in [4, MAX_EMBED_DIM] (the kernel's vector loops take four buckets at a time), and
 * finite weights (a NaN weight would make every vector NaN).
 */
export function checkBatch(texts: readonly string[], dim: number, weights: FeatureWeights): void {
  if (!Array.isArray(texts)) throw new ArgumentError('texts', 'expected an array of strings');
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== 'string')
      throw new ArgumentError(`texts[${i}]`, `expected a string, got ${typeof texts[i]}`);
  }
  if (checkInt('dim', dim, 4, MAX_EMBED_DIM) % 4 !== 0)
    throw new ArgumentError('dim', `expected a multiple of 4, got ${dim}`);
  if (typeof weights !== 'object' || weights === null)
    throw new ArgumentError('weights', 'expected { word, bigram, char, concept }');
  for (const name of ['word', 'bigram', 'char', 'concept'] as const)
    checkFinite(`weights.${name}`, weights[name]);
}

/**
 * Embeds prepared texts (tokens separated by single spaces, concept tags prefixed with '#')
 * into a row-major `texts.length x dim` matrix. Arguments are checked as by {@link checkBatch}.
 */
export function hashedEmbedTwin(
  texts: readonly string[],
  dim: number,
  weights: FeatureWeights,
): Float32Array {
  checkBatch(texts, dim, weights);
  const w: FeatureWeights = {
    word: Math.fround(weights.word),
    bigram: Math.fround(weights.bigram),
    char: Math.fround(weights.char),
    concept: Math.fround(weights.concept),
  };
  const out = new Float32Array(texts.length * dim);
  for (let t = 0; t < texts.length; t++) embedOne(texts[t], out.subarray(t * dim, (t + 1) * dim), w);
  return out;
}
