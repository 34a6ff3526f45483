/**
 * Deployment: what an operator needs before shipping. A previous configuration and, for every
 * model serving as champion in the model registry, a previous intact version to roll back to,
 * and a valid current configuration (all read from the deployment's knowledge store, --store);
 * a runtime that satisfies the package's engines field; wasm kernels present and valid in the
 * build; the package's entry points on disk; the shipped runbook corpus in sync with its Markdown.
 */
import { notApplicable, sample, verdict, type Check, type CheckContext, type Observation } from '../check.ts';
import { describeError } from '../runner.ts';
import { readJson, readSources } from '../package-files.ts';
import type { VersionRecord } from '../versions.ts';

interface PackageJson {
  name?: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
}

/** A registered model's champion and the version a rollback would return it to. */
interface ModelRollback {
  name: string;
  champion: number | null;
  rollbackTo: number | null;
}

/** What the deployment store holds for rolling back: the configuration history and the models. */
interface DeploymentVersions {
  config: VersionRecord[];
  models: ModelRollback[];
}

/**
 * Version histories read once from the deployment store, shared by the two checks using them.
 * The store is read from a snapshot (`openStoreForReading`): readiness never writes to it, and a
 * path that is not a store, or a store a live process is writing, fails the checks with the reason.
 * A `postgres://` store (engines share it while they write) is read in place.
 */
/** The store at `path` for reading: a snapshot of a directory, or the server a `postgres://` URL names. */
async function openStoreToRead(path: string) {
  const { isPostgresUrl } = await import('../../knowledge/sql.ts');
  if (isPostgresUrl(path)) {
    const { PostgresStore } = await import('../../knowledge/postgres-store.ts');
    const knowledge = await PostgresStore.open(path, { existing: true });
    return { knowledge, close: () => knowledge.close() };
  }
  const { openStoreForReading } = await import('../../knowledge/store-directory.ts');
  return openStoreForReading(path);
}

function deploymentVersions(context: CheckContext): Promise<DeploymentVersions> {
  return context.shared('deployment-versions', async () => {
    const { versionHistory } = await import('../versions.ts');
    const { CHAMPION, ModelRegistry } = await import('../../mlops/registry.ts');
    const opened = await openStoreToRead(context.storePath!);
    try {
      const store = opened.knowledge;
      const registry = new ModelRegistry(store);
      const models: ModelRollback[] = [];
      for (const { name, aliases } of await registry.models())
        models.push({
          name,
          champion: aliases[CHAMPION] ?? null,
          rollbackTo: (await registry.rollbackTarget(name))?.version ?? null,
        });
      return { config: await versionHistory(store, 'config'), models };
    } finally {
      await opened.close();
    }
  });
}

/** Runs `inspect` with the store's histories, or not-applicable without --store. */
function withStore(inspect: (versions: DeploymentVersions, context: CheckContext) => Promise<Observation>) {
  return async (context: CheckContext): Promise<Observation> =>
    context.storePath === null
      ? notApplicable('no deployment store given', {
          rule: 'pass --store <knowledge-store-dir> to inspect recorded versions',
        })
      : inspect(await deploymentVersions(context), context);
}

/** True when `version` (x.y.z) satisfies a `>=x.y[.z]` range; undefined for other range forms. */
export function satisfiesMinimum(version: string, range: string): boolean | undefined {
  const m = /^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range);
  if (!m) return undefined;
  const want = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  const have = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i];
  return true;
}

const KERNELS = ['stats', 'scoring', 'similarity', 'embed', 'detector'] as const;

