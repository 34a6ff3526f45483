// The dependency check (`npm run lint:deps`): the layering rules of .dependency-cruiser.cjs over
// every import of src/ and workers/, type-only and dynamic imports included. Exits 1 on a
// violation or an unresolved relative import, and prints each one.
//
// It calls dependency-cruiser's API with its swc parser: the CLI refuses Node 20, and the
// TypeScript parser needs the compiler API that the native typescript 7.0 does not have.
//
// Run: npx tsx scripts/lint-deps.ts [tree]   (tree: another checkout to check; default this one)
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';

const repository = fileURLToPath(new URL('..', import.meta.url));
const { forbidden } = createRequire(import.meta.url)(join(repository, '.dependency-cruiser.cjs'));

process.chdir(resolve(process.argv[2] ?? repository));
const result = await cruise(['src', 'workers'], {
  validate: true,
  ruleSet: { forbidden },
  parser: 'swc',
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  exclude: { path: 'node_modules' },
});
const output = result.output as ICruiseResult;

const unresolved = output.modules.flatMap((m) =>
  m.dependencies
    .filter((d) => d.couldNotResolve && d.module.startsWith('.'))
    .map((d) => `unresolved import: ${m.source}: ${d.module}`),
);
// A cycle is reported once from every folder on it: print each cycle once.
const seen = new Set<string>();
const findings: string[] = [];
for (const violation of output.summary.violations) {
  const line = describe(violation);
  if (line !== undefined && !seen.has(line)) findings.push(line), seen.add(line);
}

for (const line of [...unresolved, ...findings]) console.log(line);
console.log(
  `${findings.length} dependency violations, ${unresolved.length} unresolved imports ` +
    `(${output.summary.totalCruised} modules, ${output.summary.totalDependenciesCruised} imports)`,
);
process.exitCode = findings.length + unresolved.length === 0 ? 0 : 1;

/** One line per violation; a folder cycle names its folders in a canonical rotation. */
function describe(violation: IViolation): string | undefined {
  if (violation.cycle === undefined) {
    const module = output.modules.find((m) => m.source === violation.from);
    const dependency = module?.dependencies.find((d) => d.resolved === violation.to);
    const kinds = dependency?.dependencyTypes ?? [];
    const kind = kinds.includes('type-only')
      ? ' (type only)'
      : kinds.includes('dynamic-import')
        ? ' (dynamic)'
        : '';
    return `${violation.rule.name}: ${violation.from} -> ${violation.to}${kind}`;
  }
  const folders = [violation.from, ...violation.cycle.map((step) => step.name)];
  // src/ as a whole holds every folder: it closes a cycle with workers/ only through an import
  // of workers/ from src/, which has a rule of its own.
  if (folders.includes('src')) return undefined;
  const ring = folders.slice(0, -1);
  const start = ring.indexOf([...ring].sort()[0]);
  const rotated = [...ring.slice(start), ...ring.slice(0, start)];
  return `${violation.rule.name}: ${[...rotated, rotated[0]].join(' -> ')}`;
}
