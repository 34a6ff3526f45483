/**
 * `x0tta6bl4 rag`: query the runbooks and past incidents, or add your own Markdown runbooks.
 *
 *   rag query "<text>" [--k 5] [--json] [--store <file.json|dir>]
 *   rag index <dir> [--store <file.json|dir>] [--replace]
 *
 * The shipped runbooks are always searched. A store keeps indexed runbooks and their
 * embeddings: a `.json` path or an existing file is a JSON file store; anything else is a PGlite
 * data directory, which may be the engine's knowledge database (the RAG table sits beside the
 * knowledge tables). Without --store, `index` keeps its runbooks in the user's data directory
 * (`$XDG_DATA_HOME/x0tta6bl4/rag.json`, `~/.local/share/...` by default, `%LOCALAPPDATA%` on
 * Windows) and `query` reads that file if it exists.
 *
 * `query` never writes: it reads the store into memory (a store directory through a snapshot)
 * and searches there, and a --store that is not a store is an error (exit 2), never turned into
 * one. `index` writes a store directory under its writer lock, creates one only at a path that
 * does not exist yet (or an empty folder), and refuses a runbook id that is already taken (a
 * shipped runbook, one indexed before, or another file of the same folder) unless --replace is
 * given for the first two.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { X0ttaError } from '../errors.ts';
import { NotAStoreError, assertStoreDirectory } from '../knowledge/existing-store.ts';
import { openStoreForReading, openStoreForWriting } from '../knowledge/store-directory.ts';
import { PGliteRagStore } from '../knowledge/pglite-rag-store.ts';
import { RAGAnalyzer } from '../rag/analyzer.ts';
import type { RagDocument } from '../rag/document.ts';
import { FileRagStore } from '../rag/file-store.ts';
import { parseRunbook } from '../rag/runbook.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { MemoryRagStore, type RagStore, type StoredDocument } from '../rag/store.ts';

const USAGE = `usage:
  x0tta6bl4 rag query "<text>" [--k 5] [--json] [--store <file.json|dir>]
  x0tta6bl4 rag index <dir> [--store <file.json|dir>] [--replace]
without --store, index writes to and query reads ${defaultStorePath()}`;

interface Parsed {
  positional: string[];
  k: number;
  json: boolean;
  replace: boolean;
  store?: string;
}

/** Runs `rag <subcommand>`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function runRagCommand(argv: string[]): Promise<number> {
  let args: Parsed;
  try {
    args = parseArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [sub, ...rest] = args.positional;
  try {
    if (sub === 'query' && rest.length >= 1) return await query(rest.join(' '), args);
    if (sub === 'index' && rest.length === 1) return await index(rest[0], args);
  } catch (error) {
    if (error instanceof NotAStoreError) {
      console.error(`rag: ${error.message}`);
      return 2;
    }
    if (error instanceof X0ttaError || (error as { code?: string }).code) {
      console.error(`rag: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
  console.error(USAGE);
  return 2;
}

function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { positional: [], k: 5, json: false, replace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') parsed.json = true;
    else if (a === '--replace') parsed.replace = true;
    else if (a === '--k') {
      const k = Number(argv[++i]);
      if (!Number.isInteger(k) || k < 1)
        throw new Error(`--k: expected an integer >= 1, got ${argv[i] ?? 'nothing'}`);
      parsed.k = k;
    } else if (a === '--store') {
      if (!argv[i + 1]) throw new Error('--store: expected a file or directory path');
      parsed.store = argv[++i];
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else parsed.positional.push(a);
  }
  return parsed;
}

/** The JSON store `index` writes to without --store, in the user's data directory. */
function defaultStorePath(): string {
  const env = process.env;
  const base =
    process.platform === 'win32'
      ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
      : env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'x0tta6bl4', 'rag.json');
}

async function isJsonStore(path: string): Promise<boolean> {
  return path.endsWith('.json') || (await stat(path).catch(() => undefined))?.isFile() === true;
}

/**
 * The documents of the store at `path`, read without writing anything: a JSON store must
 * exist; a directory must already be a store, and is read from a snapshot (PGlite writes to any
 * data directory it opens), refused while another process writes it.
 */
async function readStore(path: string): Promise<StoredDocument[]> {
  if (await isJsonStore(path)) {
    if (!(await stat(path).catch(() => undefined)))
      throw new NotAStoreError('--store', `${path} does not exist`);
    return (await FileRagStore.open(path)).listDocuments();
  }
  await assertStoreDirectory(path, '--store');
  const snapshot = await openStoreForReading(path);
  try {
    return await (await PGliteRagStore.fromDatabase(snapshot.knowledge.database)).listDocuments();
  } finally {
    await snapshot.close();
  }
}

