/**
 * The layering rules of the package (CONTRIBUTING.md, "Dependencies point one way"), checked by
 * `npm run lint:deps` (scripts/lint-deps.ts). Type-only imports count: a type from a higher
 * layer couples the lower one to it just as much.
 *
 * Layers, from the bottom; a module may import its own layer and the layers below it, never one
 * above. Folders of one layer may import each other, but no two folders may form a cycle.
 */
const LAYERS = [
  { name: 'base', paths: ['src/(errors|validate|random)\\.'] },
  { name: 'runtime', paths: ['src/runtime/'] },
  { name: 'kernels', paths: ['src/kernels/'] },
  { name: 'domain', paths: ['src/domain/'] },
  { name: 'security', paths: ['src/security/'] },
  { name: 'knowledge-monitor-rag', paths: ['src/knowledge/', 'src/monitor/', 'src/rag/'] },
  { name: 'analyze-plan-execute', paths: ['src/analyze/', 'src/plan/', 'src/execute/'] },
  // The model registry and health sit above the stages whose models they version and watch, and
  // below the loop, run and serve, which register versions, feed health and roll back through them.
  { name: 'mlops', paths: ['src/mlops/'] },
  { name: 'loop', paths: ['src/loop/'] },
  // Users' ONNX models in the loop's and the planner's place, registered in the model registry.
  { name: 'onnx', paths: ['src/onnx/'] },
  { name: 'sim', paths: ['src/sim/'] },
  { name: 'run', paths: ['src/run/'] },
  // The entry points: commands, services, the compatibility layer, the pictures of a run (the
  // playground's and the HTML report's) and the root export.
  {
    name: 'entry-points',
    paths: [
      'src/report/',
      'src/load/',
      'src/readiness/',
      'src/compat/',
      'src/cli/',
      'src/serve/',
      'src/cluster/',
      'src/index\\.',
    ],
  },
];

/** Modules that are server-side by nature (separate subpath exports): the only ones with node: imports. */
const SERVER_SIDE = [
  'src/cli/',
  'src/serve/listen\\.',
  'src/execute/command-executor\\.',
  'src/knowledge/(store-directory|existing-store|store-lock)\\.',
  'src/rag/(file-store|folder)\\.',
  // It reads a checkout and probes a process; its node: imports are dynamic, so it loads anywhere.
  'src/readiness/',
];

/** A regular expression matching any of `paths`, anchored at the repository root. */
const anyOf = (paths) => `^(${paths.join('|')})`;

const LAYERED = anyOf(LAYERS.flatMap((layer) => layer.paths));

const upward = LAYERS.slice(0, -1).map((layer, i) => {
  const above = LAYERS.slice(i + 1).flatMap((higher) => higher.paths);
  return {
    name: `no-upward-from-${layer.name}`,
    comment: `${layer.paths.join(', ')} must not import a higher layer (${above.join(', ')})`,
    severity: 'error',
    from: { path: anyOf(layer.paths) },
    to: { path: anyOf(above) },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment:
        'folders of src/ and workers/ must not depend on each other in a circle (a cycle through src/ ' +
        'as a whole, which holds every folder, is the import of workers/ the rules below forbid)',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src|workers)(/|$)' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-unlayered-module',
      comment: 'every module of src/ belongs to a layer above; add a new folder to LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERED },
      to: {},
    },
    {
      name: 'no-import-of-unlayered-module',
      comment: 'every module of src/ belongs to a layer above; add a new folder to LAYERS',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: LAYERED },
    },
    {
      name: 'no-workers-from-src',
      comment: 'src/ starts workers by URL and never imports workers/ (their API types live in src/)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^workers/' },
    },
    {
      name: 'workers-import-runtime-and-kernels-only',
      comment: 'worker entry points are thin: they expose src/kernels through src/runtime',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^src/', pathNot: anyOf(LAYERS.slice(0, 3).flatMap((layer) => layer.paths)) },
    },
    {
      name: 'node-builtins-server-side-only',
      comment:
        'src/ runs unchanged on Node, Deno, Bun and browsers; only the commands and the modules that are servers, processes or files by nature import node: builtins',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(SERVER_SIDE) },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-test-or-bench-from-shipped-code',
      comment: 'src/ and workers/ ship; test/ and bench/ do not',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
