/**
 * `x0tta6bl4 audit verify <store>` and `x0tta6bl4 audit show <store>`: check or print a signed
 * audit log. `<store>` is either an AuditFile (JSON: entries, seals and the signer's public
 * keys) or a store directory (the knowledge store with its audit log). A directory is read from
 * a snapshot, so these commands never write to it, and a store a live process is writing is
 * refused (its files are mid-write). `-` reads an AuditFile from standard input. A
 * `postgres://` URL names a store on a PostgreSQL server (read only), whose log holds one chain
 * per run: each is verified on its own, against the checkpoint its run recorded.
 *
 *   audit verify <store> (--keys <public keys> | --trust-embedded) [--expect-head <hash>]
 *                [--checkpoint <file>] [--expect-entries <n>] [--json]
 *   audit show <store> [--from <seq>] [--limit <n>] [--json]
 *
 * What verification proves: with --keys (the signer's public keys, pinned by the operator from
 * `x0tta6bl4 keys export-public`), that the key holder sealed every batch; with --trust-embedded
 * only that the log is intact since its first seal, since whoever rewrites a log can replace the
 * keys it carries. Seals sign the running entry count and head, so a saved head (--expect-head,
 * --checkpoint, or the runs recorded in a store) detects whole batches cut from the end; a store
 * is also cross-checked against its knowledge (every action has its audit entries). Entries
 * after the last seal (a writer stopped before sealing) are reported, not accepted silently.
 *
 * Exit codes: 0 verified / shown, 1 the log failed verification, 2 usage or unreadable input.
 */
import { stat, writeFile } from 'node:fs/promises';
import { X0ttaError } from '../errors.ts';
import { auditCoverage, type AuditCoverage } from '../knowledge/audit-coverage.ts';
import type { RunRecord } from '../knowledge/runs.ts';
import { NotAStoreError } from '../knowledge/errors.ts';
import { isPostgresUrl } from '../knowledge/sql.ts';
import type { AuditCheckpoint } from '../security/audit-log.ts';
import {
  MemoryAuditStore,
  exportAuditFile,
  type AuditFile,
  type AuditStore,
} from '../security/audit-store.ts';
import {
  verifyAuditLog,
  type AuditFailure,
  type AuditSuccess,
  type LogCheckpoint,
} from '../security/audit-verify.ts';
import { KeyRing, type PublicKeysJson } from '../security/keys.ts';
import {
  type CommandGroup,
  type CommandIo,
  type OptionValues,
  UsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
  runGroup,
} from './args.ts';
import { inputName, readJsonInput } from './input.ts';

const EMBEDDED_TRUST =
  'signatures checked against the keys the log itself carries: proves integrity since the first seal, not who wrote it';
const STORE = { name: '<store>', min: 1, max: 1 } as const;
const STORE_DETAILS =
  "<store> is a store directory (read from a snapshot, never written), a PostgreSQL store (postgres://...;\nevery run's chain) or an audit file (JSON); - reads an audit file from standard input.";

const VERIFY = defineCommand({
  name: 'audit verify',
  summary: "check a log's hash chain and signed seals, against pinned keys",
  usage: [
    '<store> (--keys <public-keys.json> | --trust-embedded)',
    '    [--expect-head <hash>] [--checkpoint <file>] [--expect-entries <n>] [--json]',
  ],
  details: `${STORE_DETAILS}\nA store is also checked against its knowledge: every action and run has its audit entries.`,
  options: {
    keys: {
      type: 'input',
      help: "the signer's public keys (x0tta6bl4 keys export-public), or its key file",
    },
    'trust-embedded': {
      type: 'boolean',
      help: 'check against the keys the log carries: integrity only, not who wrote it',
    },
    'expect-head': { type: 'string', value: 'HASH', help: 'the head a run printed: detects a cut tail' },
    checkpoint: { type: 'input', help: 'a checkpoint file (run --checkpoint): detects a cut tail' },
    'expect-entries': {
      type: 'integer',
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      help: 'the number of entries the log must hold',
    },
    json: { type: 'boolean', help: 'print the verdict as JSON on stdout' },
  },
  positionals: STORE,
  exitCodes: '0 verified, 1 the log failed verification, 2 usage error or unreadable input',
});

