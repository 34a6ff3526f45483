/**
 * How onnxruntime-web's WebAssembly backend starts (runtime.ts starts it), and the error when it
 * cannot: the part of the runtime the subpath's users see, free of onnxruntime-web's own types.
 */
import { X0ttaError } from '../errors.ts';

/** Where the runtime's files are and how many threads it may use. */
export interface OnnxRuntimeOptions {
  /**
   * URL prefix (ending in '/') under which ort-wasm-simd-threaded.{mjs,wasm} are served, e.g. the
   * page's copy of node_modules/onnxruntime-web/dist/. Default: beside the runtime's own module.
   */
  wasmPaths?: string;
  /** The ort-wasm-simd-threaded.wasm binary itself (then `wasmPaths` is not used for it). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Threads of the backend (default 1); more only where shared memory is available. */
  threads?: number;
}

/** onnxruntime-web could not be loaded (it is an optional peer: install it to use x0tta6bl4/onnx). */
export class OnnxRuntimeError extends X0ttaError {}
