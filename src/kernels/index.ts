/**
 * Kernels: the WebAssembly hot paths and their TypeScript twins. One shared loader (embedded
 * wasm, SIMD detection, `init({ wasm })` overrides) and one folder per kernel family, each with
 * its own entry point so an application loads only what it uses: `x0tta6bl4/kernels/stats`,
 * `x0tta6bl4/kernels/similarity`, `x0tta6bl4/kernels/scoring`.
 */
export {
  compileWasm,
  decodeBase64,
  Kernel,
  simdSupported,
  type InitOptions,
  type KernelExports,
  type WasmSource,
} from './loader.ts';
