/**
 * `x0tta6bl4 rag`: query the runbooks and past incidents, or add your own runbooks.
 *
 *   rag query "<text>"|- [--k 5] [--json] [--store <file.json|dir>] [--embedder transformers --model <dir>]
 *   rag query --alert <file|-> [--k 5] [--json] [--store <file.json|dir>] [--embedder ...]
 *   rag index <dir> [--store <file.json|dir>] [--replace] [--json] [--embedder transformers --model <dir>]
 *
 * The vectors come from the built-in hashed embedder, or with `--embedder transformers --model
 * <dir>` from a local transformers.js feature-extraction model (a folder with config.json,
 * tokenizer.json, tokenizer_config.json and onnx/model.onnx, such as an all-MiniLM-L6-v2 export),
 * never downloaded. The store keeps each vector with its embedder's id: index and query with the
 * same embedder, or the documents are embedded again in memory for the query.
 *
 * `index` walks the folder and its sub-folders and takes every Markdown (.md, .markdown, .mdx)
 * and plain-text (.txt) file: runbooks in the project's schema (front matter with `faults`,
 * knowledge/runbook.schema.json) are validated strictly; any other runbook is indexed as it is
 * written, under its path, with fault kinds and actions inferred (and shown) with a confidence.
 * Indexing a folder again is incremental: files whose SHA-256 is unchanged are skipped, files
 * gone from the folder leave the store, and it reports what was added, changed, removed and
 * skipped. `query --alert` reads an Alertmanager alert (webhook payload, API list or one alert,
 * JSON) from a file or stdin (-) and answers each alert: the runbook its runbook_url or
 * alertname names comes first; `query -` reads the question itself from stdin.
 *
 * The shipped runbooks are always searched. A store keeps indexed runbooks and their embeddings: a
 * `.json` path or an existing file is a JSON file store; anything else is a PGlite data directory,
 * which may be the engine's knowledge database (the RAG table sits beside the knowledge tables); a
 * `postgres://` URL is a store on a PostgreSQL server (the engines' shared one,
 * src/knowledge/postgres-store.ts), read and written in place. Without --store, `index` keeps its
 * runbooks in the user's data directory (`$XDG_DATA_HOME/x0tta6bl4/rag.json`, `~/.local/share/...`
 * by default, `%LOCALAPPDATA%` on Windows) and `query` reads that file if it exists.
 *
 * `query` never writes: it reads the store into memory (a store directory through a snapshot)
 * and searches there, and a --store that is not a store is an error (exit 2), never turned into
 * one. `index` writes a store directory under its writer lock, creates one only at a path that
 * does not exist yet (or an empty folder), and refuses a runbook id that is already taken (a
 * shipped runbook, one indexed before, or another file of the same folder) unless --replace is
 * given for the first two.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { NotAStoreError, assertStoreDirectory } from '../knowledge/existing-store.ts';
import { isPostgresUrl } from '../knowledge/sql.ts';
import { openStoreForReading, openStoreForWriting } from '../knowledge/store-directory.ts';
import { PGliteRagStore } from '../knowledge/pglite-rag-store.ts';
import { alertName, parseAlerts } from '../rag/alert.ts';
import { RAGAnalyzer } from '../rag/analyzer.ts';
import { labelConfidence, type RagDocument } from '../rag/document.ts';
import type { Embedder } from '../rag/embedder.ts';
import { FileRagStore } from '../rag/file-store.ts';
import { readRunbookFiles, runbookDocument, type RunbookFile } from '../rag/folder.ts';
import { LabelInference } from '../rag/infer.ts';
import type { RetrievalHit, RetrievalResult } from '../rag/result.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { MemoryRagStore, type RagStore, type StoredDocument } from '../rag/store.ts';
import {
  type CommandGroup,
  type CommandIo,
  UsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
  runGroup,
} from './args.ts';
import { readInput } from './input.ts';

const STORE_OPTION = {
  type: 'string',
  value: 'FILE.json|DIR',
  help: `a JSON file store, a store directory or a postgres:// store (default ${defaultStorePath()})`,
} as const;
const EMBEDDER_OPTIONS = {
  embedder: {
    type: 'string',
    choices: ['hashed', 'transformers'],
    default: 'hashed',
    help: 'the vectors: the built-in hashed embedder, or a local transformers.js model (--model)',
  },
  model: {
    type: 'string',
    value: 'DIR',
    help: 'the transformers.js model folder (config.json, tokenizer.json, onnx/model.onnx); never downloaded',
  },
} as const;
const EXIT_CODES =
  '0 done, 1 refused or failed (nothing written), 2 usage error or a --store that is not a store';

const QUERY = defineCommand({
  name: 'rag query',
  summary: 'search the shipped runbooks, indexed runbooks and past incidents',
  usage: [
    '"<text>"|- [--k 5] [--json] [--store <file.json|dir>] [--embedder transformers --model <dir>]',
    '--alert <file|-> [--k 5] [--json] [--store <file.json|dir>] [--embedder transformers --model <dir>]',
  ],
  details:
    'Never writes. - reads the question from standard input; --alert answers each alert of an\n' +
    'Alertmanager payload, the runbook its runbook_url or alertname names first.',
  options: {
    k: { type: 'integer', min: 1, max: 1000, default: 5, help: 'how many results' },
    alert: { type: 'input', help: 'an Alertmanager alert or payload (JSON)' },
    json: { type: 'boolean', help: 'print the results as JSON on stdout' },
    store: STORE_OPTION,
    ...EMBEDDER_OPTIONS,
  },
  positionals: { name: '"<text>"', min: 0, max: Number.MAX_SAFE_INTEGER },
  exitCodes: EXIT_CODES,
});

const INDEX = defineCommand({
  name: 'rag index',
  summary: 'index a folder of runbooks (incremental: only new and changed files are read)',
  usage: ['<dir> [--store <file.json|dir>] [--replace] [--json] [--embedder transformers --model <dir>]'],
  details:
    'Takes every .md, .markdown, .mdx and .txt file under <dir>; a file gone from the folder leaves\n' +
    'the store. An id that is already taken is refused unless --replace.',
  options: {
    store: STORE_OPTION,
    replace: { type: 'boolean', help: 'replace a shipped or earlier runbook with the same id' },
    json: { type: 'boolean', help: 'print what was indexed as JSON on stdout' },
    ...EMBEDDER_OPTIONS,
  },
  positionals: { name: '<dir>', min: 1, max: 1 },
  exitCodes: EXIT_CODES,
});

/** The `rag` command and its subcommands. */
export const RAG_COMMANDS: CommandGroup = {
  name: 'rag',
  summary: 'Query the runbooks and past incidents, or index your own runbooks.',
  commands: {
    query: {
      spec: QUERY,
      run: (argv, io) =>
        runCommandSpec(QUERY, argv, io, async ({ values, positionals }) => {
          const args = {
            k: values.k,
            json: values.json,
            replace: false,
            store: values.store,
            embedder: await embedderOption(values),
          };
          if (values.alert !== undefined) {
            if (positionals.length > 0)
              throw new UsageError('--alert', 'takes the alert instead of a question: give one or the other');
            return ragErrors(() => queryAlert(values.alert!, args));
          }
          if (positionals.length === 0) throw new UsageError('"<text>"', 'missing: a question, - or --alert');
          const text =
            positionals.length === 1 && positionals[0] === '-'
              ? await readInput('-', '-')
              : positionals.join(' ');
          if (text.trim() === '') throw new UsageError('"<text>"', 'the question is empty');
          return ragErrors(() => query(text, args));
        }),
    },
    index: {
      spec: INDEX,
      run: (argv, io) =>
        runCommandSpec(INDEX, argv, io, async ({ values, positionals }) => {
          const embedder = await embedderOption(values);
          return ragErrors(() => index(positionals[0], { k: 0, ...values, embedder }));
        }),
    },
  },
};

