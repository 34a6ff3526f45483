/**
 * The default embedder: hashed word, word-bigram and character-trigram features plus ops
 * thesaurus concepts, signed-hashed into a fixed dimension, sub-linear weighted and
 * L2-normalised. Needs no model file; the arithmetic runs in wasm (assembly/embed.ts) with a
 * bit-compatible TypeScript twin as fallback.
 */
import { ArgumentError } from '../errors.ts';
import { HashedKernel, hashedEmbedTwin, MAX_EMBED_DIM, type FeatureWeights } from '../kernels/embed/index.ts';
import { chooseBackend, type Backend, type WasmSource } from '../kernels/loader.ts';
import type { Embedder } from './embedder.ts';
import { TEXT_VERSION, tokenize } from './text.ts';
import { buildConceptMap, expandConcepts, OPS_THESAURUS, type ConceptMap } from './thesaurus.ts';

/** Options of {@link HashedEmbedder.create}. */
export interface HashedEmbedderOptions {
  /** Vector dimension, a positive multiple of 4 up to 2^20 (default 384). */
  dim?: number;
  /** Feature weights (default {@link DEFAULT_WEIGHTS}). */
  weights?: Partial<FeatureWeights>;
  /** Concept thesaurus; `null` disables concept features (default {@link OPS_THESAURUS}). */
  thesaurus?: Readonly<Record<string, string>> | null;
  /** 'auto' (wasm when SIMD is available, else TypeScript), 'wasm' or 'ts'. */
  backend?: Backend;
  /** Alternative wasm bytes, URL or module for the kernel. */
  wasm?: WasmSource;
}

/**
 * Words carry the meaning; bigrams keep phrases ("packet loss", "crash loop") apart from their
 * words; trigrams give robustness to spelling and inflection but are many per word, hence a small
 * weight; concept tags bridge vocabularies. Set a priori; a sweep on the dev half of the query set
 * (char 0.1-0.5, bigram 0-0.5, concept 0.5-2, dim 384-768, corpus IDF weighting) moved Recall@3 of
 * the hybrid by at most one query, so they were left as they are. On the public runbooks (issue
 * 19) the dimension mattered more than the weights: the RAG analyzer's retrieval uses
 * `RETRIEVAL_DIM` (analyzer.ts); 384 stays the default here, for label inference and callers of
 * their own.
 */
export const DEFAULT_WEIGHTS: Readonly<FeatureWeights> = { word: 1, bigram: 0.5, char: 0.25, concept: 1 };

/** Texts per wasm call: bounds the kernel's memory for very large batches. */
const CHUNK = 2048;

/** Hashed n-gram embedder (see module comment). */
export class HashedEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  /** Weights of the feature families, defaults filled in. */
  readonly weights: Readonly<FeatureWeights>;
  readonly #concepts: ConceptMap;
  readonly #kernel: HashedKernel | undefined;

  private constructor(
    dim: number,
    weights: FeatureWeights,
    concepts: ConceptMap,
    thesaurusTag: string,
    kernel?: HashedKernel,
  ) {
    this.dim = dim;
    this.weights = weights;
    this.#concepts = concepts;
    this.#kernel = kernel;
    const w = weights;
    this.id = `hashed-ngram-v1/text${TEXT_VERSION}/d${dim}/w${w.word},${w.bigram},${w.char},${w.concept}/${thesaurusTag}`;
  }

  /** Builds an embedder; loads the wasm kernel unless the TypeScript backend is chosen. */
  static async create(options: HashedEmbedderOptions = {}): Promise<HashedEmbedder> {
    const dim = options.dim ?? 384;
    if (!Number.isInteger(dim) || dim <= 0 || dim % 4 !== 0 || dim > MAX_EMBED_DIM) {
      throw new ArgumentError(
        'options.dim',
        `expected a positive multiple of 4 up to ${MAX_EMBED_DIM}, got ${String(dim)}`,
      );
    }
    const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    for (const [name, value] of Object.entries(weights)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new ArgumentError(
          `options.weights.${name}`,
          `expected a finite number >= 0, got ${String(value)}`,
        );
      }
    }
    const useWasm = chooseBackend({ backend: options.backend }, 'options.') === 'wasm';
    const kernel = useWasm ? await HashedKernel.create(options.wasm) : undefined;
    const thesaurus = options.thesaurus === undefined ? OPS_THESAURUS : options.thesaurus;
    const concepts = thesaurus === null ? new Map<string, string[]>() : buildConceptMap(thesaurus);
    const tag = thesaurus === null ? 'no-thesaurus' : `thesaurus-${fingerprint(JSON.stringify(thesaurus))}`;
    return new HashedEmbedder(dim, weights, concepts, tag, kernel);
  }

  /** Which arithmetic runs: the wasm kernel or the TypeScript twin. */
  get backend(): 'wasm' | 'ts' {
    return this.#kernel ? 'wasm' : 'ts';
  }

  /** The normalised token stream the kernel hashes: words, each followed by its concept tags. */
  prepare(text: string): string {
    return expandConcepts(tokenize(text), this.#concepts).join(' ');
  }

  /** Synchronous {@link embed}: the hashed embedder never waits on I/O. */
  embedSync(texts: readonly string[]): Float32Array {
    if (!Array.isArray(texts)) throw new ArgumentError('texts', 'expected an array of strings');
    const prepared = texts.map((t, i) => {
      if (typeof t !== 'string') throw new ArgumentError(`texts[${i}]`, `expected a string, got ${typeof t}`);
      return this.prepare(t);
    });
    const out = new Float32Array(prepared.length * this.dim);
    for (let at = 0; at < prepared.length; at += CHUNK) {
      const chunk = prepared.slice(at, at + CHUNK);
      const rows = this.#kernel
        ? this.#kernel.embed(chunk, this.dim, this.weights)
        : hashedEmbedTwin(chunk, this.dim, this.weights);
      out.set(rows, at * this.dim);
    }
    return out;
  }

  /** Embeds `texts` into a row-major `texts.length x dim` matrix of unit vectors. */
  embed(texts: readonly string[]): Promise<Float32Array> {
    try {
      return Promise.resolve(this.embedSync(texts));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

// Short FNV-1a fingerprint so a changed thesaurus changes the embedder id.
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
