/**
 * Retrieval over runbooks nobody here wrote (issue 19, section 2), and at scale.
 *
 * Quality: the public prometheus-operator runbooks (bench/data/public-runbooks), read the way
 * `rag index` reads a folder (loadRunbookFolder: front matter, sections, inferred labels), and
 * the 159 operator-worded questions about them. Top-1, top-3 and MRR on the dev half (where
 * the earlier parameters were chosen) and the test half, for the hybrid and
 * its two rankings, against the plain BM25 baseline over the raw files
 * (bench/data/public-runbooks/bm25-baseline.ts) measured in the same run; also with the shipped
 * runbooks indexed beside them, as `rag query` searches. With X0TTA6BL4_SENTENCE_MODEL=<folder
 * of a transformers.js sentence model> the hybrid is measured with that embedder too.
 *
 * Cross-validation: all 159 questions in 5 folds by runbook (./rag-cv.ts: questions sharing a
 * runbook never straddle folds), parameters chosen on four folds and scored on the fifth, for
 * two grids: the embedder's dimension alone, and every tunable parameter at once. Their top-1
 * and top-3 are the goal's figures, reported beside the dev and test halves of the shipped
 * setting.
 *
 * Ideas measured that way (top-1 / top-3 over the 159 questions, each scored in its held-out
 * fold; "at 384" against the former setting's 0.761 / 0.937 without any choice, "at 1536"
 * against the 1536 setting's 0.792 / 0.950; plain BM25 0.673 / 0.862):
 * - the default embedder's dimension (384, 768, 1024, 1536, 2048): 0.780 / 0.950; every fold
 *   preferred each larger dimension to 384, four of five chose 1536 (hash collisions at 384
 *   decided close calls between sibling runbooks). Test half 0.709 / 0.911 -> 0.823 / 0.949; the
 *   dev half, where the former parameters had been chosen, 0.813 / 0.963 -> 0.762 / 0.950. Not
 *   shipped: over the shipped runbooks it changed the engine's remedies (see RETRIEVAL_DIM).
 * - every tunable parameter at once (dimension 384 or 1536, title 1-3, meaning 1-2, concepts
 *   0.5-1, RRF k 10-60, lexical weight 1-2, BM25F alone): 0.761 / 0.943, below the fixed
 *   setting: the folds chose different settings, the differences between them are noise.
 *   At 384: 0.767 / 0.931; RRF k and weights alone 0.761 / 0.931.
 * - BM25F with per-field length normalisation (title b 0-0.9, other fields b 0.3-0.9, k1
 *   0.8-2, saturated once): 0.748 / 0.912 at 384, 0.774 / 0.937 at 1536. Global k1 0.6-2.2 and
 *   b 0.4-0.9: 0.736 / 0.925 at 384, 0.799 / 0.943 at 1536.
 * - acronyms split in alert names (KubeAPIDown -> kube api down; camelCase was already split,
 *   in runbooks and queries alike): 0.761 / 0.937 at 384, no question moved in the hybrid.
 * - a proximity bonus (BM25F x (1 + p x share of the query's word pairs found in the
 *   runbook), p 0-2.5): 0.761 / 0.937 at 384, 0.799 / 0.950 at 1536 (one question).
 * - the first sentence of Meaning as a field of its own (weight 0-4): 0.767 / 0.925 at 384.
 * - query stop words: why, what, is, my, how... were already stop words; chat words besides
 *   (keep, show, seem, still, since, today, hours...): 0.755 / 0.943 at 384, 0.799 / 0.950 at
 *   1536 (one question).
 * - re-ranking the fused top 10 by title, Meaning and Impact word overlap, weights chosen on
 *   the training folds: 0.742 / 0.937 at 384, 0.767 / 0.943 at 1536.
 * - re-ranking the fused top 10 by a learned linear model (softmax over the candidates, L2
 *   chosen by inner cross-validation) over the fused score, both ranks, the vector cosine, BM25
 *   of the title, Meaning, Impact and Diagnosis + Mitigation fields, and agreement of inferred
 *   fault kinds: 0.774 / 0.950 at 384, 0.767 / 0.962 at 1536; other feature subsets 0.717-0.774
 *   top-1. Not kept: at 1536 it loses four questions first for two in the top 3.
 * - other vector rows per runbook beside the whole text and the lead (the title alone; title
 *   with Impact; title with Diagnosis; one row per section; the whole text only; no whole-text
 *   row): 0.761 / 0.950 at 1536, each fold choosing another layout.
 * Single settings moved by one question at most were not kept. The misses left are mostly
 * sibling runbooks of one component (Alertmanager cluster down against crash-looping, node not
 * ready against readiness flapping), told apart by meaning more than by words.
 *
 * Scale: 10,000 runbooks written by a seeded generator from the public corpus's vocabulary
 * (Hugo front matter or none, the usual sections, code blocks), as files in a temporary folder;
 * indexing them (walk, read, hash, parse, infer labels, embed, index) in files per second, and
 * hybrid search over them plus the shipped runbooks in ms per query, each against plain BM25
 * doing the same in the same run. Run: `npx tsx bench/rag-public.bench.ts`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Rng } from '../src/random.ts';
import { RAGAnalyzer, RETRIEVAL_DIM } from '../src/rag/analyzer.ts';
import type { Embedder } from '../src/rag/embedder.ts';
import { evaluateRankings, type LabelledQuery, type RetrievalQuality } from '../src/rag/evaluate.ts';
import { loadRunbookFolder, readRunbookFiles, runbookDocument } from '../src/rag/folder.ts';
import { LabelInference } from '../src/rag/infer.ts';
import { reciprocalRankFusion, RRF_K } from '../src/rag/fusion.ts';
import { HashedEmbedder } from '../src/rag/hashed-embedder.ts';
import { readMarkdown } from '../src/rag/markdown.ts';
import type { Hit } from '../src/rag/ranking.ts';
import { CONCEPT_WEIGHT, DEFAULT_FIELD_WEIGHTS, DEFAULT_FUSION_WEIGHTS } from '../src/rag/retriever.ts';
import { MemoryRagStore } from '../src/rag/store.ts';
import { Bm25 } from './data/public-runbooks/bm25-baseline.ts';
import { crossValidate, runbookFolds, summarise, type ScoredSetting } from './rag-cv.ts';
import { median } from './timing.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const DATA = new URL('./data/public-runbooks/', import.meta.url).pathname;
const SET = 'prometheus-operator-runbooks';
const SYNTHETIC = 10_000;

interface Question extends LabelledQuery {
  readonly split: 'dev' | 'test';
}

/** Runs the public-corpus and scale benchmark and returns its figures. */
export async function runRagPublicBench(): Promise<BenchResult[]> {
  return [...(await quality()), ...(await scale())];
}

