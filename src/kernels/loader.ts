/**
 * The one WebAssembly loader every kernel facade shares, and the types they all use: the wasm
 * bytes are embedded in a generated module (src/kernels/<kernel>/embedded.ts), so the same import
 * works on Node, Deno, Bun and browsers with no bundler, file path or fetch. `init({ wasm })`
 * overrides the bytes with a URL, bytes or an already compiled module (e.g. a CDN copy, or the
 * scalar build in benchmarks).
 */
import { ArgumentError, KernelLoadError } from '../errors.ts';

/** Where a kernel's wasm can come from. Strings are URLs. */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;

/** What every kernel module exports besides its functions. */
export interface KernelExports {
  /** The module's linear memory. */
  readonly memory: WebAssembly.Memory;
  /** First 16-byte aligned address above static data; the host owns memory from here on. */
  heapBase(): number;
}

/** Options accepted by every facade's `init`. */
export interface InitOptions {
  /** Use these wasm bytes, URL or compiled module instead of the embedded SIMD build. */
  wasm?: WasmSource;
}

/**
 * Which implementation a kernel object runs: `wasm`, the pure-TS twin `ts`, or `auto`: wasm when
 * the runtime has SIMD or a compiled module is given, else the twin.
 */
export type Backend = 'auto' | 'wasm' | 'ts';

/** The backend choice every kernel facade accepts. */
export interface BackendOptions {
  /** Default `auto`. */
  backend?: Backend;
  /**
   * A compiled module of the kernel to instantiate instead of the embedded SIMD build (e.g. the
   * scalar build in benchmarks); implies wasm under `auto`.
   */
  module?: WebAssembly.Module;
}

/**
 * Checks a facade's backend options and resolves `auto`; an unknown backend or a module that is
 * not a `WebAssembly.Module` throws ArgumentError naming `${prefix}backend` or `${prefix}module`.
 */
export function chooseBackend(options: BackendOptions, prefix = ''): 'wasm' | 'ts' {
  const backend: unknown = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'ts') {
    throw new ArgumentError(`${prefix}backend`, `expected 'auto', 'wasm' or 'ts', got ${String(backend)}`);
  }
  if (options.module !== undefined && !(options.module instanceof WebAssembly.Module)) {
    throw new ArgumentError(`${prefix}module`, 'expected a WebAssembly.Module');
  }
  const wasm =
    backend === 'wasm' || (backend === 'auto' && (options.module !== undefined || simdSupported()));
  return wasm ? 'wasm' : 'ts';
}

// The smallest module that uses a v128 instruction (from wasm-feature-detect).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

let simd: boolean | undefined;

/** True when this runtime can run WebAssembly with 128-bit SIMD (else facades use the TS twin). */
export function simdSupported(): boolean {
  simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  return simd;
}

/** Decodes standard base64 (the embedded wasm) with the `atob` every target runtime has. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compiles wasm from any supported source. */
export async function compileWasm(source: WasmSource): Promise<WebAssembly.Module> {
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof ArrayBuffer) return await WebAssembly.compile(source);
    if (ArrayBuffer.isView(source)) {
      const view = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      return await WebAssembly.compile(view.slice());
    }
    const response = typeof source === 'string' || source instanceof URL ? await fetch(source) : await source;
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${response.url}`);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (cause) {
    throw new KernelLoadError(`could not compile wasm: ${(cause as Error).message}`, { cause });
  }
}

/**
 * One kernel family's compiled module, compiled once and shared; each stateful object (an index,
 * a batch of series) instantiates its own instance so it owns its linear memory outright.
 */
export class Kernel<E extends KernelExports> {
  #module: WebAssembly.Module | undefined;
  #pending: Promise<WebAssembly.Module> | undefined;

  /**
   * A family that compiles nothing until `init` or its first instance.
   * @param name kernel family, for error messages
   * @param embedded returns the embedded base64 bytes (a function so they decode only if used)
   */
  constructor(
    readonly name: string,
    private readonly embedded: () => string,
  ) {}

  /** Compiles the kernel (once). With `options.wasm`, replaces the module with that source. */
  init(options: InitOptions = {}): Promise<WebAssembly.Module> {
    if (options.wasm !== undefined) {
      this.#pending = compileWasm(options.wasm).then((m) => (this.#module = m));
    } else {
      this.#pending ??= compileWasm(decodeBase64(this.embedded())).then((m) => (this.#module = m));
    }
    return this.#pending;
  }

  /** The compiled module; throws if `init()` has not finished. */
  get module(): WebAssembly.Module {
    if (!this.#module) throw new KernelLoadError(`${this.name}: call init() before use`);
    return this.#module;
  }

  /** A fresh instance with its own memory. */
  instantiate(module: WebAssembly.Module = this.module): E {
    const name = this.name;
    const imports = {
      env: {
        abort(_msg: number, _file: number, line: number, column: number): never {
          throw new KernelLoadError(`${name}: wasm abort at ${line}:${column}`);
        },
      },
    };
    return new WebAssembly.Instance(module, imports).exports as unknown as E;
  }
}
