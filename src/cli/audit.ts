/**
 * `x0tta6bl4 audit verify <store>` and `x0tta6bl4 audit show <store>`: check or print a signed
 * audit log. `<store>` is either an AuditFile (JSON: entries, seals and the signer's public
 * keys) or a store directory (the knowledge store with its audit log). A directory is read from
 * a snapshot, so these commands never write to it, and a store a live process is writing is
 * refused (its files are mid-write).
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
import { readFile, stat, writeFile } from 'node:fs/promises';
import { auditCoverage, type AuditCoverage } from '../knowledge/audit-coverage.ts';
import type { RunRecord } from '../knowledge/runs.ts';
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

/** Where the command writes; defaults to the process's stdout and stderr. */
export interface AuditCommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const USAGE = [
  'usage: x0tta6bl4 audit verify <store> (--keys <public-keys.json> | --trust-embedded)',
  '                              [--expect-head <hash>] [--checkpoint <file>] [--expect-entries <n>] [--json]',
  '       x0tta6bl4 audit show <store> [--from <seq>] [--limit <n>] [--json]',
].join('\n');

const EMBEDDED_TRUST =
  'signatures checked against the keys the log itself carries: proves integrity since the first seal, not who wrote it';

class UsageError extends Error {}

interface Parsed {
  command: string;
  store: string;
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  '--keys',
  '--expect-entries',
  '--expect-head',
  '--checkpoint',
  '--from',
  '--limit',
]);
const BOOLEAN_FLAGS = new Set(['--json', '--trust-embedded']);

function parse(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command !== 'verify' && command !== 'show')
    throw new UsageError(`unknown audit command ${command ?? '(none)'}`);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (VALUE_FLAGS.has(arg)) {
      if (i + 1 >= rest.length) throw new UsageError(`${arg} needs a value`);
      flags.set(arg, rest[++i]);
    } else if (BOOLEAN_FLAGS.has(arg)) flags.set(arg, true);
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new UsageError('expected exactly one <store> path');
  if (command === 'verify' && flags.has('--keys') === flags.has('--trust-embedded'))
    throw new UsageError(
      flags.has('--keys')
        ? '--keys and --trust-embedded exclude each other'
        : "verification needs the signer's public keys: --keys <file> (from x0tta6bl4 keys export-public), or --trust-embedded to check only the log's integrity against the keys it carries",
    );
  return { command, store: positional[0], flags };
}

