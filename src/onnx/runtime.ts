/**
 * Starting onnxruntime-web's WebAssembly backend, once per process (its settings are global and
 * read when the first session starts). Nothing is downloaded: on Node, Deno and Bun the runtime
 * loads the .wasm file that sits beside it in its package; in a browser the page says where
 * it serves those files (`wasmPaths`) or hands over the binary itself (`wasmBinary`). One thread
 * unless more are asked for and shared memory is available (a cross-origin isolated page).
 *
 * onnxruntime-web is an optional peer dependency: it is imported here, on first use, so the
 * rest of the package never loads it; and no declaration this subpath exports names its types,
 * so a project without it still type-checks against x0tta6bl4/onnx.
 */
import { ArgumentError } from '../errors.ts';
import { sharedMemoryAvailable } from '../runtime/detect.ts';
import { OnnxRuntimeError, type OnnxRuntimeOptions } from './runtime-options.ts';

/** The onnxruntime-web module (its wasm build). */
export type OnnxRuntime = typeof import('onnxruntime-web/wasm');

let started: { runtime: Promise<OnnxRuntime>; settings: string } | undefined;

/** The settings that decide how the backend starts, comparable between calls. */
function describe(options: OnnxRuntimeOptions): string {
  const binary = options.wasmBinary;
  return JSON.stringify({
    wasmPaths: options.wasmPaths ?? null,
    wasmBinary: binary === undefined ? null : binary.byteLength,
    threads: options.threads ?? 1,
  });
}

function checkOptions(options: OnnxRuntimeOptions): OnnxRuntimeOptions {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError('options', 'expected { wasmPaths?, wasmBinary?, threads? }');
  const { wasmPaths, wasmBinary, threads } = options;
  if (wasmPaths !== undefined && (typeof wasmPaths !== 'string' || wasmPaths === ''))
    throw new ArgumentError('options.wasmPaths', 'expected a URL prefix such as "/ort/"');
  if (wasmBinary !== undefined && !(wasmBinary instanceof ArrayBuffer || wasmBinary instanceof Uint8Array))
    throw new ArgumentError('options.wasmBinary', 'expected an ArrayBuffer or a Uint8Array');
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
    throw new ArgumentError('options.threads', `expected an integer in 1..64, got ${String(threads)}`);
  return options;
}

/**
 * The started runtime. The first call's options start it; a later call with other options is an
 * ArgumentError (the backend cannot be restarted in one process), with the same options it
 * shares the one runtime.
 */
export function loadOnnxRuntime(options: OnnxRuntimeOptions = {}): Promise<OnnxRuntime> {
  const settings = describe(checkOptions(options));
  if (started) {
    if (started.settings !== settings)
      throw new ArgumentError(
        'options',
        `the ONNX runtime already started with ${started.settings}; it cannot restart with ${settings}`,
      );
    return started.runtime;
  }
  const runtime = start(options);
  started = { runtime, settings };
  // A failed start (no onnxruntime-web) may be retried once the cause is fixed.
  runtime.catch(() => {
    if (started?.runtime === runtime) started = undefined;
  });
  return runtime;
}

async function start(options: OnnxRuntimeOptions): Promise<OnnxRuntime> {
  let ort: OnnxRuntime;
  try {
    ort = await import('onnxruntime-web/wasm');
  } catch (cause) {
    throw new OnnxRuntimeError(
      `cannot load onnxruntime-web (an optional peer dependency: npm install onnxruntime-web@1.31): ${(cause as Error).message}`,
      { cause },
    );
  }
  const wasm = ort.env.wasm;
  wasm.numThreads = sharedMemoryAvailable() ? (options.threads ?? 1) : 1;
  wasm.proxy = false;
  if (options.wasmPaths !== undefined) wasm.wasmPaths = options.wasmPaths;
  if (options.wasmBinary !== undefined) wasm.wasmBinary = options.wasmBinary;
  return ort;
}