/** What query and index are given. */
interface Parsed {
  k: number;
  json: boolean;
  replace: boolean;
  store?: string;
  /** Loads the embedder the vectors come from (the analyzer's default when absent). */
  embedder?: () => Promise<Embedder>;
}

/**
 * The embedder --embedder and --model name, checked as usage errors (exit 2) before anything is
 * read; loaded later, when the command needs it (a model that fails to load exits 1).
 */
async function embedderOption(values: {
  embedder: string;
  model?: string;
}): Promise<(() => Promise<Embedder>) | undefined> {
  if (values.embedder !== 'transformers') {
    if (values.model !== undefined)
      throw new UsageError('--model', 'names a transformers.js model: give it with --embedder transformers');
    return undefined;
  }
  if (values.model === undefined)
    throw new UsageError('--model', 'missing: --embedder transformers needs the model folder');
  const folder = resolve(values.model);
  if (!(await stat(folder).catch(() => undefined))?.isDirectory())
    throw new UsageError('--model', `${values.model} is not a folder`);
  return async () => {
    const { TransformersEmbedder } = await import('../rag/transformers-embedder.ts');
    try {
      return await TransformersEmbedder.create({ model: basename(folder), localModelPath: dirname(folder) });
    } catch (error) {
      if (error instanceof X0ttaError) throw error;
      throw new ArgumentError(
        '--model',
        `cannot load the model in ${values.model}: ${(error as Error).message}`,
      );
    }
  };
}

