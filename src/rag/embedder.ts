/**
 * The embedding contract every retrieval backend relies on. An embedder turns texts into unit
 * (L2-normalised) vectors of a fixed dimension, so cosine similarity is a dot product.
 */

/** Turns texts into L2-normalised vectors. */
export interface Embedder {
  /**
   * Identifies the model and every parameter that changes its output. Stored with each
   * embedding: an index rebuilt with a different id re-embeds instead of mixing vector spaces.
   */
  readonly id: string;
  /** Vector dimension. */
  readonly dim: number;
  /** Embeds `texts` into one row-major `texts.length x dim` matrix. */
  embed(texts: readonly string[]): Promise<Float32Array>;
}