async function quality(): Promise<BenchResult[]> {
  const set = JSON.parse(readFileSync(join(DATA, `${SET}.questions.json`), 'utf8')) as {
    corpus: string;
    queries: Question[];
  };
  const folder = join(DATA, set.corpus);
  const docs = await loadRunbookFolder(folder);
  const baseline = new Bm25();
  for (const file of await readRunbookFiles(folder)) baseline.add(file.path, file.text);

  const alone = await RAGAnalyzer.create({ shippedRunbooks: false, runbooks: docs });
  const beside = await RAGAnalyzer.create({ runbooks: docs });
  const rank = async (analyzer: RAGAnalyzer, mode: 'hybrid' | 'lexical' | 'vector', q: Question) =>
    (await analyzer.retrieveContext(q.text, { k: 10, mode })).documents.map((d) => d.id);
  const results: BenchResult[] = [];
  for (const split of ['dev', 'test'] as const) {
    const qs = set.queries.filter((q) => q.split === split);
    const of = async (analyzer: RAGAnalyzer, mode: 'hybrid' | 'lexical' | 'vector') => {
      const ranked = [];
      for (const q of qs) ranked.push(await rank(analyzer, mode, q));
      return evaluateRankings(qs, ranked);
    };
    const plain = evaluateRankings(
      qs,
      qs.map((q) => baseline.rank(q.text)),
    );
    const hybrid = await of(alone, 'hybrid');
    const tag = `${split} half, ${qs.length} questions`;
    const isTest = split === 'test';
    results.push(
      {
        name: `public runbooks top-1, hybrid (${tag})`,
        value: hybrid.recallAt1,
        unit: '',
        baseline: 'plain BM25 over the raw files',
        ratio: hybrid.recallAt1 / plain.recallAt1,
        ...(isTest && { target: '>= 0.85', met: hybrid.recallAt1 >= 0.85 }),
      },
      {
        name: `public runbooks top-3, hybrid (${tag})`,
        value: hybrid.recallAt3,
        unit: '',
        baseline: 'plain BM25 over the raw files',
        ratio: hybrid.recallAt3 / plain.recallAt3,
        ...(isTest && { target: '>= 0.95', met: hybrid.recallAt3 >= 0.95 }),
      },
      {
        name: `public runbooks MRR, hybrid (${tag})`,
        value: hybrid.mrr,
        unit: '',
        baseline: 'plain BM25 over the raw files',
        ratio: hybrid.mrr / plain.mrr,
      },
      ...figures(`plain BM25 over the raw files (${tag})`, plain),
      ...figures(`BM25F + thesaurus alone (${tag})`, await of(alone, 'lexical')),
      ...figures(`hashed vectors alone (${tag})`, await of(alone, 'vector')),
      ...figures(`hybrid, shipped runbooks indexed beside (${tag})`, await of(beside, 'hybrid')),
    );
    const model = process.env.X0TTA6BL4_SENTENCE_MODEL;
    if (model) {
      const { TransformersEmbedder } = await import('../src/rag/transformers-embedder.ts');
      const embedder: Embedder = await TransformersEmbedder.create({
        model: basename(model),
        localModelPath: join(model, '..'),
      });
      const withModel = await RAGAnalyzer.create({ shippedRunbooks: false, runbooks: docs, embedder });
      results.push(...figures(`hybrid with ${embedder.id} (${tag})`, await of(withModel, 'hybrid')));
    }
  }
  results.push(...(await crossValidated(set.queries, docs, baseline)));
  const labelled = docs.filter((d) => d.faults.length > 0).length;
  results.push({
    name: `public runbooks given an inferred fault kind (of ${docs.length} indexed)`,
    value: labelled / docs.length,
    unit: '',
  });
  return results;
}