/** Runs `rag <subcommand>`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export function runRagCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runGroup(RAG_COMMANDS, argv, io);
}

/** A --store that is not a store exits 2; a refused or failed read or write exits 1. */
async function ragErrors(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) throw error;
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
  if (isPostgresUrl(path)) return withServerStore(path, true, (store) => store.listDocuments());
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
  if (isPostgresUrl(path)) return withServerStore(path, false, use);
  if (await isJsonStore(path)) return use(await FileRagStore.open(path));
  const opened = await openStoreForWriting(path);
  try {
    return await use(await PGliteRagStore.fromDatabase(opened.knowledge.database));
  } finally {
    await opened.close();
  }
}

/** Runs `use` on the RAG documents of the store on the PostgreSQL server at `url` (created unless `existing`). */
async function withServerStore<T>(
  url: string,
  existing: boolean,
  use: (store: RagStore) => Promise<T>,
): Promise<T> {
  const { PostgresStore } = await import('../knowledge/postgres-store.ts');
  const store = await PostgresStore.open(url, { existing });
  try {
    return await use(store.ragStore());
  } finally {
    await store.close();
  }
}

/** An analyzer over the shipped runbooks and the store's documents, in memory (never writes). */
async function openForQuery(args: Parsed): Promise<RAGAnalyzer> {
  const path = args.store ?? defaultStorePath();
  const stored =
    args.store !== undefined || (await stat(path).catch(() => undefined)) ? await readStore(path) : [];
  const memory = new MemoryRagStore();
  await memory.putDocuments(stored);
  return RAGAnalyzer.create({ store: memory, ...(args.embedder ? { embedder: await args.embedder() } : {}) });
}

async function query(text: string, args: Parsed): Promise<number> {
  const result = await (await openForQuery(args)).retrieveContext(text, { k: args.k });
  if (args.json) {
    console.log(JSON.stringify(resultJson(result), null, 2));
    return 0;
  }
  printResult(result);
  return 0;
}

/** Answers every alert of an Alertmanager payload read from a file or stdin (`-`). */
async function queryAlert(source: string, args: Parsed): Promise<number> {
  const text = await readInput('--alert', source);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (cause) {
    // Like an alert of the wrong shape: a failure to answer (exit 1), not a usage error.
    throw new ArgumentError(
      '--alert',
      `${source === '-' ? 'stdin' : source} is not JSON: ${(cause as Error).message}`,
    );
  }
  const alerts = parseAlerts(payload, source === '-' ? 'stdin' : source);
  const analyzer = await openForQuery(args);
  const answers = [];
  for (const alert of alerts)
    answers.push({ alert, result: await analyzer.retrieveForAlert(alert, { k: args.k }) });
  if (args.json) {
    const json = answers.map(({ alert, result }) => ({
      alertname: alertName(alert) ?? null,
      ...resultJson(result),
    }));
    console.log(JSON.stringify({ alerts: json }, null, 2));
    return 0;
  }
  for (const { alert, result } of answers) {
    console.log(`alert ${alertName(alert) ?? '(no alertname)'}: ${result.query}`);
    printResult(result);
  }
  return 0;
}

