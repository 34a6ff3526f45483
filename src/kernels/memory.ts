/**
 * Host-side layout of one kernel instance's linear memory: a bump arena above `heapBase()`,
 * growing the memory on demand. Views are made fresh on each access because growing the memory
 * detaches every earlier view of its buffer.
 */
import type { KernelExports } from './loader.ts';

const PAGE = 65536;

/** A bump allocator over a kernel instance's linear memory. */
export class LinearMemory {
  readonly base: number;
  #top: number;

  constructor(private readonly kernel: KernelExports) {
    this.base = kernel.heapBase();
    this.#top = this.base;
  }

  /** Bytes in use above the base. */
  get used(): number {
    return this.#top - this.base;
  }

  /** Reserves `bytes` (16-byte aligned) and returns its address; grows memory as needed. */
  alloc(bytes: number): number {
    const ptr = this.#top;
    this.#top = (ptr + bytes + 15) & ~15;
    this.ensure(this.#top);
    return ptr;
  }

  /** Frees everything allocated after `mark` (a value returned by `alloc`, or `base`). */
  release(mark: number): void {
    this.#top = mark;
  }

  /** Grows the memory so that addresses below `end` are valid. */
  ensure(end: number): void {
    const memory = this.kernel.memory;
    const missing = end - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.kernel.memory.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.kernel.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.kernel.memory.buffer, ptr, length);
  }

  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.kernel.memory.buffer, ptr, length);
  }

  i8(ptr: number, length: number): Int8Array {
    return new Int8Array(this.kernel.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.kernel.memory.buffer, ptr, length);
  }
}
