import { describe, expect, it } from 'vitest';
import { compileWasm, decodeBase64, Kernel, simdSupported } from '../../src/kernels/loader.ts';
import { LinearMemory } from '../../src/kernels/memory.ts';
import { checkArray, checkInt } from '../../src/validate.ts';
import { ArgumentError, DetachedBufferError, KernelLoadError } from '../../src/errors.ts';

// (module (func (export "heapBase") (result i32) i32.const 1024) (memory (export "memory") 1))
const TINY = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 21, 2, 8, 104, 101, 97,
  112, 66, 97, 115, 101, 0, 0, 6, 109, 101, 109, 111, 114, 121, 2, 0, 10, 7, 1, 5, 0, 65, 128, 8, 11,
]);

describe('kernel loader', () => {
  it('detects SIMD on every supported runtime', () => {
    expect(simdSupported()).toBe(true);
  });

  it('decodes base64', () => {
    expect(Array.from(decodeBase64('AGFzbQ=='))).toEqual([0, 97, 115, 109]);
  });

  it('compiles from bytes, a view, a compiled module and a Response', async () => {
    const module = await compileWasm(TINY);
    expect(module).toBeInstanceOf(WebAssembly.Module);
    expect(await compileWasm(TINY.buffer)).toBeInstanceOf(WebAssembly.Module);
    expect(await compileWasm(module)).toBe(module);
    const response = new Response(TINY, { headers: { 'content-type': 'application/wasm' } });
    expect(await compileWasm(response)).toBeInstanceOf(WebAssembly.Module);
  });

  it('reports bad bytes as a KernelLoadError', async () => {
    await expect(compileWasm(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(KernelLoadError);
  });

  it('refuses use before init and instantiates after it', async () => {
    const kernel = new Kernel<{ memory: WebAssembly.Memory; heapBase(): number }>('tiny', () =>
      btoa(String.fromCharCode(...TINY)),
    );
    expect(() => kernel.module).toThrow(KernelLoadError);
    await kernel.init();
    const a = kernel.instantiate();
    const b = kernel.instantiate();
    expect(a.heapBase()).toBe(1024);
    expect(a.memory).not.toBe(b.memory);
  });

  it('grows linear memory on demand', async () => {
    const kernel = new Kernel<{ memory: WebAssembly.Memory; heapBase(): number }>('tiny', () => '');
    await kernel.init({ wasm: TINY });
    const memory = new LinearMemory(kernel.instantiate());
    const ptr = memory.alloc(1 << 20);
    expect(ptr).toBe(1024);
    memory.f32(ptr, 1 << 18).fill(1);
    expect(memory.used).toBe(1 << 20);
  });
});

describe('argument checks', () => {
  it('names the argument', () => {
    expect(() => checkInt('k', -1, 1)).toThrow(/^k: /);
    expect(() => checkInt('k', 1.5, 1)).toThrow(ArgumentError);
    expect(() => checkArray('query', [1, 2], Float32Array)).toThrow(/query: expected Float32Array/);
  });

  it('detects a detached buffer', () => {
    const array = new Float32Array(8);
    structuredClone(array.buffer, { transfer: [array.buffer] });
    expect(() => checkArray('vectors', array, Float32Array)).toThrow(DetachedBufferError);
    expect(checkArray('empty', new Float32Array(0), Float32Array).length).toBe(0);
  });
});