function resultJson(result: RetrievalResult) {
  return {
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
      inferred: h.document.inferred ?? null,
      linkedBy: h.linkedBy ?? null,
      score: h.score,
      lexicalRank: h.lexicalRank ?? null,
      vectorRank: h.vectorRank ?? null,
      similarity: h.similarity ?? null,
      matched: h.matched,
    })),
  };
}

function printResult(result: RetrievalResult): void {
  if (result.length === 0) {
    console.log('no matching runbooks');
    return;
  }
  result.hits.forEach((h, i) => {
    console.log(`${i + 1}. ${h.document.id}  [${labels(h.document, 'faults')}]  score ${h.score.toFixed(3)}`);
    console.log(`   ${h.document.title}`);
    if (h.linkedBy) console.log(`   linked by the alert's ${h.linkedBy}`);
    console.log(`   why: ${why(h)}`);
    console.log(`   actions: ${labels(h.document, 'actions') || 'none'}`);
  });
  console.log(
    `${result.length} of ${result.totalResults} matches in ${result.timings.totalMs.toFixed(1)} ms`,
  );
}

/** A document's fault kinds or actions, each inferred one shown with its confidence. */
function labels(doc: RagDocument, kind: 'faults' | 'actions'): string {
  return doc[kind]
    .map((name) => {
      const declared = !doc.inferred || (kind === 'actions' && labelConfidence(doc, kind, name) === 1);
      return declared ? name : `${name} (inferred ${labelConfidence(doc, kind, name).toFixed(2)})`;
    })
    .join(', ');
}

function why(h: RetrievalHit): string {
  const ranks = [h.lexicalRank && `bm25 #${h.lexicalRank}`, h.vectorRank && `vector #${h.vectorRank}`]
    .filter(Boolean)
    .join(', ');
  return `${h.matched.length ? h.matched.join(', ') : 'no shared terms'}${ranks ? ` (${ranks})` : ''}`;
}

const SHIPPED_IDS = new Set(RUNBOOKS.map((r) => r.id));

/**
 * Indexes a folder of runbooks into the store. Files are parsed only when new or changed
 * (their SHA-256 differs from the stored one); every refusal (a taken id, two files with one id)
 * happens before anything is written, and before a store that does not exist yet is created.
 */
async function index(dir: string, args: Parsed): Promise<number> {
  const folder = resolve(dir);
  const files = await readRunbookFiles(dir);
  if (files.length === 0) {
    console.error(`rag: no runbook files (.md, .markdown, .mdx, .txt) in ${dir} or its sub-folders`);
    return 1;
  }
  const path = args.store ?? defaultStorePath();
  // Loaded before the store is opened: a model that does not load leaves nothing behind.
  const embedder = args.embedder ? await args.embedder() : undefined;
  let inference: LabelInference | undefined;
  const parsed = new Map<string, RagDocument | undefined>();
  const parse = async (file: RunbookFile) => {
    if (!parsed.has(file.path)) {
      inference ??= await LabelInference.create();
      parsed.set(file.path, runbookDocument(file, folder, { inference }));
    }
    return parsed.get(file.path);
  };
  const refuse = (lines: string[]) => {
    for (const line of lines) console.error(`rag: ${line}`);
    console.error('rag: nothing indexed; rename the runbook, or pass --replace to replace the existing one');
    return 1;
  };
  // A new store: every file is new, and refusals must come before the store is created.
  if (!(await stat(path).catch(() => undefined))) {
    const plan = await planIndex(files, [], folder, path, parse);
    if ('error' in plan) return fail(plan.error);
    if (plan.refused.length > 0 && !args.replace) return refuse(plan.refused);
  }
  return withWritableStore(path, async (store) => {
    const plan = await planIndex(files, await store.listDocuments(), folder, path, parse);
    if ('error' in plan) return fail(plan.error);
    if (plan.refused.length > 0 && !args.replace) return refuse(plan.refused);
    const analyzer = await RAGAnalyzer.create({ store, ...(embedder ? { embedder } : {}) });
    await analyzer.indexKnowledge(plan.write);
    for (const id of plan.remove) await analyzer.removeKnowledge(id);
    if (args.json) {
      const ids = (docs: readonly RagDocument[]) => docs.map((d) => d.id);
      const json = {
        folder: dir,
        store: path,
        added: ids(plan.write.filter((d) => plan.added.has(d.id))),
        changed: ids(plan.write.filter((d) => !plan.added.has(d.id))),
        removed: plan.remove,
        replaced: plan.refused,
        unchanged: plan.unchanged,
        withoutText: plan.empty,
        documents: analyzer.size,
      };
      console.log(JSON.stringify(json, null, 2));
      return 0;
    }
    for (const line of plan.refused) console.log(`replaced: ${line}`);
    for (const doc of plan.write) {
      const actions = labels(doc, 'actions');
      console.log(
        `${plan.added.has(doc.id) ? 'added' : 'changed'}: ${doc.id}  [${labels(doc, 'faults') || 'no fault kind'}]${actions ? `  actions: ${actions}` : ''}`,
      );
    }
    for (const id of plan.remove) console.log(`removed: ${id}`);
    const counts = [
      `${plan.added.size} added`,
      `${plan.write.length - plan.added.size} changed`,
      `${plan.remove.length} removed`,
      `${plan.unchanged} unchanged (skipped)`,
      ...(plan.empty > 0 ? [`${plan.empty} without text (skipped)`] : []),
    ];
    console.log(`indexed ${dir} into ${path}: ${counts.join(', ')}; ${analyzer.size} documents in total`);
    return 0;
  });
}

