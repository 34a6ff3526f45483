import { defineConfig } from 'vite';

// The playground: `npm run demo` serves it, `npm run build:demo` writes a static site to
// demo/dist that any static host can serve.
export default defineConfig({
  // Relative asset URLs, so the built site works from any folder of a static host.
  base: './',
  // Workers are ES modules: the engine's wasm bindings finish a top-level await.
  worker: { format: 'es' },
  // PGlite loads its wasm and data files relative to its own module: keep it out of pre-bundling.
  optimizeDeps: { exclude: ['@electric-sql/pglite'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