/** The Deployment checks. */
export const deploymentChecks: readonly Check[] = [
  {
    id: 'deploy.rollback-versions',
    title: 'A previous configuration and model version exist to roll back to',
    category: 'Deployment',
    critical: true,
    expected:
      "the store's versions/config holds an intact version before the current one, and the model registry holds at least one champion, each with an intact earlier champion to roll back to",
    timeoutMs: 45_000,
    run: withStore(async (versions) => {
      const { rollbackTarget } = await import('../versions.ts');
      const history = versions.config;
      const config = {
        versions: history.length,
        current: history.at(-1)?.version ?? null,
        rollbackTo: rollbackTarget(history)?.version ?? null,
      };
      const serving = versions.models.filter((m) => m.champion !== null);
      const stuck = serving.filter((m) => m.rollbackTo === null).map((m) => m.name);
      const models =
        serving.length === 0
          ? 'no champion model'
          : serving.map((m) => `${m.name} v${m.champion} -> v${m.rollbackTo ?? 'none'}`).join(', ');
      return verdict(
        config.rollbackTo !== null && serving.length > 0 && stuck.length === 0,
        `config -> v${config.rollbackTo ?? 'none'}; ${models}`,
        { config, models: versions.models, withoutRollback: stuck },
      );
    }),
  },
  {
    id: 'deploy.config-valid',
    title: 'The current engine configuration is valid',
    category: 'Deployment',
    critical: true,
    expected: 'the newest versions/config record is intact and passes the EngineConfig schema',
    timeoutMs: 45_000,
    run: withStore(async (versions) => {
      const { isIntact } = await import('../versions.ts');
      const { configProblems } = await import('../engine-config.ts');
      const current = versions.config.at(-1);
      if (!current) return verdict(false, 'no configuration recorded', { versions: 0 });
      const problems = [
        ...(isIntact(current) ? [] : ['digest does not match the value']),
        ...configProblems(current.value),
      ];
      return verdict(problems.length === 0, `v${current.version}: ${problems.length} problems`, {
        version: current.version,
        createdAt: new Date(current.createdAt).toISOString(),
        problems,
      });
    }),
  },
  {
    id: 'deploy.engines',
    title: "This runtime satisfies the package's engines field",
    category: 'Deployment',
    critical: true,
    expected: 'package.json engines.node is a >= range that this runtime meets',
    async run(context) {
      if (context.packageRoot === null)
        return verdict(false, 'package.json not found', { searchedFrom: import.meta.url });
      const pkg = await readJson<PackageJson>(context.packageRoot, 'package.json');
      const range = pkg?.engines?.node;
      const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
      if (range === undefined)
        return verdict(false, 'no engines.node field', { engines: pkg?.engines ?? null });
      if (node === undefined) return verdict(false, 'this runtime reports no Node version', { range });
      const ok = satisfiesMinimum(node, range);
      return verdict(
        ok === true,
        ok === undefined
          ? `range "${range}" not understood`
          : `node ${node} ${ok ? 'meets' : 'does not meet'} ${range}`,
        { range, node },
      );
    },
  },
  {
    id: 'deploy.wasm-artifacts',
    title: 'Every wasm kernel is embedded in the build and valid',
    category: 'Deployment',
    critical: true,
    expected: `${KERNELS.join(', ')}: embedded bytes validate and export memory and heapBase`,
    async run() {
      const { decodeBase64 } = await import('../../kernels/loader.ts');
      const modules: Record<string, string> = {};
      const loaders: Record<(typeof KERNELS)[number], () => Promise<{ wasmBase64: string }>> = {
        stats: () => import('../../kernels/stats/embedded.ts'),
        scoring: () => import('../../kernels/scoring/embedded.ts'),
        similarity: () => import('../../kernels/similarity/embedded.ts'),
        embed: () => import('../../kernels/embed/embedded.ts'),
        detector: () => import('../../kernels/detector/embedded.ts'),
      };
      for (const kernel of KERNELS) {
        try {
          const bytes = decodeBase64((await loaders[kernel]()).wasmBase64);
          const module = new WebAssembly.Module(new Uint8Array(bytes));
          const names = WebAssembly.Module.exports(module).map((e) => e.name);
          const missing = ['memory', 'heapBase'].filter((n) => !names.includes(n));
          modules[kernel] =
            missing.length === 0
              ? `ok: ${bytes.length} bytes, ${names.length} exports`
              : `missing exports ${missing.join(', ')}`;
        } catch (error) {
          modules[kernel] = describeError(error);
        }
      }
      const ok = Object.values(modules).every((m) => m.startsWith('ok'));
      return verdict(
        ok,
        `${Object.values(modules).filter((m) => m.startsWith('ok')).length}/${KERNELS.length} kernels valid`,
        modules,
      );
    },
  },
  {
    id: 'deploy.entry-points',
    title: "The package's bin and exports point at files that exist",
    category: 'Deployment',
    critical: false,
    expected: 'every bin and exports target in package.json exists (run `npm run build` in a checkout)',
    async run(context) {
      if (context.packageRoot === null)
        return verdict(false, 'package.json not found', { searchedFrom: import.meta.url });
      const fs = await import('node:fs/promises');
      const path = await import('node:path');
      const pkg = (await readJson<PackageJson>(context.packageRoot, 'package.json')) ?? {};
      const targets = [
        ...Object.values(pkg.bin ?? {}),
        ...Object.values(pkg.exports ?? {}).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))),
      ];
      const missing: string[] = [];
      for (const target of targets) {
        await fs.access(path.join(context.packageRoot, target)).catch(() => missing.push(target));
      }
      return verdict(
        targets.length > 0 && missing.length === 0,
        `${targets.length - missing.length}/${targets.length} targets exist`,
        {
          root: context.packageRoot,
          targets: targets.length,
          missing: sample(missing),
        },
      );
    },
  },
  {
    id: 'deploy.runbook-corpus',
    title: 'The embedded runbook corpus matches the shipped Markdown',
    category: 'Deployment',
    critical: false,
    expected: 'knowledge/runbooks/*.md parse to exactly the documents in runbooks.generated.ts',
    async run(context) {
      if (context.packageRoot === null)
        return verdict(false, 'package.json not found', { searchedFrom: import.meta.url });
      const { RUNBOOKS } = await import('../../rag/runbooks.generated.ts');
      const { parseRunbook } = await import('../../rag/runbook.ts');
      const { canonicalJson } = await import('../../security/canonical.ts');
      const files = await readSources(context.packageRoot, 'knowledge/runbooks', ['.md']);
      const embedded = new Map(RUNBOOKS.map((r) => [r.id, canonicalJson(r)]));
      const differing: string[] = [];
      const parsedIds = new Set<string>();
      for (const file of files) {
        const doc = parseRunbook(file.text, file.path);
        parsedIds.add(doc.id);
        if (embedded.get(doc.id) !== canonicalJson(doc)) differing.push(file.path);
      }
      const notShipped = [...embedded.keys()].filter((id) => !parsedIds.has(id));
      return verdict(
        files.length > 0 && differing.length === 0 && notShipped.length === 0,
        `${files.length} files, ${differing.length} differ, ${notShipped.length} missing`,
        {
          markdownFiles: files.length,
          embedded: RUNBOOKS.length,
          differing,
          embeddedWithoutMarkdown: notShipped,
        },
      );
    },
  },
];
