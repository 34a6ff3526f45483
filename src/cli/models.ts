/**
 * `x0tta6bl4 models`: the model registry of a store directory or of a store on a PostgreSQL
 * server (`--store postgres://...`, src/knowledge/postgres-store.ts) (src/mlops).
 *
 *   models list --store <dir> [--json]
 *   models show <name>[@version|@alias] --store <dir> [--json]
 *   models promote <name>@<version> --store <dir> [--alias champion] [--reason <text>] [--keys <key file>]
 *   models rollback <name> --store <dir> [--alias champion] [--reason <text>] [--keys <key file>]
 *   models diff <a> <b> --store <dir> [--json]
 *   models register --onnx <file> --name <name> --store <dir> [--role <role>] [--tag <tag>]... [--keys <key file>] [--json]
 *
 * list, show and diff read a snapshot and never write. promote, rollback and register take the
 * store's writer lock and append a signed `model.promote` / `model.rollback` / `model.register`
 * entry to the store's audit log before the change is stored, signed with the operator's key
 * file (--keys), or, without one, a key made for this command whose secret is discarded (as
 * `run` does). On a server, which takes no writer lock (its constraints keep concurrent changes
 * apart), a change signs an audit chain of its own, as each engine's run does.
 *
 * register takes an ONNX file (x0tta6bl4/onnx): the next version of --name holds the file, and
 * its parameters what the file declares (SHA-256, size, IR version, opsets, inputs, outputs), so
 * it is promoted, compared and rolled back like any other model.
 *
 * Exit codes: 0 done, 1 the registry refused (no such model, version or alias, nothing to roll
 * back to, a corrupted version, a file that is no ONNX model, a name of another kind), 2 usage
 * error or a path that is not a store.
 */