/** Folds of the cross-validation. */
const FOLDS = 5;
/** Dimensions of the default embedder's vectors tried. */
const DIMS = [384, 768, 1024, 1536, 2048];
/** BM25F title and meaning weights and concept weights of the grid (code stays at its default). */
const TITLE_WEIGHTS = [1, 2, 3];
const MEANING_WEIGHTS = [1, 2];
const CONCEPT_WEIGHTS = [0.5, 1];
/** RRF settings of the grid: [k, lexical weight, vector weight]; vector weight 0 is BM25F alone. */
const FUSIONS: readonly (readonly [number, number, number])[] = [
  ...[10, 30, 60].flatMap((k) => [1, 1.5, 2].map((lexical) => [k, lexical, 1] as const)),
  [RRF_K, 1, 0],
];

/** One setting of the tunable parameters. */
interface Setting {
  readonly dim: number;
  readonly title: number;
  readonly meaning: number;
  readonly concepts: number;
  readonly fusion: readonly [number, number, number];
}

const SHIPPED: Setting = {
  dim: RETRIEVAL_DIM,
  title: DEFAULT_FIELD_WEIGHTS.title,
  meaning: DEFAULT_FIELD_WEIGHTS.meaning,
  concepts: CONCEPT_WEIGHT,
  fusion: [RRF_K, DEFAULT_FUSION_WEIGHTS.lexical, DEFAULT_FUSION_WEIGHTS.vector],
};

const nameOf = (s: Setting) =>
  `dim ${s.dim}, title ${s.title}, meaning ${s.meaning}, concepts ${s.concepts}, RRF k ${s.fusion[0]}, weights ${s.fusion[1]}/${s.fusion[2]}`;

/**
 * Parameters chosen by 5-fold cross-validation over all the questions, folds by runbook
 * (./rag-cv.ts): each fold's questions scored with the setting that did best on the other
 * four. Two grids: the embedder's dimension alone (the others as shipped), and every tunable
 * parameter at once (dimension, BM25F title and meaning weights, concept weight, RRF k and
 * weights). Each index setting's lexical and vector rankings are computed once; fusion is redone
 * per setting as the retriever does it (top 50 of each ranking, weighted RRF).
 */
