import { defineConfig } from 'vite';

/** PLAYGROUND_WATCH=0 serves the tree as it is, without watching it or reloading pages (the end-to-end tests). */
const watch = process.env.PLAYGROUND_WATCH !== '0';

// The playground: `npm run demo` serves it, `npm run build:demo` writes a static site to
// demo/dist that any static host can serve.
export default defineConfig({
  server: watch ? {} : { watch: null, hmr: false },
  // Relative asset URLs, so the built site works from any folder of a static host.
  base: './',
  // Workers are ES modules: the engine's wasm bindings finish a top-level await.
  worker: { format: 'es' },
  // PGlite loads its wasm and data files relative to its own module: keep it out of pre-bundling.
  optimizeDeps: { exclude: ['@electric-sql/pglite'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
