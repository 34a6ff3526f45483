/**
 * Sentence embeddings from a local transformers.js (`@huggingface/transformers`) model, e.g. an
 * all-MiniLM-L6-v2 ONNX export a user puts in a folder. Remote loading is switched off: the
 * folder must hold config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (or
 * onnx/model_quantized.onnx with dtype 'q8'). Heavy: import this module only when you use it.
 */
import { ArgumentError } from '../errors.ts';
import type { Embedder } from './embedder.ts';

/** Options of {@link TransformersEmbedder.create}. */
export interface TransformersEmbedderOptions {
  /** Model folder name under `localModelPath` (e.g. 'all-MiniLM-L6-v2'). */
  model: string;
  /** Folder (path on Node, Deno and Bun; URL prefix in browsers) that contains the model folder. */
  localModelPath: string;
  /** How token vectors become one sentence vector (default 'mean', as sentence-transformers). */
  pooling?: 'mean' | 'cls';
  /** Weights file: 'fp32' (onnx/model.onnx, default) or 'q8' (onnx/model_quantized.onnx). */
  dtype?: 'fp32' | 'q8';
  /** Texts per model call (default 32): bounds the padded batch tensor. */
  batchSize?: number;
}

interface Tensor {
  readonly data: Float32Array;
  readonly dims: number[];
}
type Extractor = (
  texts: string[],
  options: { pooling: 'mean' | 'cls'; normalize: boolean },
) => Promise<Tensor>;

/** transformers.js feature-extraction embedder (mean pooling and L2 normalisation by default). */
export class TransformersEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    private readonly extract: Extractor,
    private readonly pooling: 'mean' | 'cls',
    private readonly batchSize: number,
  ) {}

  /** Loads the model from the local folder (never from the network) and probes its dimension. */
  static async create(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError('options', 'expected an object');
    const { model, localModelPath } = options;
    if (typeof model !== 'string' || model === '')
      throw new ArgumentError('options.model', 'expected a model folder name');
    if (typeof localModelPath !== 'string' || localModelPath === '') {
      throw new ArgumentError('options.localModelPath', 'expected the folder that holds the model');
    }
    const pooling = options.pooling ?? 'mean';
    if (pooling !== 'mean' && pooling !== 'cls')
      throw new ArgumentError('options.pooling', `expected 'mean' or 'cls', got ${String(pooling)}`);
    const dtype = options.dtype ?? 'fp32';
    if (dtype !== 'fp32' && dtype !== 'q8')
      throw new ArgumentError('options.dtype', `expected 'fp32' or 'q8', got ${String(dtype)}`);
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ArgumentError('options.batchSize', `expected an integer >= 1, got ${String(batchSize)}`);

    const transformers = await import('@huggingface/transformers');
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    transformers.env.localModelPath = localModelPath.endsWith('/') ? localModelPath : `${localModelPath}/`;
    const extractor = (await transformers.pipeline('feature-extraction', model, {
      dtype,
    })) as unknown as Extractor;
    const probe = await extractor(['probe'], { pooling, normalize: true });
    const dim = probe.dims[probe.dims.length - 1];
    return new TransformersEmbedder(
      `transformers/${model}/${dtype}/${pooling}/d${dim}`,
      dim,
      extractor,
      pooling,
      batchSize,
    );
  }

  /** Embeds `texts` into a row-major `texts.length x dim` matrix of unit vectors. */
  async embed(texts: readonly string[]): Promise<Float32Array> {
    if (!Array.isArray(texts)) throw new ArgumentError('texts', 'expected an array of strings');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new ArgumentError(`texts[${i}]`, `expected a string, got ${typeof t}`);
    });
    const out = new Float32Array(texts.length * this.dim);
    for (let at = 0; at < texts.length; at += this.batchSize) {
      const batch = texts.slice(at, at + this.batchSize);
      const tensor = await this.extract(batch, { pooling: this.pooling, normalize: true });
      out.set(tensor.data, at * this.dim);
    }
    return out;
  }
}