const SHOW = defineCommand({
  name: 'audit show',
  summary: "print a log's entries, one a line",
  usage: ['<store> [--from <seq>] [--limit <n>] [--json]'],
  details: STORE_DETAILS,
  options: {
    from: {
      type: 'integer',
      value: 'SEQ',
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      default: 0,
      help: 'first entry',
    },
    limit: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'at most this many entries' },
    json: { type: 'boolean', help: 'print each entry as a JSON line on stdout' },
  },
  positionals: STORE,
  exitCodes: '0 shown, 2 usage error or unreadable input',
});

type VerifyOptions = OptionValues<typeof VERIFY.options>;

/** An opened audit log, the public keys stored with it, what its store knows, and how to let it go. */
interface OpenedLog {
  /** The log's chains: one ('') for a file or a store directory, one per run on a PostgreSQL server. */
  chains: { name: string; store: AuditStore }[];
  embeddedKeys(): Promise<KeyRing>;
  /** The store directory's knowledge, for the cross-check (absent for an audit file). */
  knowledge?: { actions: Parameters<typeof auditCoverage>[0]; runs: RunRecord[] };
  close(): Promise<void>;
}

async function openLog(path: string, withKnowledge: boolean): Promise<OpenedLog> {
  if (isPostgresUrl(path)) return openServerLog(path, withKnowledge);
  let isDirectory = false;
  if (path !== '-') {
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      throw new UsageError('<store>', `cannot read ${path}: ${(error as Error).message}`);
    }
  }
  if (!isDirectory) {
    const file = await readJsonInput<AuditFile>('<store>', path, 'audit file');
    if (file?.format !== 'x0tta6bl4-audit/1')
      throw new UsageError('<store>', `${inputName(path)} is not an x0tta6bl4 audit file`);
    return {
      chains: [{ name: '', store: MemoryAuditStore.fromFile(file) }],
      embeddedKeys: async () => KeyRing.fromJSON(file.keys),
      close: async () => {},
    };
  }
  const [{ openStoreForReading }, { PGliteAuditStore }] = await Promise.all([
    import('../knowledge/store-directory.ts'),
    import('../knowledge/pglite-audit-store.ts'),
  ]);
  const opened = await openStoreForReading(path);
  try {
    const store = await PGliteAuditStore.existing(opened.knowledge.database, path);
    const knowledge = withKnowledge
      ? { actions: await opened.knowledge.listActions(), runs: await opened.knowledge.listRuns() }
      : undefined;
    return {
      chains: [{ name: '', store }],
      embeddedKeys: () => store.keyRing(),
      knowledge,
      close: () => opened.close(),
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The log of a store on a PostgreSQL server: every chain in it (a server that is down fails at once). */
async function openServerLog(url: string, withKnowledge: boolean): Promise<OpenedLog> {
  const { PostgresStore } = await import('../knowledge/postgres-store.ts');
  const opened = await PostgresStore.open(url, { existing: true, outageMs: 0, connections: 1 });
  try {
    const names = await opened.auditChains();
    if (names.length === 0) throw new NotAStoreError(opened.label, 'the store holds no audit log');
    const chains = names.map((name) => ({ name, store: opened.auditStore(name) }));
    const knowledge = withKnowledge
      ? { actions: await opened.listActions(), runs: await opened.listRuns() }
      : undefined;
    return { chains, embeddedKeys: () => chains[0].store.keyRing(), knowledge, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The keys to verify against: pinned (--keys) or, only when asked, the log's own. */
async function trustedKeys(
  keysPath: string | undefined,
  opened: OpenedLog,
): Promise<{ ring: KeyRing; trust: string }> {
  if (keysPath === undefined) return { ring: await opened.embeddedKeys(), trust: EMBEDDED_TRUST };
  const json = await readJsonInput<PublicKeysJson | { format: string; public: PublicKeysJson }>(
    '--keys',
    keysPath,
    'key file',
  );
  // A key file's public part is as good as its export: accept either.
  const keys = json?.format === 'x0tta6bl4-keyfile/1' ? (json as { public: PublicKeysJson }).public : json;
  try {
    return {
      ring: KeyRing.fromJSON(keys as PublicKeysJson),
      trust: `signatures checked against the pinned keys in ${inputName(keysPath)}`,
    };
  } catch (error) {
    throw new UsageError('--keys', `${keysPath} holds no public keys: ${(error as Error).message}`);
  }
}

/** The checkpoints of chain `chain`: the --checkpoint file's, and those its runs recorded. */
async function checkpointsOf(
  path: string | undefined,
  opened: OpenedLog,
  chain: string,
): Promise<LogCheckpoint[]> {
  const checkpoints: LogCheckpoint[] = [];
  if (path !== undefined) {
    const saved = await readJsonInput<AuditCheckpoint>('--checkpoint', path, 'checkpoint');
    if (
      saved?.format !== 'x0tta6bl4-audit-checkpoint/1' ||
      !Number.isSafeInteger(saved.entries) ||
      saved.entries < 1
    )
      throw new UsageError(
        '--checkpoint',
        `${path} is not an audit checkpoint (x0tta6bl4 run --checkpoint writes one)`,
      );
    checkpoints.push({ entries: saved.entries, head: saved.head });
  }
  for (const run of opened.knowledge?.runs ?? [])
    if (run.audit && (run.audit.chain ?? '') === chain)
      checkpoints.push({ entries: run.audit.entries, head: run.audit.head });
  return checkpoints;
}

async function verify(values: VerifyOptions, opened: OpenedLog, io: CommandIo): Promise<number> {
  const { ring, trust } = await trustedKeys(values.keys, opened);
  const expectHead = values['expect-head'];
  const several = opened.chains.length > 1;
  if (several) {
    const single = ['--checkpoint', '--expect-head', '--expect-entries'].find(
      (flag) => values[flag.slice(2) as 'checkpoint' | 'expect-head' | 'expect-entries'] !== undefined,
    );
    if (single)
      throw new UsageError(
        single,
        `names one chain's state, but the store holds ${opened.chains.length} chains (one per run): each is checked against the checkpoint its run recorded`,
      );
  }
  const results: { name: string; verdict: AuditFailure | AuditSuccess; saved: number }[] = [];
  for (const { name, store } of opened.chains) {
    const checkpoints = await checkpointsOf(values.checkpoint, opened, name);
    const verdict = await verifyAuditLog(store, ring, {
      expectedEntries: values['expect-entries'],
      checkpoints,
      expectHead,
    });
    results.push({ name, verdict, saved: checkpoints.length + (expectHead === undefined ? 0 : 1) });
  }
  const verified = results.every((r) => r.verdict.ok);
  const coverage =
    verified && opened.knowledge
      ? await auditCoverage(
          opened.knowledge.actions,
          opened.knowledge.runs,
          opened.chains.map((c) => c.store),
        )
      : undefined;
  const ok = verified && (coverage?.gaps.length ?? 0) === 0;
  if (values.json) {
    const verdicts = several
      ? { chains: results.map((r) => ({ chain: r.name, ...r.verdict })) }
      : results[0].verdict;
    io.out(JSON.stringify({ ...verdicts, ok, trust, ...(coverage ? { coverage } : {}) }));
    return ok ? 0 : 1;
  }
  const prefix = (name: string) => (several ? `chain ${name}: ` : '');
  if (!verified) {
    for (const { name, verdict } of results) if (!verdict.ok) io.out(prefix(name) + failureLine(verdict));
    return 1;
  }
  if (coverage && coverage.gaps.length > 0) {
    io.out(coverageFailure(coverage));
    return 1;
  }
  for (const { name, verdict, saved } of results)
    for (const line of successLines(verdict as AuditSuccess, trust, saved)) io.out(prefix(name) + line);
  if (coverage)
    io.out(
      `knowledge: each of the ${plural(coverage.actions, 'action')} and ${plural(coverage.runs, 'run')} in the store has its audit entries`,
    );
  return 0;
}

function failureLine(verdict: AuditFailure): string {
  const batch = verdict.batch === undefined ? '' : ` (batch ${verdict.batch})`;
  return `FAILED: ${verdict.reason} at position ${verdict.position}${batch}: ${verdict.detail}`;
}

function coverageFailure(coverage: AuditCoverage): string {
  const examples = coverage.gaps
    .slice(0, 5)
    .map((g) => `${g.id} lacks ${g.missing}`)
    .join('; ');
  return `FAILED: coverage: the log does not account for ${coverage.gaps.length} records of the knowledge store (${examples}${coverage.gaps.length > 5 ? '; ...' : ''})`;
}

function successLines(verdict: AuditSuccess, trust: string, saved: number): string[] {
  const lines = [
    `OK (${trust}): ${verdict.entries} entries in ${verdict.batches} signed batches, head ${verdict.head}`,
  ];
  if (verdict.unsealed > 0)
    lines.push(
      `WARNING: ${verdict.unsealed} entries after the last seal are unsealed: they chain to the sealed head but nobody signed them (the writer stopped before sealing; the next run on the store seals them)`,
    );
  for (const r of verdict.recovered)
    lines.push(
      `note: entries ${r.first}..${r.first + r.count - 1} were sealed on recovery in batch ${r.batch}, after the writer that appended them had stopped`,
    );
  lines.push(
    saved > 0
      ? `truncation: the log still holds ${plural(saved, 'saved head')} it was checked against`
      : 'truncation: not checked (whole batches cut from the end verify alone): pass --checkpoint or --expect-head',
  );
  return lines;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

async function show(
  values: OptionValues<typeof SHOW.options>,
  opened: OpenedLog,
  io: CommandIo,
): Promise<number> {
  const { from, limit = Number.MAX_SAFE_INTEGER } = values;
  const several = opened.chains.length > 1;
  for (const { name, store } of opened.chains) {
    const { entries: total } = await store.size();
    const entries = from < total ? await store.entries(from, Math.min(total, from + limit)) : [];
    if (several && !values.json) io.out(`# chain ${name}`);
    for (const e of entries) {
      if (values.json) io.out(JSON.stringify(several ? { chain: name, ...e } : e));
      else
        io.out(`${e.seq}\t${new Date(e.ts).toISOString()}\t${e.kind}\t${e.actor}\t${JSON.stringify(e.data)}`);
    }
  }
  return 0;
}

/** Writes `store` and the signer's public `keys` to `path` as the AuditFile `audit verify` reads. */
export async function saveAuditFile(path: string, store: AuditStore, keys: KeyRing): Promise<void> {
  await writeFile(path, `${JSON.stringify(await exportAuditFile(store, keys), null, 1)}\n`);
}

/**
 * Opens `<store>`, runs `use` on it and lets it go; a store that cannot be opened (busy, not a
 * store, unreadable) is one line and exit 2.
 */
async function withLog(
  path: string,
  withKnowledge: boolean,
  io: CommandIo,
  use: (opened: OpenedLog) => Promise<number>,
): Promise<number> {
  let opened: OpenedLog;
  try {
    opened = await openLog(path, withKnowledge);
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof X0ttaError)) throw error;
    io.err(`audit: ${error.message}`);
    return 2;
  }
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

/** The `audit` command and its subcommands. */
export const AUDIT_COMMANDS: CommandGroup = {
  name: 'audit',
  summary: 'Check or print a signed audit log: a store directory or an audit file.',
  commands: {
    verify: {
      spec: VERIFY,
      run: (argv, io) =>
        runCommandSpec(VERIFY, argv, io, async ({ values, positionals }) => {
          if ((values.keys !== undefined) === values['trust-embedded'])
            throw new UsageError(
              values['trust-embedded'] ? '--trust-embedded' : '--keys',
              values['trust-embedded']
                ? '--keys and --trust-embedded exclude each other'
                : "verification needs the signer's public keys: --keys <file> (from x0tta6bl4 keys export-public), or --trust-embedded to check only the log's integrity against the keys it carries",
            );
          const head = values['expect-head'];
          if (head !== undefined && !/^[0-9a-f]{64}$/.test(head))
            throw new UsageError('--expect-head', 'expected a 64-digit hex hash (the head `run` printed)');
          return withLog(positionals[0], true, io, (opened) => verify(values, opened, io));
        }),
    },
    show: {
      spec: SHOW,
      run: (argv, io) =>
        runCommandSpec(SHOW, argv, io, ({ values, positionals }) =>
          withLog(positionals[0], false, io, (opened) => show(values, opened, io)),
        ),
    },
  },
};

/** Runs `audit <verify|show> ...`; returns the process exit code (0 ok, 1 verification failed, 2 usage). */
export function runAuditCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runGroup(AUDIT_COMMANDS, argv, io);
}
