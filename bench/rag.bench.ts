/**
 * RAG benchmark: retrieval quality on the labelled query set (hybrid vs plain BM25 alone vs
 * BM25 over thesaurus-expanded terms (the hybrid's lexical ranking) vs vectors alone, on the
 * whole set and on each half), fault-kind accuracy, end-to-end retrieval latency, and exact
 * top-10 over 100,000 x 384 vectors through the RAG vector index (f32, int8, batched) against a
 * plain TypeScript brute-force scan measured in the same run (the embedder's throughput is in
 * embed.bench.ts). Times are medians of several samples. Run: `npx tsx bench/rag.bench.ts`.
 */
import { RAGAnalyzer } from '../src/rag/analyzer.ts';
import { evaluateRankings, type LabelledQuery } from '../src/rag/evaluate.ts';
import { VectorIndex } from '../src/rag/vector-index.ts';
import data from '../test/fixtures/rag/queries.json' with { type: 'json' };
import { median, timeMedian } from './timing.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const N = 100_000;
const DIM = 384;
const K = 10;
const BATCH = 64;

/** Runs the RAG benchmark and returns its figures. */
export async function runRagBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push(...(await quality()));
  results.push(...(await vectorSearch()));
  return results;
}

async function quality(): Promise<BenchResult[]> {
  const analyzer = await RAGAnalyzer.create();
  const plain = await RAGAnalyzer.create({ thesaurus: null });
  const queries = data.queries as (LabelledQuery & { split: string; kind: string })[];
  const results: BenchResult[] = [];
  const latencies: number[] = [];
  // bm25: plain BM25; lexical: BM25 over thesaurus-expanded terms, the hybrid's lexical ranking.
  const ranked: Record<string, string[][]> = { hybrid: [], lexical: [], vector: [], bm25: [] };
  for (const q of queries) {
    for (const mode of ['hybrid', 'lexical', 'vector'] as const) {
      const r = await analyzer.retrieveContext(q.text, { k: 10, mode });
      if (mode === 'hybrid') latencies.push(r.timings.totalMs);
      ranked[mode].push(r.documents.map((d) => d.id));
    }
    ranked.bm25.push(
      (await plain.retrieveContext(q.text, { k: 10, mode: 'lexical' })).documents.map((d) => d.id),
    );
  }
  for (const split of ['all', 'dev', 'holdout']) {
    const pick = queries.map((q, i) => [q, i] as const).filter(([q]) => split === 'all' || q.split === split);
    const qs = pick.map(([q]) => q);
    const of = (mode: string) =>
      evaluateRankings(
        qs,
        pick.map(([, i]) => ranked[mode][i]),
      );
    const [hybrid, lexical, vector, bm25] = [of('hybrid'), of('lexical'), of('vector'), of('bm25')];
    const tag = `${split}, ${qs.length} queries`;
    const isAll = split === 'all';
    results.push(
      {
        name: `Recall@3 hybrid (${tag})`,
        value: hybrid.recallAt3,
        unit: '',
        baseline: 'BM25 alone',
        ratio: hybrid.recallAt3 / bm25.recallAt3,
        ...(isAll && { target: '>= 0.95', met: hybrid.recallAt3 >= 0.95 }),
      },
      { name: `Recall@3 BM25 alone (${tag})`, value: bm25.recallAt3, unit: '' },
      { name: `Recall@3 BM25 + thesaurus (${tag})`, value: lexical.recallAt3, unit: '' },
      { name: `Recall@3 vectors alone (${tag})`, value: vector.recallAt3, unit: '' },
      {
        name: `MRR hybrid (${tag})`,
        value: hybrid.mrr,
        unit: '',
        baseline: 'BM25 alone',
        ratio: hybrid.mrr / bm25.mrr,
        ...(isAll && { target: '>= 0.85', met: hybrid.mrr >= 0.85 }),
      },
      { name: `MRR BM25 alone (${tag})`, value: bm25.mrr, unit: '' },
      { name: `MRR BM25 + thesaurus (${tag})`, value: lexical.mrr, unit: '' },
      { name: `MRR vectors alone (${tag})`, value: vector.mrr, unit: '' },
    );
  }
  let right = 0;
  for (const q of queries)
    if ((await analyzer.augmentAnalysis({ id: q.id, summary: q.text })).likelyFaults[0]?.fault === q.kind)
      right++;
  results.push({
    name: 'top fault kind = labelled kind (all queries)',
    value: right / queries.length,
    unit: '',
  });
  results.push({
    name: `hybrid retrieval latency, ${analyzer.size} docs (median)`,
    value: median(latencies),
    unit: 'ms',
  });
  return results;
}

async function vectorSearch(): Promise<BenchResult[]> {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const vectors = new Float32Array(N * DIM);
  for (let i = 0; i < vectors.length; i++) vectors[i] = random();
  normalizeRows(vectors);
  const queries = Float32Array.from({ length: BATCH * DIM }, random);
  normalizeRows(queries);
  const ids = Array.from({ length: N }, (_, i) => `d${i}`);
  const one = queries.subarray(0, DIM);

  const baselineMs = timeMedian(() => bruteForceTopK(vectors, one, K), 5);
  const expected = bruteForceTopK(vectors, one, K);
  const results: BenchResult[] = [
    { name: `plain TS brute force, top-${K} of ${N / 1000}k x ${DIM}`, value: baselineMs, unit: 'ms/query' },
  ];
  for (const precision of ['f32', 'int8'] as const) {
    const index = await VectorIndex.create({ dim: DIM, precision });
    index.upsertMany(ids, vectors);
    const got = index.search(one, K).map((h) => Number(h.id.slice(1)));
    const recall = got.filter((i) => expected.includes(i)).length / K;
    const single = timeMedian(() => index.search(one, K), 9);
    const batch = timeMedian(() => index.searchBatch(queries, K), 3) / BATCH;
    const limit = precision === 'f32' ? 6 : 2;
    results.push(
      {
        name: `RAG vector index top-${K}, ${precision}, 1 query`,
        value: single,
        unit: 'ms/query',
        baseline: 'TS brute force',
        ratio: baselineMs / single,
        target: `<= ${limit} ms`,
        met: single <= limit,
      },
      {
        name: `RAG vector index top-${K}, ${precision}, batch of ${BATCH}`,
        value: batch,
        unit: 'ms/query',
        baseline: '1 query at a time',
        ratio: single / batch,
        target: '>= 2x cheaper',
        met: single / batch >= 2,
      },
      { name: `RAG vector index top-${K}, ${precision}, recall@${K} vs exact`, value: recall, unit: '' },
    );
  }
  return results;
}

function normalizeRows(m: Float32Array): void {
  for (let r = 0; r < m.length / DIM; r++) {
    let s = 0;
    for (let i = r * DIM; i < (r + 1) * DIM; i++) s += m[i] * m[i];
    const inv = 1 / Math.sqrt(s);
    for (let i = r * DIM; i < (r + 1) * DIM; i++) m[i] *= inv;
  }
}

// The baseline: what one writes without a kernel (rows are unit vectors, so cosine = dot).
function bruteForceTopK(rows: Float32Array, q: Float32Array, k: number): number[] {
  const best: { i: number; s: number }[] = [];
  for (let r = 0; r < rows.length / DIM; r++) {
    let s = 0;
    const o = r * DIM;
    for (let i = 0; i < DIM; i++) s += rows[o + i] * q[i];
    if (best.length < k || s > best[best.length - 1].s) {
      best.push({ i: r, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}

await runIfMain(import.meta.url, runRagBench);
