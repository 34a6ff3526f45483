/**
 * `x0tta6bl4 rag`: query the runbooks and past incidents, or add your own Markdown runbooks.
 *
 *   rag query "<text>" [--k 5] [--json] [--store <file|dir>]
 *   rag index <dir> [--store <file|dir>]
 *
 * The store keeps indexed runbooks and their embeddings; the shipped runbooks are always
 * searched. A `.json` path (default .x0tta6bl4/rag.json) or an existing file is a JSON file
 * store; anything else is a PGlite data directory, which may be the engine's knowledge
 * database (the RAG table sits beside the knowledge tables).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { X0ttaError } from '../errors.ts';
import { PGliteRagStore } from '../knowledge/pglite-rag-store.ts';
import { RAGAnalyzer } from '../rag/analyzer.ts';
import type { RagDocument } from '../rag/document.ts';
import { FileRagStore } from '../rag/file-store.ts';
import { parseRunbook } from '../rag/runbook.ts';
import type { RagStore } from '../rag/store.ts';

const USAGE = `usage:
  x0tta6bl4 rag query "<text>" [--k 5] [--json] [--store <file.json|dir>]
  x0tta6bl4 rag index <dir> [--store <file.json|dir>]`;
const DEFAULT_STORE = '.x0tta6bl4/rag.json';

interface Parsed {
  positional: string[];
  k: number;
  json: boolean;
  store: string;
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
  const parsed: Parsed = { positional: [], k: 5, json: false, store: DEFAULT_STORE };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') parsed.json = true;
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

/** Opens the store at `path` (see the module comment), runs `use` on it and closes it. */
async function withStore<T>(path: string, use: (store: RagStore) => Promise<T>): Promise<T> {
  const isFile = path.endsWith('.json') || (await stat(path).catch(() => undefined))?.isFile();
  if (isFile) return use(await FileRagStore.open(path));
  const store = await PGliteRagStore.open(path);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function query(text: string, args: Parsed): Promise<number> {
  const result = await withStore(args.store, async (store) =>
    (await RAGAnalyzer.create({ store })).retrieveContext(text, { k: args.k }),
  );
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

async function index(dir: string, args: Parsed): Promise<number> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  if (files.length === 0) {
    console.error(`rag: no .md files in ${dir}`);
    return 1;
  }
  const docs: RagDocument[] = [];
  for (const f of files) docs.push(parseRunbook(await readFile(join(dir, f), 'utf8'), f));
  const total = await withStore(args.store, async (store) => {
    const analyzer = await RAGAnalyzer.create({ store });
    await analyzer.indexKnowledge(docs);
    return analyzer.size;
  });
  console.log(`indexed ${docs.length} runbooks from ${dir} into ${args.store} (${total} documents in total)`);
  return 0;
}