function intFlag(flags: Parsed['flags'], name: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw === true || !Number.isSafeInteger(value) || value < 0)
    throw new UsageError(`${name} expects a non-negative integer`);
  return value;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UsageError(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** An opened audit log, the public keys stored with it, what its store knows, and how to let it go. */
interface OpenedLog {
  store: AuditStore;
  embeddedKeys(): Promise<KeyRing>;
  /** The store directory's knowledge, for the cross-check (absent for an audit file). */
  knowledge?: { actions: Parameters<typeof auditCoverage>[0]; runs: RunRecord[] };
  close(): Promise<void>;
}

async function openLog(path: string, withKnowledge: boolean): Promise<OpenedLog> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read audit store ${path}: ${(error as Error).message}`);
  }
  if (!isDirectory) {
    const file = await readJson<AuditFile>(path, 'audit store');
    if (file?.format !== 'x0tta6bl4-audit/1') throw new UsageError(`${path} is not an x0tta6bl4 audit file`);
    return {
      store: MemoryAuditStore.fromFile(file),
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
    return { store, embeddedKeys: () => store.keyRing(), knowledge, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The keys to verify against: pinned (--keys) or, only when asked, the log's own. */
async function trustedKeys(parsed: Parsed, opened: OpenedLog): Promise<{ ring: KeyRing; trust: string }> {
  const keysPath = parsed.flags.get('--keys');
  if (typeof keysPath !== 'string') return { ring: await opened.embeddedKeys(), trust: EMBEDDED_TRUST };
  const json = await readJson<PublicKeysJson | { format: string; public: PublicKeysJson }>(
    keysPath,
    'key file',
  );
  // A key file's public part is as good as its export: accept either.
  const keys = json?.format === 'x0tta6bl4-keyfile/1' ? (json as { public: PublicKeysJson }).public : json;
  try {
    return {
      ring: KeyRing.fromJSON(keys as PublicKeysJson),
      trust: `signatures checked against the pinned keys in ${keysPath}`,
    };
  } catch (error) {
    throw new UsageError(`${keysPath} holds no public keys: ${(error as Error).message}`);
  }
}

async function checkpointsOf(parsed: Parsed, opened: OpenedLog): Promise<LogCheckpoint[]> {
  const checkpoints: LogCheckpoint[] = [];
  const path = parsed.flags.get('--checkpoint');
  if (typeof path === 'string') {
    const saved = await readJson<AuditCheckpoint>(path, 'checkpoint');
    if (
      saved?.format !== 'x0tta6bl4-audit-checkpoint/1' ||
      !Number.isSafeInteger(saved.entries) ||
      saved.entries < 1
    )
      throw new UsageError(`${path} is not an audit checkpoint (x0tta6bl4 run --checkpoint writes one)`);
    checkpoints.push({ entries: saved.entries, head: saved.head });
  }
  for (const run of opened.knowledge?.runs ?? []) if (run.audit) checkpoints.push(run.audit);
  return checkpoints;
}

async function verify(parsed: Parsed, opened: OpenedLog, io: AuditCommandIo): Promise<number> {
  const { ring, trust } = await trustedKeys(parsed, opened);
  const expectHead = parsed.flags.get('--expect-head');
  if (expectHead === true || (expectHead !== undefined && !/^[0-9a-f]{64}$/.test(expectHead)))
    throw new UsageError('--expect-head expects a 64-digit hex hash (the head `run` printed)');
  const checkpoints = await checkpointsOf(parsed, opened);
  const verdict = await verifyAuditLog(opened.store, ring, {
    expectedEntries: intFlag(parsed.flags, '--expect-entries'),
    checkpoints,
    expectHead,
  });
  const coverage =
    verdict.ok && opened.knowledge
      ? await auditCoverage(opened.knowledge.actions, opened.knowledge.runs, opened.store)
      : undefined;
  const ok = verdict.ok && (coverage?.gaps.length ?? 0) === 0;
  if (parsed.flags.has('--json')) {
    io.out(JSON.stringify({ ...verdict, ok, trust, ...(coverage ? { coverage } : {}) }));
    return ok ? 0 : 1;
  }
  if (!verdict.ok) io.out(failureLine(verdict));
  else if (coverage && coverage.gaps.length > 0) io.out(coverageFailure(coverage));
  else {
    const saved = checkpoints.length + (expectHead === undefined ? 0 : 1);
    for (const line of successLines(verdict, trust, saved, coverage)) io.out(line);
  }
  return ok ? 0 : 1;
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

function successLines(
  verdict: AuditSuccess,
  trust: string,
  saved: number,
  coverage?: AuditCoverage,
): string[] {
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
  if (coverage)
    lines.push(
      `knowledge: each of the ${plural(coverage.actions, 'action')} and ${plural(coverage.runs, 'run')} in the store has its audit entries`,
    );
  return lines;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

async function show(parsed: Parsed, store: AuditStore, io: AuditCommandIo): Promise<number> {
  const from = intFlag(parsed.flags, '--from') ?? 0;
  const limit = intFlag(parsed.flags, '--limit') ?? Number.MAX_SAFE_INTEGER;
  const { entries: total } = await store.size();
  const entries = from < total ? await store.entries(from, Math.min(total, from + limit)) : [];
  for (const e of entries) {
    if (parsed.flags.has('--json')) io.out(JSON.stringify(e));
    else
      io.out(`${e.seq}\t${new Date(e.ts).toISOString()}\t${e.kind}\t${e.actor}\t${JSON.stringify(e.data)}`);
  }
  return 0;
}

/** Writes `store` and the signer's public `keys` to `path` as the AuditFile `audit verify` reads. */
export async function saveAuditFile(path: string, store: AuditStore, keys: KeyRing): Promise<void> {
  await writeFile(path, `${JSON.stringify(await exportAuditFile(store, keys), null, 1)}\n`);
}

/** Runs `audit <verify|show> ...`; returns the process exit code (0 ok, 1 verification failed, 2 usage). */
export async function runAuditCommand(argv: string[], io: AuditCommandIo = consoleIo): Promise<number> {
  try {
    const parsed = parse(argv);
    const opened = await openLog(parsed.store, parsed.command === 'verify');
    try {
      return parsed.command === 'verify'
        ? await verify(parsed, opened, io)
        : await show(parsed, opened.store, io);
    } finally {
      await opened.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`audit: ${error.message}`);
      io.err(USAGE);
      return 2;
    }
    io.err(`audit: ${(error as Error).message}`);
    return 2;
  }
}
