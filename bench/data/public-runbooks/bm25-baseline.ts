/**
 * The baseline issue 19 names: plain BM25 (k1 = 1.2, b = 0.75) over the raw files of a public
 * runbook collection, each file read whole (front matter, title and body), tokenised by
 * lower-casing and splitting on every character that is not a Unicode letter or digit, with no
 * stemming and no stop words. IDF is the non-negative form ln(1 + (N - df + 0.5) / (df + 0.5)).
 * Ties are broken by id so the figures are reproducible. It reports, for the dev and test halves
 * of the question set and for all of it, the share of questions whose runbook (any id in
 * `relevant`) ranks first and in the top three, and the mean reciprocal rank.
 *
 * Run: `npx tsx bench/data/public-runbooks/bm25-baseline.ts [set] [--misses]`: `set` names
 * `<set>.questions.json` beside this script (default prometheus-operator-runbooks), whose `corpus`
 * field is the folder to index; --misses lists the questions whose runbook is not in the top 3.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const K1 = 1.2;
const B = 0.75;

/** One question of a `<set>.questions.json` file. */
interface Question {
  readonly id: string;
  readonly text: string;
  readonly relevant: readonly string[];
  readonly split: 'dev' | 'test';
}

/** Lower-cased runs of letters and digits. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A BM25 index over whole documents. */
export class Bm25 {
  private readonly ids: string[] = [];
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, Map<number, number>>();
  private totalLength = 0;

  /** Adds a document; ids must be unique. */
  add(id: string, text: string): void {
    const doc = this.ids.length;
    const tokens = tokenize(text);
    this.ids.push(id);
    this.lengths.push(tokens.length);
    this.totalLength += tokens.length;
    for (const t of tokens) {
      let posting = this.postings.get(t);
      if (!posting) this.postings.set(t, (posting = new Map()));
      posting.set(doc, (posting.get(doc) ?? 0) + 1);
    }
  }

  /** Document ids by descending BM25 score for `query` (documents scoring 0 are left out). */
  rank(query: string): string[] {
    const n = this.ids.length;
    const avgLength = this.totalLength / n;
    const scores = new Map<number, number>();
    for (const term of new Set(tokenize(query))) {
      const posting = this.postings.get(term);
      if (!posting) continue;
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5));
      for (const [doc, tf] of posting) {
        const norm = tf + K1 * (1 - B + (B * this.lengths[doc]) / avgLength);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * (tf * (K1 + 1))) / norm);
      }
    }
    return [...scores]
      .sort((a, b) => b[1] - a[1] || (this.ids[a[0]] < this.ids[b[0]] ? -1 : 1))
      .map(([doc]) => this.ids[doc]);
  }
}

/** Every file under `root`, keyed by its path relative to `root` with '/' separators. */
function readCorpus(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

function main(): void {
  const args = process.argv.slice(2);
  const set = args.find((a) => !a.startsWith('--')) ?? 'prometheus-operator-runbooks';
  const here = dirname(fileURLToPath(import.meta.url));
  const { corpus: folder, queries } = JSON.parse(
    readFileSync(join(here, `${set}.questions.json`), 'utf8'),
  ) as {
    corpus: string;
    queries: Question[];
  };
  const corpus = readCorpus(join(here, folder));
  for (const q of queries) {
    const unknown = q.relevant.filter((id) => !corpus.has(id));
    if (unknown.length > 0) throw new Error(`${q.id}: no runbook ${unknown.join(', ')} in ${folder}`);
  }
  const index = new Bm25();
  for (const [id, text] of corpus) index.add(id, text);
  const ranks = queries.map((q) => index.rank(q.text).findIndex((id) => q.relevant.includes(id)) + 1);

  console.log(`BM25 (k1=${K1}, b=${B}) over the ${corpus.size} files of ${folder}`);
  for (const split of ['dev', 'test', 'all'] as const) {
    const picked = ranks.filter((_, i) => split === 'all' || queries[i].split === split);
    const share = (ok: (rank: number) => boolean) => picked.filter(ok).length / picked.length;
    const mrr = picked.reduce((sum, r) => sum + (r > 0 ? 1 / r : 0), 0) / picked.length;
    console.log(
      `${split.padEnd(4)} ${String(picked.length).padStart(3)} questions: top-1 ${pct(share((r) => r === 1))}, ` +
        `top-3 ${pct(share((r) => r >= 1 && r <= 3))}, MRR ${mrr.toFixed(3)}`,
    );
  }
  if (args.includes('--misses')) {
    queries.forEach((q, i) => {
      if (ranks[i] < 1 || ranks[i] > 3) {
        console.log(`miss ${q.id} [${q.split}] rank ${ranks[i] || '-'}: ${q.text} -> ${q.relevant[0]}`);
      }
    });
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
