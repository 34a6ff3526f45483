/**
 * One user's ONNX model in an onnxruntime-web session, as the plug-ins use it: a matrix of
 * float32 rows in (one named input), a matrix out (one named output). The model's declared
 * shapes are checked against the row width before the session starts, so a model built for
 * other inputs is refused with the names and sizes that differ, not at the first tick.
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import {
  type OnnxDimension,
  type OnnxModelInfo,
  type OnnxValueInfo,
  readOnnxModelInfo,
} from './model-info.ts';
import { loadOnnxRuntime, type OnnxRuntime } from './runtime.ts';
import type { OnnxRuntimeOptions } from './runtime-options.ts';

/** Options of {@link OnnxModel.load}. */
export interface OnnxModelOptions {
  /** The input fed the rows (default the model's only input). */
  input?: string;
  /** The output read back (default the model's only output). */
  output?: string;
  /** Where the runtime's files are and its threads (see {@link OnnxRuntimeOptions}). */
  runtime?: OnnxRuntimeOptions;
}

type Session = Awaited<ReturnType<OnnxRuntime['InferenceSession']['create']>>;

function pick(values: readonly OnnxValueInfo[], wanted: string | undefined, argument: string): OnnxValueInfo {
  const names = values.map((v) => v.name).join(', ');
  if (wanted !== undefined) {
    const found = values.find((v) => v.name === wanted);
    if (!found) throw new ArgumentError(argument, `the model has no ${wanted}; it has ${names}`);
    return found;
  }
  if (values.length !== 1)
    throw new ArgumentError(argument, `the model has ${values.length} (${names}): name one`);
  return values[0];
}

function printShape(shape: readonly OnnxDimension[] | null): string {
  return shape === null ? 'no shape' : `[${shape.join(', ')}]`;
}

/** A float32 rows-in, matrix-out ONNX model in a wasm session. Load with {@link OnnxModel.load}. */
export class OnnxModel {
  #session: Session | undefined;

  private constructor(
    private readonly ort: OnnxRuntime,
    session: Session,
    /** What the file declares (its SHA-256, opsets, inputs and outputs). */
    readonly info: OnnxModelInfo,
    /** The input fed the rows. */
    readonly input: OnnxValueInfo,
    /** The output read back. */
    readonly output: OnnxValueInfo,
  ) {
    this.#session = session;
  }

  /**
   * Starts a session for the ONNX file `bytes` on the wasm backend. ArgumentError when the bytes
   * are no ONNX model, or the input or output is not float32 or not named unambiguously.
   */
  static async load(bytes: Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError('options', 'expected { input?, output?, runtime? }');
    const info = readOnnxModelInfo(bytes, 'model');
    const input = pick(info.inputs, options.input, 'options.input');
    const output = pick(info.outputs, options.output, 'options.output');
    for (const [argument, value] of [
      ['options.input', input],
      ['options.output', output],
    ] as const)
      if (value.type !== 'float')
        throw new ArgumentError(argument, `${value.name} holds ${value.type}; the plug-ins exchange float32`);
    const ort = await loadOnnxRuntime(options.runtime);
    // The runtime's wasm start (at the first session) sets global.Worker to node:worker_threads'
    // on Node and Bun, for its threads; with one thread nothing uses it, so the process's own
    // global is put back (the engine's worker pools, Bun's web Worker, rely on it).
    const worker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
    try {
      // The session takes the bytes as they are; a copy keeps a caller's later writes out of it.
      const session = await ort.InferenceSession.create(bytes.slice(), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      return new OnnxModel(ort, session, info, input, output);
    } finally {
      if (ort.env.wasm.numThreads === 1) {
        if (worker) Object.defineProperty(globalThis, 'Worker', worker);
        else delete (globalThis as { Worker?: unknown }).Worker;
      }
    }
  }

  /**
   * Checks that the input takes rows of `width` values: a declared shape must be [rows, width]
   * (rows may be named). DimensionError naming `argument` otherwise.
   */
  expectRowWidth(width: number, argument: string): void {
    const shape = this.input.shape;
    if (shape === null) return;
    if (shape.length !== 2 || (typeof shape[1] === 'number' && shape[1] !== width))
      throw new DimensionError(
        argument,
        `${width} values per row, but the model's ${this.input.name} is ${printShape(shape)}`,
      );
  }

  /**
   * Runs the model on `count` rows of `width` values (row-major) and returns its output, which
   * must hold `count * outWidth` values. DimensionError when a fixed batch size differs from
   * `count` or the output has another size.
   */
  async run(rows: Float32Array, count: number, width: number, outWidth: number): Promise<Float32Array> {
    const session = this.#session;
    if (session === undefined) throw new ArgumentError('model', 'closed: load it again to run it');
    const batch = this.input.shape?.[0];
    if (typeof batch === 'number' && batch !== count)
      throw new DimensionError('rows', `the model takes ${batch} rows at a time, got ${count}`);
    const feeds = { [this.input.name]: new this.ort.Tensor('float32', rows, [count, width]) };
    const result = await session.run(feeds, [this.output.name]);
    const tensor = result[this.output.name];
    if (tensor.type !== 'float32')
      throw new ArgumentError('options.output', `${this.output.name} gave ${tensor.type}, not float32`);
    const data = tensor.data as Float32Array;
    if (data.length !== count * outWidth)
      throw new DimensionError(
        'options.output',
        `${this.output.name} gave [${tensor.dims.join(', ')}] for ${count} rows; expected ${outWidth} value(s) per row`,
      );
    return data;
  }

  /** Releases the session; the model cannot run afterwards. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }
}

/**
 * Loads `bytes` as {@link OnnxModel.load} does and checks that its input takes rows of `width`
 * values ({@link OnnxModel.expectRowWidth}, naming `argument`), releasing the session when not.
 */
export async function loadRowModel(
  bytes: Uint8Array,
  options: OnnxModelOptions,
  width: number,
  argument: string,
): Promise<OnnxModel> {
  const model = await OnnxModel.load(bytes, options);
  try {
    model.expectRowWidth(width, argument);
  } catch (error) {
    await model.close();
    throw error;
  }
  return model;
}