import { readFile } from 'node:fs/promises';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { newRunId } from '../knowledge/ids.ts';
import type { ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import { isPostgresUrl } from '../knowledge/sql.ts';
import type { SqlAuditStore } from '../knowledge/sql-audit-store.ts';
import { ModelNotFoundError, ModelTransitionError } from '../mlops/errors.ts';
import { ModelRegistry, isIntactVersion, parseModelRef } from '../mlops/registry.ts';
import { onnxModelVersion } from '../onnx/registry.ts';
import { AuditLog } from '../security/audit-log.ts';
import { NodeKeys } from '../security/keys.ts';
import {
  type CommandGroup,
  type CommandIo,
  UsageError,
  asUsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
  runGroup,
} from './args.ts';
import { loadOperatorKeys } from './operator-keys.ts';
import { formatTable } from './table.ts';

const STORE_OPTION = {
  type: 'string',
  value: 'DIR',
  help: 'the knowledge store directory (or postgres:// URL) holding the registry (required)',
} as const;
const JSON_OPTION = { type: 'boolean', help: 'print JSON on stdout' } as const;
const CHANGE_OPTIONS = {
  store: STORE_OPTION,
  alias: { type: 'string', value: 'NAME', default: 'champion', help: 'the alias to move' },
  reason: { type: 'string', value: 'TEXT', help: 'why, recorded with the change and in the audit log' },
  keys: { type: 'input', help: 'the operator key file that signs the audit entry (x0tta6bl4 keys generate)' },
  'passphrase-env': {
    type: 'string',
    value: 'VAR',
    help: "the environment variable holding the key file's passphrase",
  },
} as const;
const EXIT_READ = '0 done, 1 no such model, version or alias, 2 usage error or not a store';
const EXIT_CHANGE = '0 done, 1 the registry refused the change, 2 usage error or not a store';

const LIST = defineCommand({
  name: 'models list',
  summary: 'every registered model: kind, versions, aliases',
  usage: ['--store <dir> [--json]'],
  options: { store: STORE_OPTION, json: JSON_OPTION },
  exitCodes: EXIT_READ,
});
const SHOW = defineCommand({
  name: 'models show',
  summary: "one version's lineage, metrics, tags and digest (default the champion, else the newest)",
  usage: ['<name>[@version|@alias] --store <dir> [--json]'],
  options: { store: STORE_OPTION, json: JSON_OPTION },
  positionals: { name: '<model>', min: 1, max: 1 },
  exitCodes: EXIT_READ,
});
const PROMOTE = defineCommand({
  name: 'models promote',
  summary: 'point an alias (default champion) at a version; audited',
  usage: ['<name>@<version> --store <dir> [--alias champion] [--reason <text>] [--keys <key file>]'],
  options: CHANGE_OPTIONS,
  positionals: { name: '<name>@<version>', min: 1, max: 1 },
  exitCodes: EXIT_CHANGE,
});
const ROLLBACK = defineCommand({
  name: 'models rollback',
  summary: 'return an alias (default champion) to the intact version promoted before; audited',
  usage: ['<name> --store <dir> [--alias champion] [--reason <text>] [--keys <key file>]'],
  options: CHANGE_OPTIONS,
  positionals: { name: '<name>', min: 1, max: 1 },
  exitCodes: EXIT_CHANGE,
});
const DIFF = defineCommand({
  name: 'models diff',
  summary: 'what differs between two versions: parameters, metrics, tags, artefact',
  usage: ['<a> <b> --store <dir> [--json]'],
  options: { store: STORE_OPTION, json: JSON_OPTION },
  positionals: { name: '<a> <b>', min: 2, max: 2 },
  exitCodes: EXIT_READ,
});

const REGISTER = defineCommand({
  name: 'models register',
  summary: 'register an ONNX file as the next version of a model (checksum, inputs, outputs, opset); audited',
  usage: [
    '--onnx <file> --name <name> --store <dir> [--role <role>] [--tag <tag>]... [--keys <key file>] [--json]',
  ],
  details:
    'The file is read whole and checked to be an ONNX model; its version records the file, its\n' +
    'SHA-256, size, IR version, opsets, inputs and outputs. Promote it with models promote.',
  options: {
    onnx: { type: 'input', standardInput: false, help: 'the ONNX model file (required)' },
    name: { type: 'string', value: 'NAME', help: 'the model name in the registry (required)' },
    store: STORE_OPTION,
    role: { type: 'string', value: 'ROLE', help: "what the model is for, e.g. 'detector' or 'scorer'" },
    tag: { type: 'string', value: 'TAG', multiple: true, help: 'a free label' },
    keys: CHANGE_OPTIONS.keys,
    'passphrase-env': CHANGE_OPTIONS['passphrase-env'],
    json: JSON_OPTION,
  },
  exitCodes: EXIT_CHANGE,
});

function requireStore(store: string | undefined): string {
  if (store === undefined)
    throw new UsageError('--store', 'the registry lives in a store directory: --store <dir>');
  return store;
}

/** A model reference checked as a usage error (exit 2) rather than a registry refusal. */
function checkRef(argument: string, ref: string): ReturnType<typeof parseModelRef> {
  try {
    return parseModelRef(ref);
  } catch (error) {
    throw new UsageError(argument, (error as Error).message);
  }
}

/**
 * Opens the store (a snapshot for reading, under the writer lock for a change), runs `use`, and
 * maps the registry's refusals to exit 1 and a path that is no store (or is busy) to exit 2.
 */
async function withRegistry(
  path: string,
  mode: 'read' | 'write',
  io: CommandIo,
  use: (opened: Awaited<ReturnType<typeof openStore>>) => Promise<number>,
): Promise<number> {
  let opened: Awaited<ReturnType<typeof openStore>>;
  try {
    opened = await openStore(path, mode);
  } catch (error) {
    if (!(error instanceof X0ttaError)) throw error;
    io.err(`models: ${error.message}`);
    return 2;
  }
  try {
    return await use(opened);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError || error instanceof ModelTransitionError)) throw error;
    io.err(`models: ${error.message}`);
    return 1;
  } finally {
    await opened.close();
  }
}