function fail(message: string): number {
  console.error(`rag: ${message}; nothing indexed`);
  return 1;
}

/** What indexing `files` of `folder` does to a store holding `stored`. */
interface IndexPlan {
  /** New and changed runbooks to write. */
  write: RagDocument[];
  /** Ids among `write` that the store does not hold yet. */
  added: Set<string>;
  /** Ids of runbooks indexed from this folder before whose files are gone (or changed id). */
  remove: string[];
  unchanged: number;
  /** Files with nothing to search (only front matter). */
  empty: number;
  /** Why ids are taken (a shipped runbook, or another source's document): refused without --replace. */
  refused: string[];
}

async function planIndex(
  files: readonly RunbookFile[],
  stored: readonly StoredDocument[],
  folder: string,
  storePath: string,
  parse: (file: RunbookFile) => Promise<RagDocument | undefined>,
): Promise<IndexPlan | { error: string }> {
  const byId = new Map(stored.map((s) => [s.document.id, s.document]));
  const ours = stored.map((s) => s.document).filter((d) => d.origin?.folder === folder);
  const oursByPath = new Map(ours.map((d) => [d.origin!.path, d]));
  const plan: IndexPlan = { write: [], added: new Set(), remove: [], unchanged: 0, empty: 0, refused: [] };
  const pathOf = new Map<string, string>();
  const claim = (id: string, path: string): string | undefined => {
    const first = pathOf.get(id);
    if (first !== undefined) return `${path} and ${first} both have the id ${id}`;
    pathOf.set(id, path);
  };
  for (const file of files) {
    const before = oursByPath.get(file.path);
    if (before && before.origin!.hash === file.hash) {
      plan.unchanged++;
      const clash = claim(before.id, file.path);
      if (clash) return { error: clash };
      continue;
    }
    const doc = await parse(file);
    if (!doc) {
      plan.empty++;
      continue;
    }
    const clash = claim(doc.id, file.path);
    if (clash) return { error: clash };
    const holder = byId.get(doc.id);
    if (SHIPPED_IDS.has(doc.id)) plan.refused.push(`${file.path}: id ${doc.id} is a shipped runbook`);
    else if (holder && holder.origin?.folder !== folder) {
      const from = holder.origin ? ` indexed from ${holder.origin.folder}` : '';
      plan.refused.push(`${file.path}: id ${doc.id} is already in ${storePath} (${holder.source}${from})`);
    }
    if (!holder || holder.origin?.folder !== folder) plan.added.add(doc.id);
    plan.write.push(doc);
  }
  plan.remove = ours.map((d) => d.id).filter((id) => !pathOf.has(id));
  return plan;
}