/**
 * Opens the store `index` writes to, runs `use` on it and closes it. A store directory is opened
 * under its writer lock, and created only where nothing is: a new path or an empty folder.
 */
async function withWritableStore<T>(path: string, use: (store: RagStore) => Promise<T>): Promise<T> {
  if (await isJsonStore(path)) return use(await FileRagStore.open(path));
  const opened = await openStoreForWriting(path);
  try {
    return await use(await PGliteRagStore.fromDatabase(opened.knowledge.database));
  } finally {
    await opened.close();
  }
}

async function query(text: string, args: Parsed): Promise<number> {
  const path = args.store ?? defaultStorePath();
  const stored =
    args.store !== undefined || (await stat(path).catch(() => undefined)) ? await readStore(path) : [];
  const memory = new MemoryRagStore();
  await memory.putDocuments(stored);
  const result = await (await RAGAnalyzer.create({ store: memory })).retrieveContext(text, { k: args.k });
  if (args.json) {
    console.log(
      JSON.stringify(
        {
          query: result.query,
          totalResults: result.totalResults,
          timings: result.timings,
          results: result.hits.map((h) => ({
            id: h.document.id,
            source: h.document.source,
            title: h.document.title,
            faults: h.document.faults,
            severity: h.document.severity,
            actions: h.document.actions,
            score: h.score,
            lexicalRank: h.lexicalRank ?? null,
            vectorRank: h.vectorRank ?? null,
            similarity: h.similarity ?? null,
            matched: h.matched,
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (result.length === 0) {
    console.log('no matching runbooks');
    return 0;
  }
  result.hits.forEach((h, i) => {
    console.log(`${i + 1}. ${h.document.id}  [${h.document.faults.join(', ')}]  score ${h.score.toFixed(3)}`);
    console.log(`   ${h.document.title}`);
    const ranks = [h.lexicalRank && `bm25 #${h.lexicalRank}`, h.vectorRank && `vector #${h.vectorRank}`]
      .filter(Boolean)
      .join(', ');
    console.log(
      `   why: ${h.matched.length ? h.matched.join(', ') : 'no shared terms'}${ranks ? ` (${ranks})` : ''}`,
    );
    console.log(`   actions: ${h.document.actions.join(', ')}`);
  });
  console.log(
    `${result.length} of ${result.totalResults} matches in ${result.timings.totalMs.toFixed(1)} ms`,
  );
  return 0;
}

const SHIPPED_IDS = new Set(RUNBOOKS.map((r) => r.id));

async function index(dir: string, args: Parsed): Promise<number> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  if (files.length === 0) {
    console.error(`rag: no .md files in ${dir}`);
    return 1;
  }
  const docs: RagDocument[] = [];
  const fileOf = new Map<string, string>();
  for (const f of files) {
    const doc = parseRunbook(await readFile(join(dir, f), 'utf8'), f);
    const first = fileOf.get(doc.id);
    if (first !== undefined) {
      console.error(`rag: ${f} and ${first} both have the id ${doc.id}; nothing indexed`);
      return 1;
    }
    fileOf.set(doc.id, f);
    docs.push(doc);
  }
  const path = args.store ?? defaultStorePath();
  const refuse = (taken: string[]) => {
    for (const line of taken) console.error(`rag: ${line}`);
    console.error('rag: nothing indexed; rename the runbook, or pass --replace to replace the existing one');
    return 1;
  };
  // Refused before the store is opened, so a refused index creates no store.
  const shipped = docs
    .filter((d) => SHIPPED_IDS.has(d.id))
    .map((d) => `${fileOf.get(d.id)}: id ${d.id} is a shipped runbook`);
  if (shipped.length > 0 && !args.replace) return refuse(shipped);
  return withWritableStore(path, async (store) => {
    // Checked before anything is written, so a refused index leaves the store as it was.
    const sourceOf = new Map((await store.listDocuments()).map((s) => [s.document.id, s.document.source]));
    const taken = docs
      .filter((d) => !SHIPPED_IDS.has(d.id) && sourceOf.has(d.id))
      .map((d) => `${fileOf.get(d.id)}: id ${d.id} is already in ${path} (${sourceOf.get(d.id)})`);
    if (taken.length > 0 && !args.replace) return refuse(taken);
    const analyzer = await RAGAnalyzer.create({ store });
    await analyzer.indexKnowledge(docs);
    for (const line of [...shipped, ...taken]) console.log(`replaced: ${line}`);
    console.log(
      `indexed ${docs.length} runbooks from ${dir} into ${path} (${analyzer.size} documents in total)`,
    );
    return 0;
  });
}