/** An opened store: its registry tables, the audit log a change is signed into, and how to let it go. */
interface OpenedRegistryStore {
  knowledge: ModelStore;
  auditStore(): Promise<SqlAuditStore>;
  close(): Promise<void>;
}

async function openStore(path: string, mode: 'read' | 'write'): Promise<OpenedRegistryStore> {
  if (isPostgresUrl(path)) {
    const { PostgresStore } = await import('../knowledge/postgres-store.ts');
    // A change needs a registry to change: never create a store here.
    const store = await PostgresStore.open(path, { existing: true });
    return {
      knowledge: store,
      auditStore: async () => store.auditStore(newRunId()),
      close: () => store.close(),
    };
  }
  const { openStoreForReading, openStoreForWriting } = await import('../knowledge/store-directory.ts');
  const { PGliteAuditStore } = await import('../knowledge/pglite-audit-store.ts');
  let opened: Awaited<ReturnType<typeof openStoreForReading>>;
  if (mode === 'read') opened = await openStoreForReading(path);
  else {
    const { assertStoreDirectory } = await import('../knowledge/existing-store.ts');
    // A change needs a registry to change: never create a store here.
    await assertStoreDirectory(path, path);
    opened = await openStoreForWriting(path);
  }
  return {
    knowledge: opened.knowledge,
    auditStore: () => PGliteAuditStore.fromDatabase(opened.knowledge.database),
    close: () => opened.close(),
  };
}

/** The operator's keys from --keys, or a key made for this command (with a notice on stderr). */
async function loadKeys(keyFile: string | undefined, passphraseEnv: string | undefined, io: CommandIo) {
  if (keyFile === undefined) {
    io.err(
      'models: signing the audit entry with a key made for this command (its secret is discarded): verify the log with --trust-embedded, or sign with your own key: --keys <key file>',
    );
    return NodeKeys.generate({ owner: 'operator' });
  }
  try {
    return await loadOperatorKeys(keyFile, passphraseEnv);
  } catch (error) {
    if (error instanceof ArgumentError && error.argument === '--passphrase-env') throw asUsageError(error);
    throw new UsageError('--keys', `cannot use key file ${keyFile}: ${(error as Error).message}`);
  }
}

/** Moves an alias under the writer lock, with the change signed into the store's audit log. */
async function change(
  values: { store?: string; alias: string; reason?: string; keys?: string; 'passphrase-env'?: string },
  io: CommandIo,
  move: (
    registry: ModelRegistry,
  ) => Promise<{ name: string; alias: string; version: number; action: string }>,
): Promise<number> {
  return withSignedRegistry(values, io, async (registry) => {
    const event = await move(registry);
    io.out(`${event.name}@${event.alias} -> version ${event.version} (${event.action})`);
    return 0;
  });
}

/**
 * Runs `body` with the store's registry open for writing (under its writer lock), each change
 * signed into the store's audit log with the operator's key (--keys, else a throwaway one); the
 * log is flushed after, whatever `body` did.
 */
async function withSignedRegistry(
  values: { store?: string; keys?: string; 'passphrase-env'?: string },
  io: CommandIo,
  body: (registry: ModelRegistry) => Promise<number>,
): Promise<number> {
  const keys = await loadKeys(values.keys, values['passphrase-env'], io);
  return withRegistry(requireStore(values.store), 'write', io, async (opened) => {
    const auditStore = await opened.auditStore();
    await auditStore.putKeys(keys.ring());
    const log = await AuditLog.open(auditStore, keys);
    const registry = new ModelRegistry(opened.knowledge, { audit: log, actor: 'operator' });
    try {
      return await body(registry);
    } finally {
      await log.flush();
    }
  });
}

