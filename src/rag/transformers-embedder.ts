/**
 * Sentence embeddings from a local transformers.js (`@huggingface/transformers`) model, e.g. an
 * all-MiniLM-L6-v2 ONNX export a user puts in a folder. Remote loading is switched off: the
 * folder must hold config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (or
 * onnx/model_quantized.onnx with dtype 'q8'). Heavy: import this module only when you use it.
 *
 * In a browser the model folder is a URL prefix, and transformers.js would fetch
 * onnxruntime-web's WebAssembly files from a CDN: `wasmPaths` points it at the page's own copy
 * instead, so nothing is downloaded from elsewhere.
 */
import { ArgumentError } from '../errors.ts';
import type { Embedder } from './embedder.ts';

/** Options of {@link TransformersEmbedder.create}. */
export interface TransformersEmbedderOptions {
  /** Model folder name under `localModelPath` (e.g. 'all-MiniLM-L6-v2'). */
  model: string;
  /**
   * Folder that contains the model folder: a path on Node, Deno and Bun; in browsers a path on
   * the page's server, e.g. '/models/' (transformers.js takes a full http URL for a remote one).
   */
  localModelPath: string;
  /** How token vectors become one sentence vector (default 'mean', as sentence-transformers). */
  pooling?: 'mean' | 'cls';
  /** Weights file: 'fp32' (onnx/model.onnx, default) or 'q8' (onnx/model_quantized.onnx). */
  dtype?: 'fp32' | 'q8';
  /** Texts per model call (default 32): bounds the padded batch tensor. */
  batchSize?: number;
  /**
   * Browsers: the URL prefix (ending in '/') under which the page serves onnxruntime-web's dist
   * files (node_modules/onnxruntime-web/dist/). Default transformers.js's, a CDN. Node, Deno and
   * Bun run the model natively and do not use it.
   */
  wasmPaths?: string;
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

    const { wasmPaths } = options;
    if (wasmPaths !== undefined && (typeof wasmPaths !== 'string' || wasmPaths === ''))
      throw new ArgumentError('options.wasmPaths', 'expected a URL prefix such as "/ort/"');

    const transformers = await import('@huggingface/transformers');
    const onnxWasm = transformers.env.backends.onnx.wasm;
    if (wasmPaths !== undefined && onnxWasm) onnxWasm.wasmPaths = wasmPaths;
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