async function crossValidated(
  queries: readonly Question[],
  docs: Awaited<ReturnType<typeof loadRunbookFolder>>,
  baseline: Bm25,
): Promise<BenchResult[]> {
  const fold = runbookFolds(queries, FOLDS);
  const rankOf = (ids: readonly string[], q: Question) => ids.findIndex((id) => q.relevant.includes(id)) + 1;
  const lists = new Map<string, { lexical: Hit[][]; vector: Hit[][] }>();
  const score = async (s: Setting): Promise<ScoredSetting> => {
    const key = `${s.dim} ${s.title} ${s.meaning} ${s.concepts}`;
    let ranked = lists.get(key);
    if (!ranked) {
      const analyzer = await RAGAnalyzer.create({
        shippedRunbooks: false,
        runbooks: docs,
        embedder: await HashedEmbedder.create({ dim: s.dim }),
        fieldWeights: { ...DEFAULT_FIELD_WEIGHTS, title: s.title, meaning: s.meaning },
        conceptWeight: s.concepts,
      });
      const of = async (mode: 'lexical' | 'vector') => {
        const out: Hit[][] = [];
        for (const q of queries) {
          const r = await analyzer.retrieveContext(q.text, { k: 50, mode });
          out.push(r.documents.map((d) => ({ id: d.id, score: 0 })));
        }
        return out;
      };
      lists.set(key, (ranked = { lexical: await of('lexical'), vector: await of('vector') }));
    }
    const [k, wl, wv] = s.fusion;
    const ranks = queries.map((q, i) =>
      rankOf(
        reciprocalRankFusion(
          [
            { hits: ranked.lexical[i], weight: wl },
            { hits: ranked.vector[i], weight: wv },
          ],
          k,
        ).map((h) => h.id),
        q,
      ),
    );
    return { name: nameOf(s), ranks };
  };
  const byDim: ScoredSetting[] = [];
  for (const dim of DIMS) byDim.push(await score({ ...SHIPPED, dim }));
  const all: ScoredSetting[] = [];
  for (const dim of [DIMS[0], RETRIEVAL_DIM])
    for (const title of TITLE_WEIGHTS)
      for (const meaning of MEANING_WEIGHTS)
        for (const concepts of CONCEPT_WEIGHTS)
          for (const fusion of FUSIONS) all.push(await score({ dim, title, meaning, concepts, fusion }));

  const plain = summarise(queries.map((q) => rankOf(baseline.rank(q.text), q)));
  const fixed = summarise(byDim.find((s) => s.name === nameOf(SHIPPED))!.ranks);
  const against = { baseline: 'plain BM25 over the raw files, same questions' };
  const rows = (grid: string, settings: readonly ScoredSetting[]): BenchResult[] => {
    const cv = crossValidate(settings, fold);
    const tag = `${FOLDS}-fold CV by runbook, ${queries.length} questions, ${grid} chosen on training folds`;
    return [
      {
        name: `public runbooks top-1, hybrid (${tag})`,
        value: cv.recallAt1,
        unit: '',
        ...against,
        ratio: cv.recallAt1 / plain.recallAt1,
        target: '>= 0.85',
        met: cv.recallAt1 >= 0.85,
      },
      {
        name: `public runbooks top-3, hybrid (${tag})`,
        value: cv.recallAt3,
        unit: '',
        ...against,
        ratio: cv.recallAt3 / plain.recallAt3,
        target: '>= 0.95',
        met: cv.recallAt3 >= 0.95,
      },
      {
        name: `public runbooks MRR, hybrid (${tag})`,
        value: cv.mrr,
        unit: '',
        ...against,
        ratio: cv.mrr / plain.mrr,
      },
      {
        name: `public runbooks, folds whose training choice was the shipped setting (${grid}, of ${FOLDS}, grid of ${settings.length})`,
        value: cv.chosen.filter((c) => c === nameOf(SHIPPED)).length,
        unit: 'folds',
      },
    ];
  };
  return [
    ...rows('embedder dimension', byDim),
    ...rows('every tunable parameter', all),
    ...figures(`hybrid with the shipped setting (all ${queries.length}, no choice)`, fixed),
    ...figures(`plain BM25 over the raw files (all ${queries.length})`, plain),
  ];
}

function figures(what: string, q: Pick<RetrievalQuality, 'recallAt1' | 'recallAt3'>): BenchResult[] {
  return [
    { name: `public runbooks top-1, ${what}`, value: q.recallAt1, unit: '' },
    { name: `public runbooks top-3, ${what}`, value: q.recallAt3, unit: '' },
  ];
}