/** Registers the ONNX file of `values.onnx` under the writer lock, the registration signed into the audit log. */
async function registerOnnx(
  values: {
    onnx?: string;
    name?: string;
    store?: string;
    role?: string;
    tag?: string[];
    keys?: string;
    'passphrase-env'?: string;
    json: boolean;
  },
  io: CommandIo,
): Promise<number> {
  if (values.onnx === undefined) throw new UsageError('--onnx', 'missing: the ONNX file to register');
  if (values.name === undefined) throw new UsageError('--name', 'missing: the model name in the registry');
  const ref = checkRef('--name', values.name);
  if (ref.version !== undefined || ref.alias !== undefined)
    throw new UsageError('--name', 'the model name alone: the registry numbers the version');
  // Checked before the file is read; withSignedRegistry opens it.
  requireStore(values.store);
  let registration: ReturnType<typeof onnxModelVersion>;
  try {
    registration = onnxModelVersion({
      name: values.name,
      bytes: new Uint8Array(await readFile(values.onnx)),
      ...(values.role === undefined ? {} : { role: values.role }),
      ...(values.tag === undefined ? {} : { tags: values.tag }),
    });
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    io.err(`models: ${values.onnx}: ${error.message}`);
    return 1;
  }
  return withSignedRegistry(values, io, async (registry) => {
    let record: ModelVersionRecord;
    try {
      record = await registry.register(registration);
    } catch (error) {
      // A name that holds another kind of model, or a tag the registry refuses.
      if (!(error instanceof ArgumentError)) throw error;
      io.err(`models: ${error.message}`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify({ ...record, artefact: undefined }, null, 2));
    else io.out(describeVersion(record, await registry.aliases(record.name)));
    return 0;
  });
}

function describeVersion(v: ModelVersionRecord, aliases: Record<string, number>): string {
  const pointing = Object.entries(aliases)
    .filter(([, version]) => version === v.version)
    .map(([alias]) => alias);
  const lines = [
    `${v.name}@${v.version} (${v.kind})${pointing.length > 0 ? ` [${pointing.join(', ')}]` : ''}`,
    `  registered  ${new Date(v.createdAt).toISOString()}`,
    `  digest      ${v.digest}${isIntactVersion(v) ? '' : '  (DOES NOT MATCH the artefact)'}`,
    `  parent      ${v.lineage.parent === null ? 'none' : `version ${v.lineage.parent}`}`,
    `  data        ${v.lineage.dataWindow === null ? 'none' : `ticks ${v.lineage.dataWindow.from}-${v.lineage.dataWindow.to}`}`,
    `  tags        ${v.tags.length > 0 ? v.tags.join(', ') : 'none'}`,
  ];
  for (const [key, value] of Object.entries(v.lineage.parameters))
    lines.push(`  parameter   ${key} = ${JSON.stringify(value)}`);
  for (const [key, value] of Object.entries(v.lineage.metrics)) lines.push(`  metric      ${key} = ${value}`);
  return lines.join('\n');
}

/** The `models` command and its subcommands. */
export const MODELS_COMMANDS: CommandGroup = {
  name: 'models',
  summary:
    'The model registry of a store: list, show, promote, roll back, compare and register model versions.',
  commands: {
    list: {
      spec: LIST,
      run: (argv, io) =>
        runCommandSpec(LIST, argv, io, ({ values }) =>
          withRegistry(requireStore(values.store), 'read', io, async (opened) => {
            const models = await new ModelRegistry(opened.knowledge).models();
            if (values.json) io.out(JSON.stringify(models, null, 2));
            else if (models.length === 0) io.out('no models registered');
            else
              io.out(
                formatTable(
                  [
                    { title: 'model', align: 'left' },
                    { title: 'kind', align: 'left' },
                    { title: 'versions', align: 'right' },
                    { title: 'latest', align: 'right' },
                    { title: 'aliases', align: 'left' },
                  ],
                  models.map((m) => [
                    m.name,
                    m.kind,
                    String(m.versions),
                    String(m.latest),
                    Object.entries(m.aliases)
                      .map(([alias, v]) => `${alias}=${v}`)
                      .join(' '),
                  ]),
                ),
              );
            return 0;
          }),
        ),
    },
    show: {
      spec: SHOW,
      run: (argv, io) =>
        runCommandSpec(SHOW, argv, io, ({ values, positionals }) => {
          const ref = positionals[0];
          checkRef('<model>', ref);
          return withRegistry(requireStore(values.store), 'read', io, async (opened) => {
            const registry = new ModelRegistry(opened.knowledge);
            const version = await registry.get(ref);
            const aliases = await registry.aliases(version.name);
            io.out(
              values.json
                ? JSON.stringify({ ...version, aliases }, null, 2)
                : describeVersion(version, aliases),
            );
            return 0;
          });
        }),
    },
    promote: {
      spec: PROMOTE,
      run: (argv, io) =>
        runCommandSpec(PROMOTE, argv, io, ({ values, positionals }) => {
          const { name, version } = checkRef('<name>@<version>', positionals[0]);
          if (version === undefined)
            throw new UsageError(
              '<name>@<version>',
              `"${positionals[0]}": name the version to promote, e.g. ${name}@2`,
            );
          return change(values, io, async (registry) =>
            registry.promote(name, version, { alias: values.alias, reason: values.reason }),
          );
        }),
    },
    rollback: {
      spec: ROLLBACK,
      run: (argv, io) =>
        runCommandSpec(ROLLBACK, argv, io, ({ values, positionals }) => {
          const { name, version, alias } = checkRef('<name>', positionals[0]);
          if (version !== undefined || alias !== undefined)
            throw new UsageError('<name>', 'a rollback takes the model name alone (--alias names the alias)');
          return change(values, io, async (registry) =>
            registry.rollback(name, { alias: values.alias, reason: values.reason }),
          );
        }),
    },
    register: {
      spec: REGISTER,
      run: (argv, io) => runCommandSpec(REGISTER, argv, io, ({ values }) => registerOnnx(values, io)),
    },
    diff: {
      spec: DIFF,
      run: (argv, io) =>
        runCommandSpec(DIFF, argv, io, ({ values, positionals }) => {
          const [a, b] = positionals;
          checkRef('<a>', a);
          checkRef('<b>', b);
          return withRegistry(requireStore(values.store), 'read', io, async (opened) => {
            const diff = await new ModelRegistry(opened.knowledge).diff(a, b);
            if (values.json) {
              io.out(JSON.stringify(diff, null, 2));
              return 0;
            }
            const lines = [`${diff.a} -> ${diff.b}: artefact ${diff.sameArtefact ? 'identical' : 'differs'}`];
            for (const [key, { a: va, b: vb }] of Object.entries(diff.parameters))
              lines.push(
                `  parameter ${key}: ${JSON.stringify(va) ?? 'absent'} -> ${JSON.stringify(vb) ?? 'absent'}`,
              );
            for (const [key, m] of Object.entries(diff.metrics))
              lines.push(
                `  metric ${key}: ${m.a ?? 'absent'} -> ${m.b ?? 'absent'}${m.delta === undefined ? '' : ` (${m.delta >= 0 ? '+' : ''}${m.delta})`}`,
              );
            if (diff.tags.added.length > 0) lines.push(`  tags added: ${diff.tags.added.join(', ')}`);
            if (diff.tags.removed.length > 0) lines.push(`  tags removed: ${diff.tags.removed.join(', ')}`);
            io.out(lines.join('\n'));
            return 0;
          });
        }),
    },
  },
};

/** Runs `models <list|show|promote|rollback|register|diff> ...`; returns the exit code (0 done, 1 refused, 2 usage). */
export function runModelsCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runGroup(MODELS_COMMANDS, argv, io);
}
