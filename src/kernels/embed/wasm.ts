/**
 * Facade over the embed wasm kernel (assembly/embed.ts): one instance with its own memory per
 * embedder, prepared texts copied in as UTF-16 code units, a batch embedded per call.
 */
import { Kernel, type InitOptions, type KernelExports, type WasmSource } from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { wasmBase64 } from './embedded.ts';
import { ArgumentError } from '../../errors.ts';
import { checkBatch, type FeatureWeights } from './twin.ts';

interface EmbedExports extends KernelExports {
  embedBatch(
    chars: number,
    offsets: number,
    count: number,
    out: number,
    dim: number,
    wWord: number,
    wBigram: number,
    wChar: number,
    wConcept: number,
  ): void;
}

const embedKernel = new Kernel<EmbedExports>('embed', () => wasmBase64);

/** Compiles the embed kernel once (idempotent); `options.wasm` substitutes another build. */
export function init(options?: InitOptions): Promise<WebAssembly.Module> {
  return embedKernel.init(options);
}

/** A wasm instance of the hashed-embedding kernel. */
export class HashedKernel {
  readonly #exports: EmbedExports;
  readonly #memory: LinearMemory;

  private constructor(exports: EmbedExports) {
    this.#exports = exports;
    this.#memory = new LinearMemory(exports);
  }

  /** Compiles (once per process) and instantiates the kernel; `wasm` overrides the bytes. */
  static async create(wasm?: WasmSource): Promise<HashedKernel> {
    const module = await embedKernel.init(wasm === undefined ? {} : { wasm });
    return new HashedKernel(embedKernel.instantiate(module));
  }

  /**
   * Embeds prepared texts into a fresh row-major `texts.length x dim` matrix, as the twin
   * `hashedEmbedTwin` does (same checks; results equal within 1e-6).
   */
  embed(texts: readonly string[], dim: number, w: FeatureWeights): Float32Array {
    checkBatch(texts, dim, w);
    const memory = this.#memory;
    let units = 0;
    for (const t of texts) units += t.length;
    memory.release(memory.base);
    let chars: number;
    let offsets: number;
    let out: number;
    try {
      chars = memory.alloc(units * 2);
      offsets = memory.alloc((texts.length + 1) * 4);
      out = memory.alloc(texts.length * dim * 4);
    } catch (cause) {
      if (!(cause instanceof RangeError)) throw cause;
      throw new ArgumentError(
        'texts',
        `${texts.length} texts x dim ${dim} need more than wasm memory can grow to`,
      );
    }
    const charView = new Uint16Array(this.#exports.memory.buffer, chars, units);
    const offsetView = memory.i32(offsets, texts.length + 1);
    let at = 0;
    for (let i = 0; i < texts.length; i++) {
      offsetView[i] = at;
      const t = texts[i];
      for (let j = 0; j < t.length; j++) charView[at + j] = t.charCodeAt(j);
      at += t.length;
    }
    offsetView[texts.length] = at;
    this.#exports.embedBatch(chars, offsets, texts.length, out, dim, w.word, w.bigram, w.char, w.concept);
    return memory.f32(out, texts.length * dim).slice();
  }
}