async function scale(): Promise<BenchResult[]> {
  const set = JSON.parse(readFileSync(join(DATA, `${SET}.questions.json`), 'utf8')) as {
    corpus: string;
    queries: Question[];
  };
  const dir = mkdtempSync(join(tmpdir(), 'x0-rag-scale-'));
  try {
    writeSynthetic(dir, await readRunbookFiles(join(DATA, set.corpus)), SYNTHETIC, 19);
    const inference = await LabelInference.create();
    const t0 = performance.now();
    const files = await readRunbookFiles(dir);
    const docs = files.flatMap((f) => runbookDocument(f, dir, { inference }) ?? []);
    const analyzer = await RAGAnalyzer.create({ store: new MemoryRagStore() });
    await analyzer.indexKnowledge(docs);
    const indexSeconds = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    const plain = new Bm25();
    for (const f of await readRunbookFiles(dir)) plain.add(f.path, f.text);
    const plainSeconds = (performance.now() - t1) / 1000;

    const questions = set.queries.map((q) => q.text);
    // One untimed pass first, so that both are measured compiled and warm.
    for (const q of questions) {
      await analyzer.retrieveContext(q, { k: 5 });
      plain.rank(q);
    }
    const hybridMs: number[] = [];
    const plainMs: number[] = [];
    for (const q of questions) {
      let t = performance.now();
      await analyzer.retrieveContext(q, { k: 5 });
      hybridMs.push(performance.now() - t);
      t = performance.now();
      plain.rank(q);
      plainMs.push(performance.now() - t);
    }
    const filesPerSecond = files.length / indexSeconds;
    const p95 = [...hybridMs].sort((a, b) => a - b)[Math.floor(hybridMs.length * 0.95)];
    return [
      {
        name: `rag index of ${files.length} runbook files (walk, read, hash, parse, infer, embed, index)`,
        value: filesPerSecond,
        unit: 'files/s',
        baseline: 'plain BM25 reading and indexing the same files',
        ratio: filesPerSecond / (files.length / plainSeconds),
        target: '>= 500 files/s',
        met: filesPerSecond >= 500,
      },
      {
        name: `hybrid search over ${analyzer.size} runbooks, k=5 (median of ${questions.length})`,
        value: median(hybridMs),
        unit: 'ms/query',
        baseline: 'plain BM25 over the same files',
        ratio: median(hybridMs) / median(plainMs),
        target: '<= 20 ms',
        met: median(hybridMs) <= 20,
      },
      { name: `hybrid search over ${analyzer.size} runbooks, k=5 (p95)`, value: p95, unit: 'ms/query' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes `count` runbooks into `dir` (in 20 sub-folders) drawn from the words of `corpus`: each
 * section's words from that section's word frequencies across the corpus, titles from title
 * words, code lines from code, 85% with Hugo front matter, one in ten with a sub-section.
 */
function writeSynthetic(
  dir: string,
  corpus: readonly { path: string; text: string }[],
  count: number,
  seed: number,
): void {
  const rng = new Rng(seed);
  const pools = new Map<string, string[]>();
  const pool = (name: string) => {
    let words = pools.get(name);
    if (!words) pools.set(name, (words = []));
    return words;
  };
  for (const file of corpus) {
    const md = readMarkdown(file.text, file.path);
    const title = typeof md.meta?.title === 'string' ? md.meta.title : (md.firstHeading ?? '');
    pool('title').push(...(title.match(/[A-Za-z]+/g) ?? []));
    for (const s of md.sections) {
      const section = ['meaning', 'impact', 'diagnosis', 'mitigation'].includes(s.heading.toLowerCase())
        ? s.heading.toLowerCase()
        : 'diagnosis';
      pool(section).push(...(s.text.match(/\S+/g) ?? []));
      pool('code').push(...s.code.split('\n').filter((l) => l.trim() !== ''));
    }
  }
  const draw = (name: string, n: number) =>
    Array.from({ length: n }, () => pool(name)[rng.int(pool(name).length)]);
  const sentence = (name: string, min: number, max: number) => draw(name, min + rng.int(max - min)).join(' ');
  for (let i = 0; i < 20; i++) mkdirSync(join(dir, `team-${i}`));
  for (let i = 0; i < count; i++) {
    const words = draw('title', 3 + rng.int(3)).map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
    const alert = `${words.join('')}${i}`;
    const parts = [
      ...(rng.chance(0.85) ? [`---\ntitle: ${words.join(' ')}\nweight: ${rng.int(100)}\n---\n`] : []),
      `# ${alert}\n`,
      `## Meaning\n\n${sentence('meaning', 12, 40)}\n`,
      `## Impact\n\n${sentence('impact', 8, 30)}\n`,
      `## Diagnosis\n\n${sentence('diagnosis', 15, 60)}\n\n\`\`\`shell\n${draw('code', 1 + rng.int(4)).join('\n')}\n\`\`\`\n`,
      ...(rng.chance(0.1) ? [`### Other causes\n\n${sentence('diagnosis', 10, 30)}\n`] : []),
      `## Mitigation\n\n${sentence('mitigation', 10, 50)}\n`,
    ];
    writeFileSync(join(dir, `team-${i % 20}`, `${alert}.md`), parts.join('\n'));
  }
}

await runIfMain(import.meta.url, runRagPublicBench);
