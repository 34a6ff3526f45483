/**
 * `x0tta6bl4 audit verify <store>` and `x0tta6bl4 audit show <store>`: check or print a signed
 * audit log. `<store>` is either an AuditFile (JSON: entries, seals and the signer's public
 * keys) or a PGlite data directory holding the audit tables (PGliteAuditStore, possibly shared
 * with the knowledge store). PGlite takes no lock on its directory: check a directory while no
 * engine has it open.
 *
 *   audit verify <store> [--keys <keys.json>] [--expect-entries <n>] [--json]
 *   audit show <store> [--from <seq>] [--limit <n>] [--json]
 *
 * Exit codes: 0 verified / shown, 1 the log failed verification, 2 usage or unreadable input.
 * Without --keys, verify trusts the public keys stored with the log itself, which proves the
 * log is intact but not who wrote it; pass the engine's exported public keys to prove that too.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MemoryAuditStore,
  exportAuditFile,
  type AuditFile,
  type AuditStore,
} from '../security/audit-store.ts';
import { verifyAuditLog } from '../security/audit-verify.ts';
import { KeyRing, type PublicKeysJson } from '../security/keys.ts';

/** Where the command writes; defaults to the process's stdout and stderr. */
export interface AuditCommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const USAGE = [
  'usage: x0tta6bl4 audit verify <store> [--keys <keys.json>] [--expect-entries <n>] [--json]',
  '       x0tta6bl4 audit show <store> [--from <seq>] [--limit <n>] [--json]',
].join('\n');

class UsageError extends Error {}

interface Parsed {
  command: string;
  store: string;
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--keys', '--expect-entries', '--from', '--limit']);
const BOOLEAN_FLAGS = new Set(['--json']);

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

/** An opened audit store, the public keys stored with it, and how to let it go. */
interface OpenedStore {
  store: AuditStore;
  embeddedKeys(): Promise<KeyRing>;
  close(): Promise<void>;
}

async function openStore(path: string): Promise<OpenedStore> {
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
  // PGlite would create a fresh, empty (and trivially valid) database in any other directory.
  if (!(await stat(join(path, 'PG_VERSION')).catch(() => undefined))) {
    throw new UsageError(`${path} is not a PGlite data directory`);
  }
  const { PGliteAuditStore } = await import('../knowledge/pglite-audit-store.ts');
  const store = await PGliteAuditStore.open(path);
  return { store, embeddedKeys: () => store.keyRing(), close: () => store.close() };
}

async function verify(parsed: Parsed, opened: OpenedStore, io: AuditCommandIo): Promise<number> {
  const keysPath = parsed.flags.get('--keys');
  let ring: KeyRing;
  if (typeof keysPath === 'string')
    ring = KeyRing.fromJSON(await readJson<PublicKeysJson>(keysPath, 'key file'));
  else {
    io.err('warning: trusting the public keys stored in the log itself (use --keys to check who signed it)');
    ring = await opened.embeddedKeys();
  }
  const verdict = await verifyAuditLog(opened.store, ring, {
    expectedEntries: intFlag(parsed.flags, '--expect-entries'),
  });
  if (parsed.flags.has('--json')) io.out(JSON.stringify(verdict));
  else if (verdict.ok)
    io.out(`OK: ${verdict.entries} entries in ${verdict.batches} signed batches, head ${verdict.head}`);
  else
    io.out(
      `FAILED: ${verdict.reason} at position ${verdict.position}${verdict.batch === undefined ? '' : ` (batch ${verdict.batch})`}: ${verdict.detail}`,
    );
  return verdict.ok ? 0 : 1;
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
    const opened = await openStore(parsed.store);
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
