/**
 * x0tta6bl4: the engine's core in one import. The domain vocabulary (fault kinds, actions,
 * targets), the MAPE-K loop and its stages; the heavier parts (RAG, post-quantum security,
 * PGlite, simulator, load tester, readiness validator, kernels) have their own entry points,
 * e.g. `x0tta6bl4/rag`, so they load only when used. The Python system's names are only in
 * `x0tta6bl4/compat`. Each name here is defined once across all entry points.
 */
export * from './domain/index.ts';
export * from './errors.ts';
export * from './loop/index.ts';
export * from './monitor/index.ts';
export * from './analyze/index.ts';
export * from './plan/index.ts';
export * from './execute/index.ts';
export * from './knowledge/index.ts';
